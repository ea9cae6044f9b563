package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the agent's configuration. YAML keys and environment variable
// names derive from the yaml tags: listen -> NETAGENT_LISTEN,
// lab.topology -> NETAGENT_LAB_TOPOLOGY.
type Config struct {
	// Listen is the HTTP API address.
	Listen string `yaml:"listen"`
	// DataDir holds the embedded store, the lab's state and keys.
	DataDir string `yaml:"data_dir"`
	// LogFormat is "text" or "json"; LogLevel is debug, info, warn or error.
	LogFormat string `yaml:"log_format"`
	LogLevel  string `yaml:"log_level"`
	// Inventory is a netagent inventory file, a containerlab
	// topology-data.json or ansible-inventory.yml; empty means the simulated lab.
	Inventory string `yaml:"inventory"`

	Lab       Lab       `yaml:"lab"`
	Intake    Intake    `yaml:"intake"`
	Timeouts  Timeouts  `yaml:"timeouts"`
	Sessions  Sessions  `yaml:"sessions"`
	Telemetry Telemetry `yaml:"telemetry"`

	Auth Auth `yaml:"auth"`
	HTTP HTTP `yaml:"http"`
	Peer Peer `yaml:"peer"`
	MCP  MCP  `yaml:"mcp"`

	Audit Audit `yaml:"audit"`
	Txn   Txn   `yaml:"txn"`
	// Peers are the other agents owning devices of the inventory.
	Peers []PeerAgent `yaml:"peers"`
	Debug Debug       `yaml:"debug"`
}

// Txn configures the transaction coordinator.
type Txn struct {
	// Enabled runs every intent as a two-phase transaction through the
	// coordinator (prepare, commit with device confirm timers, verify,
	// confirm); the default. Off, intents apply device by device with undo
	// on failure.
	Enabled bool `yaml:"enabled"`
	// FanOut bounds how many devices one transaction drives at once; 0
	// means txn.DefaultFanOut (sized for 1,000 devices).
	FanOut int `yaml:"fan_out"`
}

// Sessions configures the device sessions the agent keeps.
type Sessions struct {
	// IdleTimeout closes a protocol session that carried no operation for
	// this long (it reopens when next needed); 0 keeps sessions open.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxOpen bounds the open sessions over all devices (opens beyond it
	// wait in line); 0 is unlimited.
	MaxOpen int `yaml:"max_open"`
	// KeepAlive is how long an open, healthy session may stay silent
	// before the health checker probes it.
	KeepAlive time.Duration `yaml:"keepalive"`
}

// Telemetry configures collection from the devices.
type Telemetry struct {
	// Enabled collects telemetry from every device of the inventory.
	Enabled bool `yaml:"enabled"`
	// Interval is the base sampling interval of a calm series; MinInterval
	// and MaxInterval bound the adaptive interval.
	Interval    time.Duration `yaml:"interval"`
	MinInterval time.Duration `yaml:"min_interval"`
	MaxInterval time.Duration `yaml:"max_interval"`
	// Budget is the most samples per second asked of one device.
	Budget int `yaml:"budget"`
	// DriftInterval is how often the configuration of applied intents is
	// read back to find out-of-band changes.
	DriftInterval time.Duration `yaml:"drift_interval"`
	// KafkaTopic is where every stored sample is exported (JSON, keyed by
	// device) when Kafka is configured (intake.kafka_brokers); empty
	// turns the export off.
	KafkaTopic string `yaml:"kafka_topic"`
}

// Audit configures the tamper-evident audit trail (internal/audit).
type Audit struct {
	// KeyFile is the agent's Ed25519 private key (PEM, PKCS #8), created
	// on first start, that signs the audit chain's head; the agent's
	// X.509 certificate certifies the same key. Empty means
	// <data_dir>/agent.key.
	KeyFile string `yaml:"key_file"`
	// SignInterval is how often the chain's head is signed (also at
	// shutdown).
	SignInterval time.Duration `yaml:"sign_interval"`
}

// AuditKeyFile is the agent key that signs the audit chain.
func (c Config) AuditKeyFile() string {
	if c.Audit.KeyFile != "" {
		return c.Audit.KeyFile
	}
	return filepath.Join(c.DataDir, "agent.key")
}

// StorePath is the embedded store's file.
func (c Config) StorePath() string { return filepath.Join(c.DataDir, "netagent.db") }

// Intake configures the intent channels besides the REST API.
type Intake struct {
	// Inbox is the directory watched for intent files (JSON or YAML), the
	// offline mode; empty means <data_dir>/inbox.
	Inbox string `yaml:"inbox"`
	// InboxInterval is how often the inbox is scanned.
	InboxInterval time.Duration `yaml:"inbox_interval"`
	// KafkaBrokers is a comma-separated list of host:port; empty disables
	// the Kafka intake (topic intents, results on intent-results).
	KafkaBrokers string `yaml:"kafka_brokers"`
	// KafkaGroup is the consumer group; empty means netagent.
	KafkaGroup string `yaml:"kafka_group"`
	// KafkaPrincipal and FilePrincipal name who intents from Kafka and
	// from the inbox act for (recorded with each intent).
	KafkaPrincipal string `yaml:"kafka_principal"`
	FilePrincipal  string `yaml:"file_principal"`
	// Kafka broker security and signed requesters (trust.go).
	KafkaSecurity `yaml:",inline"`
}

// InboxDir is where intent files are picked up.
func (c Config) InboxDir() string {
	if c.Intake.Inbox != "" {
		return c.Intake.Inbox
	}
	return filepath.Join(c.DataDir, "inbox")
}

