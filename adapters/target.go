package adapters

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"
)

// Protocol names.
const (
	NETCONF = "netconf"
	GNMI    = "gnmi"
	CLI     = "cli"
)

// DefaultPreference is the protocol order when the inventory gives none:
// gNMI, then NETCONF, then CLI, restricted to what the device offers.
var DefaultPreference = []string{GNMI, NETCONF, CLI}

// Secret is a credential value. It never prints: String, GoString, slog
// and JSON all show "REDACTED".
type Secret string

func (Secret) String() string   { return "REDACTED" }
func (Secret) GoString() string { return `"REDACTED"` }

// LogValue redacts the secret in slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// MarshalText redacts the secret in JSON and YAML output.
func (Secret) MarshalText() ([]byte, error) { return []byte("REDACTED"), nil }

// Reveal returns the secret's value, for the one call that sends it.
func (s Secret) Reveal() string { return string(s) }

// Credentials are what a device asks for at login.
type Credentials struct {
	Username string
	Password Secret
}

// LogValue shows the username and whether a password is set.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", c.Username), slog.Bool("password_set", c.Password != ""))
}

// Timeouts bound each step of talking to a device separately; zero fields
// take the defaults of DefaultTimeouts. A context deadline that comes first
// wins.
type Timeouts struct {
	Connect time.Duration // TCP (and TLS) connection set-up
	Auth    time.Duration // SSH handshake, host key check and login
	RPC     time.Duration // one request and its answer
	Commit  time.Duration // a commit, which devices may take longer over
}

// DefaultTimeouts are used for every zero field of Timeouts.
var DefaultTimeouts = Timeouts{Connect: 5 * time.Second, Auth: 10 * time.Second, RPC: 30 * time.Second, Commit: 60 * time.Second}

// WithDefaults returns t with zero fields filled from DefaultTimeouts.
func (t Timeouts) WithDefaults() Timeouts {
	if t.Connect <= 0 {
		t.Connect = DefaultTimeouts.Connect
	}
	if t.Auth <= 0 {
		t.Auth = DefaultTimeouts.Auth
	}
	if t.RPC <= 0 {
		t.RPC = DefaultTimeouts.RPC
	}
	if t.Commit <= 0 {
		t.Commit = DefaultTimeouts.Commit
	}
	return t
}

// Bound returns the shorter of d and the time left before ctx's deadline.
func Bound(ctx context.Context, d time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < d {
			if left <= 0 {
				return time.Millisecond
			}
			return left
		}
	}
	return d
}

// ProtocolSpec is one protocol a device offers, as the inventory lists it.
type ProtocolSpec struct {
	Name     string // netconf, gnmi, cli
	Port     int
	TLS      bool   // gNMI over TLS
	Platform string // cli: frr | srl | eos; netconf/gnmi: ignored
	// Encoding forces a NETCONF encoding ("openconfig" or "ietf"); empty
	// means choose from the device's hello.
	Encoding string
}

// Target is everything an adapter needs to reach one device over one
// protocol. It is built from the inventory by Inventory.Target.
type Target struct {
	Device      string // inventory name, used in every error and log line
	Address     string // host name or IP
	Protocol    ProtocolSpec
	Credentials Credentials
	// HostKeys checks SSH host keys (netconf, cli). Required for SSH
	// protocols: an adapter refuses to connect without it.
	HostKeys *HostKeys
	// TLS configures gNMI over TLS (and mutual TLS with client
	// certificates); nil with Protocol.TLS set means the system roots.
	TLS      *tls.Config
	Timeouts Timeouts
	Logger   *slog.Logger // nil discards
}

// Addr is address:port.
func (t Target) Addr() string { return net.JoinHostPort(t.Address, strconv.Itoa(t.Protocol.Port)) }

// Log returns the target's logger, never nil, with device and protocol attached.
func (t Target) Log() *slog.Logger {
	l := t.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return l.With("device", t.Device, "protocol", t.Protocol.Name)
}

// LogValue describes a target without its credentials' secrets.
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(slog.String("device", t.Device), slog.String("addr", t.Addr()),
		slog.String("protocol", t.Protocol.Name), slog.Any("credentials", t.Credentials))
}

// Err builds a *DeviceError for this target.
func (t Target) Err(phase Phase, kind error, notApplied bool, cause error, msg string) *DeviceError {
	return &DeviceError{Device: t.Device, Protocol: t.Protocol.Name, Phase: phase, Kind: kind,
		NotApplied: notApplied, Err: cause, Message: msg}
}

// Opener opens a Device for one target: netconf.Open, gnmi.Open, cli.Open.
type Opener func(ctx context.Context, t Target) (Device, error)

// Registry maps protocol names to their openers. Build one in main and
// pass it to OpenDevice; it is not safe for concurrent registration.
type Registry struct {
	openers map[string]Opener
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{openers: map[string]Opener{}} }

// Register adds the opener of a protocol; registering a name twice is an error.
func (r *Registry) Register(protocol string, o Opener) error {
	if _, dup := r.openers[protocol]; dup {
		return fmt.Errorf("adapters: protocol %q registered twice", protocol)
	}
	r.openers[protocol] = o
	return nil
}

// Opener returns the opener of protocol.
func (r *Registry) Opener(protocol string) (Opener, bool) {
	o, ok := r.openers[protocol]
	return o, ok
}
