package kafkaintake

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/netagent/netagent/internal/auth"
)

// SASL mechanisms the intake speaks.
const (
	SCRAMSHA256 = "SCRAM-SHA-256"
	SCRAMSHA512 = "SCRAM-SHA-512"
)

// Security is how the intake connects to the brokers: TLS (verifying the
// brokers against CAFile, else the system roots), with CertFile and KeyFile
// a client certificate (mutual TLS), and SASL/SCRAM with User and the
// password read from PasswordFile (mode 0600, never from the configuration
// itself). The zero value is plain TCP without authentication.
type Security struct {
	// TLS turns TLS on; it is implied by CAFile or CertFile.
	TLS bool
	// CAFile is a PEM bundle the brokers' certificates must chain to.
	CAFile string
	// CertFile and KeyFile are the intake's client certificate (set both).
	CertFile, KeyFile string
	// ServerName overrides the name checked in the brokers' certificates
	// (default: the host of each broker address).
	ServerName string
	// SASL is "", SCRAMSHA256 or SCRAMSHA512.
	SASL string
	// User and PasswordFile are the SCRAM credentials.
	User, PasswordFile string
}

// ConfigError names the setting that is wrong and why.
type ConfigError struct {
	Field  string // the configuration key, e.g. intake.kafka_cert
	Reason string
	Err    error
}

func (e *ConfigError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("kafkaintake: %s: %s: %v", e.Field, e.Reason, e.Err)
	}
	return fmt.Sprintf("kafkaintake: %s: %s", e.Field, e.Reason)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Enabled reports whether s asks for anything beyond plain TCP.
func (s Security) Enabled() bool { return s.tlsOn() || s.SASL != "" }

func (s Security) tlsOn() bool { return s.TLS || s.CAFile != "" || s.CertFile != "" || s.KeyFile != "" }

// Build reads the files s names and returns the dialer (for the consumer
// group's reader) and transport (for the results writer) that carry them.
// Every failure is a *ConfigError naming the field.
func (s Security) Build() (*kafka.Dialer, kafka.RoundTripper, error) {
	var tc *tls.Config
	if s.tlsOn() {
		var err error
		if tc, err = s.tlsConfig(); err != nil {
			return nil, nil, err
		}
	}
	var mech sasl.Mechanism
	if s.SASL != "" || s.User != "" || s.PasswordFile != "" {
		var err error
		if mech, err = s.scram(); err != nil {
			return nil, nil, err
		}
	}
	d := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: tc, SASLMechanism: mech}
	t := &kafka.Transport{TLS: tc, SASL: mech, DialTimeout: 10 * time.Second}
	return d, t, nil
}

func (s Security) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.ServerName}
	if s.CAFile != "" {
		b, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, &ConfigError{Field: "intake.kafka_ca", Reason: "cannot read the CA bundle", Err: err}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, &ConfigError{Field: "intake.kafka_ca", Reason: s.CAFile + " holds no PEM certificate"}
		}
		tc.RootCAs = pool
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return nil, &ConfigError{Field: "intake.kafka_cert", Reason: "set intake.kafka_cert and intake.kafka_key together (mutual TLS)"}
	}
	if s.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return nil, &ConfigError{Field: "intake.kafka_cert", Reason: "cannot load the client certificate and key", Err: err}
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func (s Security) scram() (sasl.Mechanism, error) {
	var algo scram.Algorithm
	switch strings.ToUpper(s.SASL) {
	case SCRAMSHA256:
		algo = scram.SHA256
	case SCRAMSHA512:
		algo = scram.SHA512
	case "":
		return nil, &ConfigError{Field: "intake.kafka_sasl", Reason: "SASL credentials are set but no mechanism: use " + SCRAMSHA256 + " or " + SCRAMSHA512}
	default:
		return nil, &ConfigError{Field: "intake.kafka_sasl", Reason: fmt.Sprintf("%q is not %s or %s", s.SASL, SCRAMSHA256, SCRAMSHA512)}
	}
	if s.User == "" {
		return nil, &ConfigError{Field: "intake.kafka_sasl_user", Reason: "must not be empty with intake.kafka_sasl"}
	}
	if s.PasswordFile == "" {
		return nil, &ConfigError{Field: "intake.kafka_sasl_password_file", Reason: "must name the file holding the password with intake.kafka_sasl"}
	}
	pass, err := auth.ReadSecretFile(s.PasswordFile)
	if err != nil {
		return nil, &ConfigError{Field: "intake.kafka_sasl_password_file", Reason: "cannot read the password", Err: err}
	}
	if pass == "" {
		return nil, &ConfigError{Field: "intake.kafka_sasl_password_file", Reason: s.PasswordFile + " is empty"}
	}
	m, err := scram.Mechanism(algo, s.User, pass)
	if err != nil {
		return nil, &ConfigError{Field: "intake.kafka_sasl_user", Reason: "not a valid SCRAM user name", Err: err}
	}
	return m, nil
}

// ErrBrokerRefused is what Check returns (errors.Is) when a broker was
// reached and refused the intake's credentials or certificate: retrying
// will not help.
var ErrBrokerRefused = errors.New("kafkaintake: broker refused the connection")

// Check connects to each broker once with the dialer's TLS and SASL
// settings. It returns an error wrapping ErrBrokerRefused, naming the
// broker, when one was reached and refused the handshake or the
// credentials (a wrong password, an untrusted certificate), and nil when
// one accepted. Brokers that cannot be reached are not an error here: the
// reader keeps trying them.
func Check(ctx context.Context, brokers []string, d *kafka.Dialer) error {
	if d == nil {
		d = &kafka.Dialer{Timeout: 10 * time.Second}
	}
	var refused []error
	for _, b := range brokers {
		conn, err := d.DialContext(ctx, "tcp", b)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		if r := refusal(err); r != "" {
			refused = append(refused, fmt.Errorf("%w: %s: %s: %w", ErrBrokerRefused, b, r, err))
		}
	}
	return errors.Join(refused...)
}

// refusal says why err is a broker refusing us, or "" for a network error.
func refusal(err error) string {
	var ke kafka.Error
	if errors.As(err, &ke) {
		switch ke {
		case kafka.SASLAuthenticationFailed:
			return "SASL authentication failed (check intake.kafka_sasl_user and the password file)"
		case kafka.UnsupportedSASLMechanism:
			return "the broker does not offer this SASL mechanism (intake.kafka_sasl)"
		case kafka.IllegalSASLState:
			return "SASL handshake refused"
		}
	}
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var re tls.RecordHeaderError
	switch {
	case errors.As(err, &ue), errors.As(err, &ce):
		return "the broker's certificate is not trusted (intake.kafka_ca)"
	case errors.As(err, &he):
		return "the broker's certificate is for another name (intake.kafka_server_name)"
	case errors.As(err, &re):
		return "the broker does not speak TLS (unset intake.kafka_tls?)"
	case strings.Contains(err.Error(), "remote error: tls:"):
		return "the broker refused the TLS handshake (client certificate: intake.kafka_cert)"
	}
	return ""
}