// Brokers splits KafkaBrokers; nil when Kafka intake is off.
func (c Config) Brokers() []string {
	var out []string
	for _, b := range strings.Split(c.Intake.KafkaBrokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Lab configures the simulated lab the agent starts when no inventory is given.
type Lab struct {
	// Enabled starts the simulated lab in-process.
	Enabled bool `yaml:"enabled"`
	// Topology is a containerlab topology file; empty means the embedded 2-node lab.
	Topology string `yaml:"topology"`
}

// Timeouts bound each phase of talking to a device.
type Timeouts struct {
	Connect time.Duration `yaml:"connect"`
	Auth    time.Duration `yaml:"auth"`
	RPC     time.Duration `yaml:"rpc"`
	Commit  time.Duration `yaml:"commit"`
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Listen:    "127.0.0.1:8080",
		DataDir:   ".netagent",
		LogFormat: "text",
		LogLevel:  "info",
		Lab:       Lab{Enabled: true},
		Intake:    Intake{InboxInterval: time.Second, KafkaPrincipal: "kafka", FilePrincipal: "file-inbox"},
		Sessions:  Sessions{IdleTimeout: 10 * time.Minute, KeepAlive: 30 * time.Second},
		Telemetry: Telemetry{Enabled: true, Interval: 10 * time.Second, MinInterval: time.Second, MaxInterval: time.Minute, Budget: 200, DriftInterval: 30 * time.Second, KafkaTopic: "telemetry"},
		Audit:     Audit{SignInterval: time.Minute},
		Txn:       Txn{Enabled: true},
		Timeouts: Timeouts{
			Connect: 5 * time.Second,
			Auth:    5 * time.Second,
			RPC:     30 * time.Second,
			Commit:  60 * time.Second,
		},
		Auth: defaultAuth(),
		HTTP: defaultHTTP(),
		Peer: defaultPeer(),
	}
}

// Load returns Default overlaid with the YAML file at path (if path is not
// empty) and then with NETAGENT_* variables from environ. Unknown YAML keys
// are errors, naming the line.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "NETAGENT_") {
			env[k] = v
		}
	}
	if err := applyEnv(reflect.ValueOf(&cfg).Elem(), "NETAGENT", env); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func applyEnv(v reflect.Value, prefix string, env map[string]string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if f.Anonymous && f.Type.Kind() == reflect.Struct && tag == "" {
			// ",inline": its keys are the enclosing struct's.
			if err := applyEnv(v.Field(i), prefix, env); err != nil {
				return err
			}
			continue
		}
		if tag == "" || tag == "-" {
			continue
		}
		name := prefix + "_" + strings.ToUpper(strings.ReplaceAll(tag, "-", "_"))
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			if err := applyEnv(fv, name, env); err != nil {
				return err
			}
			continue
		}
		s, ok := env[name]
		if !ok {
			continue
		}
		if err := setScalar(fv, s); err != nil {
			return fmt.Errorf("config: %s=%q: %w", name, s, err)
		}
	}
	return nil
}

func setScalar(fv reflect.Value, s string) error {
	switch fv.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		fv.SetInt(int64(d))
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		fv.SetInt(n)
	default:
		return fmt.Errorf("unsupported kind %s", fv.Kind())
	}
	return nil
}

// Validate checks the configuration and names the offending field.
func (c Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("listen: must not be empty"))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log_format: %q is not text or json", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level: %q is not debug, info, warn or error", c.LogLevel))
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{
		{"timeouts.connect", c.Timeouts.Connect}, {"timeouts.auth", c.Timeouts.Auth}, {"timeouts.rpc", c.Timeouts.RPC},
		{"timeouts.commit", c.Timeouts.Commit}, {"intake.inbox_interval", c.Intake.InboxInterval},
		{"telemetry.interval", c.Telemetry.Interval}, {"telemetry.min_interval", c.Telemetry.MinInterval},
		{"telemetry.max_interval", c.Telemetry.MaxInterval}, {"telemetry.drift_interval", c.Telemetry.DriftInterval},
		{"sessions.keepalive", c.Sessions.KeepAlive},
		{"audit.sign_interval", c.Audit.SignInterval},
	} {
		if d.d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %s must be positive", d.name, d.d))
		}
	}
	if c.Telemetry.MinInterval > c.Telemetry.Interval || c.Telemetry.Interval > c.Telemetry.MaxInterval {
		errs = append(errs, fmt.Errorf("telemetry: min_interval %s <= interval %s <= max_interval %s does not hold",
			c.Telemetry.MinInterval, c.Telemetry.Interval, c.Telemetry.MaxInterval))
	}
	if c.Telemetry.Budget <= 0 {
		errs = append(errs, fmt.Errorf("telemetry.budget: %d must be positive", c.Telemetry.Budget))
	}
	if c.Sessions.IdleTimeout < 0 {
		errs = append(errs, fmt.Errorf("sessions.idle_timeout: %s must not be negative (0 keeps sessions open)", c.Sessions.IdleTimeout))
	}
	if c.Sessions.MaxOpen < 0 {
		errs = append(errs, fmt.Errorf("sessions.max_open: %d must not be negative (0 is unlimited)", c.Sessions.MaxOpen))
	}
	errs = append(errs, c.validateTrust(), c.validatePeers(), c.Debug.validate())
	if c.Txn.FanOut < 0 {
		errs = append(errs, fmt.Errorf("txn.fan_out: %d must not be negative", c.Txn.FanOut))
	}
	return errors.Join(errs...)
}
