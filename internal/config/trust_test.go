package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTrustSettings(t *testing.T) {
	c, err := Load("", []string{"NETAGENT_AUTH_JWKS_URL=http://127.0.0.1:9/jwks", "NETAGENT_AUTH_JWT_ISSUER=https://as", "NETAGENT_AUTH_JWT_AUDIENCE=a1",
		"NETAGENT_HTTP_WRITE_TIMEOUT=5s", "NETAGENT_HTTP_MAX_BODY_BYTES=2048", "NETAGENT_PEER_LISTEN=127.0.0.1:0", "NETAGENT_PEER_NAME=a1",
		"NETAGENT_PEER_ALLOW=b1, b2", "NETAGENT_INTAKE_FILE_PRINCIPAL=ops-inbox",
		"NETAGENT_INTAKE_KAFKA_SASL=SCRAM-SHA-256", "NETAGENT_INTAKE_KAFKA_SASL_USER=na", "NETAGENT_INTAKE_KAFKA_SASL_PASSWORD_FILE=/run/kafka.pass",
		"NETAGENT_INTAKE_KAFKA_TLS=true", "NETAGENT_INTAKE_KAFKA_SIGNER_CA=ca.crt"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth.JWKSURL == "" || c.Auth.JWTAudience != "a1" || c.HTTP.WriteTimeout != 5*time.Second || c.HTTP.MaxBodyBytes != 2048 ||
		c.Peer.Name != "a1" || c.Intake.FilePrincipal != "ops-inbox" || c.Intake.KafkaPrincipal != "kafka" {
		t.Errorf("environment not applied: %+v", c)
	}
	if k := c.Intake.KafkaSecurity; !k.KafkaTLS || k.KafkaSASL != "SCRAM-SHA-256" || k.KafkaSASLUser != "na" ||
		k.KafkaSASLPasswordFile != "/run/kafka.pass" || k.KafkaSignerCA != "ca.crt" {
		t.Errorf("kafka security from the environment: %+v", k)
	}
	c.Auth.CertScopes = "alice=intents:read, intents:write; a2=admin"
	if m, err := c.CertScopes(); err != nil || len(m["alice"]) != 2 || m["a2"][0] != "admin" {
		t.Errorf("CertScopes = %v, %v", m, err)
	}
	if got := List(c.Peer.Allow); len(got) != 2 || got[1] != "b2" {
		t.Errorf("List(peer.allow) = %q", got)
	}
	if got, want := c.TokensPath(), filepath.Join(".netagent", "tokens.json"); got != want {
		t.Errorf("TokensPath = %q, want %q", got, want)
	}
	if got, want := c.AdminTokenPath(), filepath.Join(".netagent", "admin.token"); got != want {
		t.Errorf("AdminTokenPath = %q, want %q", got, want)
	}
	ca, cert, key := c.PeerFiles()
	if ca != filepath.Join(".netagent", "pki", "ca.crt") || cert != filepath.Join(".netagent", "pki", "a1.crt") || key != filepath.Join(".netagent", "pki", "a1.key") {
		t.Errorf("PeerFiles = %s %s %s", ca, cert, key)
	}
	for _, tc := range []struct{ env, want string }{
		{"NETAGENT_AUTH_JWKS_URL=http://x", "auth.jwks_url: needs auth.jwt_issuer and auth.jwt_audience"},
		{"NETAGENT_HTTP_IDLE_TIMEOUT=0s", "http.idle_timeout: 0s must be positive"},
		{"NETAGENT_HTTP_MAX_BODY_BYTES=10", "http.max_body_bytes: 10 is below 1024"},
		{"NETAGENT_INTAKE_KAFKA_PRINCIPAL=", "intake.kafka_principal"},
		{"NETAGENT_AUTH_TLS_CERT=a.crt", "auth.tls_cert and auth.tls_key: set both or neither"},
		{"NETAGENT_AUTH_CLIENT_CA=ca.crt", "auth.client_ca: needs auth.tls_cert"},
		{"NETAGENT_AUTH_CERT_SCOPES=alice", `auth.cert_scopes: "alice" is not NAME=scope,scope`},
		{"NETAGENT_INTAKE_KAFKA_CERT=a.crt", "intake.kafka_cert and intake.kafka_key: set both or neither"},
		{"NETAGENT_INTAKE_KAFKA_SASL=PLAIN", `intake.kafka_sasl: "PLAIN" is not SCRAM-SHA-256 or SCRAM-SHA-512`},
		{"NETAGENT_INTAKE_KAFKA_SASL=SCRAM-SHA-512", "intake.kafka_sasl: needs intake.kafka_sasl_user and intake.kafka_sasl_password_file"},
		{"NETAGENT_INTAKE_KAFKA_SASL_USER=netagent", "intake.kafka_sasl: set SCRAM-SHA-256 or SCRAM-SHA-512"},
		{"NETAGENT_INTAKE_KAFKA_SIGNERS=alice", "intake.kafka_signers: needs intake.kafka_signer_ca"},
	} {
		if _, err := Load("", []string{tc.env}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.env, err, tc.want)
		}
	}
}

// TestKafkaSecurityYAML: the intake's Kafka security keys sit with the
// other intake keys in the file.
func TestKafkaSecurityYAML(t *testing.T) {
	p := filepath.Join(t.TempDir(), "netagent.yaml")
	y := "intake:\n  kafka_brokers: 127.0.0.1:9093\n  kafka_ca: ca.crt\n  kafka_cert: na.crt\n  kafka_key: na.key\n  kafka_signers: alice, bob\n  kafka_signer_ca: ops.crt\n"
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k := c.Intake.KafkaSecurity; k.KafkaCA != "ca.crt" || k.KafkaCert != "na.crt" || k.KafkaKey != "na.key" || len(List(k.KafkaSigners)) != 2 {
		t.Errorf("intake kafka security = %+v", k)
	}
}
