package kafkaintake_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/netagent/netagent/intent/kafkaintake"
	"github.com/netagent/netagent/internal/pki"
)

// secureBroker is a kfake broker that requires TLS 1.3 with a client
// certificate of the lab CA and SASL/SCRAM-SHA-512 as user netagent.
type secureBroker struct {
	dir  string
	base kafkaintake.Security // the intake's good settings
}

func newSecureBroker(t *testing.T) (*secureBroker, []kfake.Opt) {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.Init(dir, "lab")
	if err != nil {
		t.Fatal(err)
	}
	brokerCert, err := ca.Issue("broker", pki.IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Issue("netagent", pki.IssueOptions{}); err != nil {
		t.Fatal(err)
	}
	pass := filepath.Join(dir, "kafka.pass")
	if err := os.WriteFile(pass, []byte("s3cret-scram\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sb := &secureBroker{dir: dir, base: kafkaintake.Security{
		CAFile: filepath.Join(dir, "ca.crt"), CertFile: pki.CertPath(dir, "netagent"), KeyFile: pki.KeyPath(dir, "netagent"),
		SASL: kafkaintake.SCRAMSHA512, User: "netagent", PasswordFile: pass,
	}}
	return sb, []kfake.Opt{kfake.TLS(pki.ServerConfig(brokerCert, ca.Pool())), kfake.EnableSASL(),
		kfake.Superuser(kafkaintake.SCRAMSHA512, "netagent", "s3cret-scram")}
}

// TestSecureBrokerTLSAndSCRAM runs the intake against a broker requiring
// mutual TLS and SASL/SCRAM-SHA-512: a message is accepted, applied and
// answered. Check names what is wrong with a bad password, a missing
// client certificate or an untrusted broker, without waiting on retries.
func TestSecureBrokerTLSAndSCRAM(t *testing.T) {
	sb, opts := newSecureBroker(t)
	dialer, transport, err := sb.base.Build()
	if err != nil {
		t.Fatal(err)
	}
	r := newRigWith(t, rigOptions{cluster: opts, dialer: dialer, transport: transport})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := kafkaintake.Check(ctx, r.brokers, dialer); err != nil {
		t.Fatalf("Check with the right settings: %v", err)
	}
	r.startConsumer()
	r.produce(kafka.Message{Value: []byte(kIntent)})
	if res := r.nextResult(); res.Status != "accepted" || res.ID != "k-mtu" {
		t.Fatalf("answer %+v", res)
	}
	if out := r.nextOutcome(); out.State != "applied" {
		t.Fatalf("outcome %+v", out)
	}

	wrongPass := filepath.Join(sb.dir, "wrong.pass")
	if err := os.WriteFile(wrongPass, []byte("guess"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := pki.Init(filepath.Join(sb.dir, "other"), "other"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		mutate func(*kafkaintake.Security)
		want   string
	}{
		{"wrong password", func(s *kafkaintake.Security) { s.PasswordFile = wrongPass }, "SASL authentication failed"},
		{"no client certificate", func(s *kafkaintake.Security) { s.CertFile, s.KeyFile = "", "" }, "refused the TLS handshake"},
		{"broker of an untrusted CA", func(s *kafkaintake.Security) { s.CAFile = filepath.Join(sb.dir, "other", "ca.crt") }, "not trusted (intake.kafka_ca)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := sb.base
			c.mutate(&s)
			d, _, err := s.Build()
			if err != nil {
				t.Fatal(err)
			}
			err = kafkaintake.Check(ctx, r.brokers, d)
			if !errors.Is(err, kafkaintake.ErrBrokerRefused) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), r.brokers[0]) {
				t.Errorf("Check = %v, want ErrBrokerRefused naming the broker and %q", err, c.want)
			}
		})
	}
	// Run stops at once, saying why, rather than retrying a refusal.
	s := sb.base
	s.PasswordFile = wrongPass
	d, tr, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	c, err := kafkaintake.New(kafkaintake.Config{Brokers: r.brokers, Service: r.svc, Dialer: d, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(ctx); !errors.Is(err, kafkaintake.ErrBrokerRefused) {
		t.Errorf("Run with a wrong password = %v, want ErrBrokerRefused", err)
	}
	// A broker that cannot be reached is not a refusal: the reader retries.
	if err := kafkaintake.Check(ctx, []string{"127.0.0.1:1"}, dialer); err != nil {
		t.Errorf("Check of an unreachable broker = %v, want nil", err)
	}
}

// TestSecurityBuildErrors: each wrong setting is refused naming its key.
func TestSecurityBuildErrors(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.pass")
	if err := os.WriteFile(open, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pass")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		s     kafkaintake.Security
		field string
		want  string
	}{
		{"cert without key", kafkaintake.Security{CertFile: "a.crt"}, "intake.kafka_cert", "together"},
		{"missing cert files", kafkaintake.Security{CertFile: filepath.Join(dir, "no.crt"), KeyFile: filepath.Join(dir, "no.key")}, "intake.kafka_cert", "no such file"},
		{"missing CA", kafkaintake.Security{CAFile: filepath.Join(dir, "none.crt")}, "intake.kafka_ca", "no such file"},
		{"CA not PEM", kafkaintake.Security{CAFile: notPEM}, "intake.kafka_ca", "no PEM certificate"},
		{"unknown mechanism", kafkaintake.Security{SASL: "PLAIN", User: "u", PasswordFile: open}, "intake.kafka_sasl", `"PLAIN" is not SCRAM-SHA-256 or SCRAM-SHA-512`},
		{"user without mechanism", kafkaintake.Security{User: "u"}, "intake.kafka_sasl", "no mechanism"},
		{"no user", kafkaintake.Security{SASL: kafkaintake.SCRAMSHA256, PasswordFile: open}, "intake.kafka_sasl_user", "must not be empty"},
		{"no password file", kafkaintake.Security{SASL: kafkaintake.SCRAMSHA256, User: "u"}, "intake.kafka_sasl_password_file", "must name the file"},
		{"password file readable by others", kafkaintake.Security{SASL: kafkaintake.SCRAMSHA256, User: "u", PasswordFile: open}, "intake.kafka_sasl_password_file", "chmod 600"},
		{"empty password", kafkaintake.Security{SASL: kafkaintake.SCRAMSHA256, User: "u", PasswordFile: empty}, "intake.kafka_sasl_password_file", "is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := c.s.Build()
			var ce *kafkaintake.ConfigError
			if !errors.As(err, &ce) || ce.Field != c.field || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Build = %v, want a ConfigError on %s saying %q", err, c.field, c.want)
			}
		})
	}
}
