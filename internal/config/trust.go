package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Auth configures who may call the agent's APIs.
type Auth struct {
	// TokensFile is the bearer token file (hashed secrets, mode 0600);
	// empty means <data_dir>/tokens.json.
	TokensFile string `yaml:"tokens_file"`
	// AdminTokenFile is where the agent writes the admin token it creates
	// on first start and where the command line reads it; empty means
	// <data_dir>/admin.token.
	AdminTokenFile string `yaml:"admin_token_file"`
	// JWKSURL, when set, also accepts JWTs signed by a key of this set,
	// with iss JWTIssuer and aud JWTAudience (both required with it).
	JWKSURL     string `yaml:"jwks_url"`
	JWTIssuer   string `yaml:"jwt_issuer"`
	JWTAudience string `yaml:"jwt_audience"`
	// TLSCert and TLSKey, when set, serve the API over TLS (1.2 minimum).
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// ClientCA, with TLS, also accepts client certificates chaining to this
	// PEM bundle; CertScopes grants them scopes by identity (the
	// certificate's netagent://agent/NAME or common name):
	// "alice=intents:read,intents:write; a2=admin". A certificate whose
	// identity is not listed is refused (403).
	ClientCA   string `yaml:"client_ca"`
	CertScopes string `yaml:"cert_scopes"`
}

// CertScopes parses auth.cert_scopes into identity -> scope names.
func (c Config) CertScopes() (map[string][]string, error) {
	out := map[string][]string{}
	for _, e := range strings.Split(c.Auth.CertScopes, ";") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		name, scopes, ok := strings.Cut(e, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || len(List(scopes)) == 0 {
			return nil, fmt.Errorf("auth.cert_scopes: %q is not NAME=scope,scope", e)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("auth.cert_scopes: %q is listed twice", name)
		}
		out[name] = List(scopes)
	}
	return out, nil
}

// HTTP bounds every server the agent runs (API and peer listener).
type HTTP struct {
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds a response; routes that stream (Server-Sent
	// Events) lift it for themselves.
	WriteTimeout   time.Duration `yaml:"write_timeout"`
	IdleTimeout    time.Duration `yaml:"idle_timeout"`
	MaxHeaderBytes int           `yaml:"max_header_bytes"`
	// MaxBodyBytes caps every request body; handlers may cap lower.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// Peer configures the agent-to-agent listener (mutual TLS).
type Peer struct {
	// Listen is the peer API address; empty disables the listener.
	Listen string `yaml:"listen"`
	// Name is this agent's name, as its certificate's URI SAN
	// netagent://agent/NAME says.
	Name string `yaml:"name"`
	// CA is the PEM bundle peers' certificates must chain to; empty means
	// <data_dir>/pki/ca.crt (`netagent pki init`).
	CA string `yaml:"ca"`
	// Cert and Key are this agent's certificate; empty means
	// <data_dir>/pki/<name>.crt and .key (`netagent pki issue NAME`).
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// Allow is a comma-separated list of the agent names admitted; empty
	// admits every agent certificate of the CA.
	Allow string `yaml:"allow"`
	// Scopes are what an admitted peer may do, comma-separated.
	Scopes string `yaml:"scopes"`
}

// KafkaSecurity is how the Kafka intake connects to its brokers and whose
// signed requesters it trusts (intake.kafka_*).
type KafkaSecurity struct {
	// KafkaTLS connects over TLS (1.2 minimum); implied by KafkaCA and
	// KafkaCert.
	KafkaTLS bool `yaml:"kafka_tls"`
	// KafkaCA is the PEM bundle the brokers' certificates must chain to;
	// empty means the system roots.
	KafkaCA string `yaml:"kafka_ca"`
	// KafkaCert and KafkaKey are the intake's client certificate (mutual
	// TLS); set both or neither.
	KafkaCert string `yaml:"kafka_cert"`
	KafkaKey  string `yaml:"kafka_key"`
	// KafkaServerName overrides the name checked in the brokers'
	// certificates.
	KafkaServerName string `yaml:"kafka_server_name"`
	// KafkaSASL is SCRAM-SHA-256 or SCRAM-SHA-512 (empty: no SASL), with
	// KafkaSASLUser and the password in KafkaSASLPasswordFile (mode 0600).
	KafkaSASL             string `yaml:"kafka_sasl"`
	KafkaSASLUser         string `yaml:"kafka_sasl_user"`
	KafkaSASLPasswordFile string `yaml:"kafka_sasl_password_file"`
	// KafkaSignerCA is the PEM bundle whose certificates may sign intent
	// messages (the netagent-signature header names the requester); empty
	// refuses every signed message (unsigned ones act for
	// kafka_principal).
	KafkaSignerCA string `yaml:"kafka_signer_ca"`
	// KafkaSigners is a comma-separated list of the signer identities
	// admitted; empty admits every certificate of KafkaSignerCA.
	KafkaSigners string `yaml:"kafka_signers"`
}

func defaultAuth() Auth { return Auth{} }

func defaultHTTP() HTTP {
	return HTTP{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10, MaxBodyBytes: 4 << 20}
}

func defaultPeer() Peer { return Peer{Name: "netagent", Scopes: "txn:participate"} }

// TokensPath is the bearer token file.
func (c Config) TokensPath() string {
	if c.Auth.TokensFile != "" {
		return c.Auth.TokensFile
	}
	return filepath.Join(c.DataDir, "tokens.json")
}

// AdminTokenPath is the admin token's secret file.
func (c Config) AdminTokenPath() string {
	if c.Auth.AdminTokenFile != "" {
		return c.Auth.AdminTokenFile
	}
	return filepath.Join(c.DataDir, "admin.token")
}

// PKIDir is where `netagent pki` keeps the local CA and agent certificates.
func (c Config) PKIDir() string { return filepath.Join(c.DataDir, "pki") }

// PeerFiles returns the CA bundle, certificate and key of the peer listener.
func (c Config) PeerFiles() (ca, cert, key string) {
	ca, cert, key = c.Peer.CA, c.Peer.Cert, c.Peer.Key
	if ca == "" {
		ca = filepath.Join(c.PKIDir(), "ca.crt")
	}
	if cert == "" {
		cert = filepath.Join(c.PKIDir(), c.Peer.Name+".crt")
	}
	if key == "" {
		key = filepath.Join(c.PKIDir(), c.Peer.Name+".key")
	}
	return ca, cert, key
}

// List splits a comma-separated setting, dropping blanks.
func List(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (c Config) validateTrust() error {
	var errs []error
	if c.Auth.JWKSURL != "" && (c.Auth.JWTIssuer == "" || c.Auth.JWTAudience == "") {
		errs = append(errs, errors.New("auth.jwks_url: needs auth.jwt_issuer and auth.jwt_audience"))
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{
		{"http.read_header_timeout", c.HTTP.ReadHeaderTimeout}, {"http.read_timeout", c.HTTP.ReadTimeout},
		{"http.write_timeout", c.HTTP.WriteTimeout}, {"http.idle_timeout", c.HTTP.IdleTimeout},
	} {
		if d.d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %s must be positive", d.name, d.d))
		}
	}
	if c.HTTP.MaxHeaderBytes < 1024 {
		errs = append(errs, fmt.Errorf("http.max_header_bytes: %d is below 1024", c.HTTP.MaxHeaderBytes))
	}
	if c.HTTP.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("http.max_body_bytes: %d is below 1024", c.HTTP.MaxBodyBytes))
	}
	if (c.Auth.TLSCert == "") != (c.Auth.TLSKey == "") {
		errs = append(errs, errors.New("auth.tls_cert and auth.tls_key: set both or neither"))
	}
	if c.Auth.ClientCA != "" && c.Auth.TLSCert == "" {
		errs = append(errs, errors.New("auth.client_ca: needs auth.tls_cert and auth.tls_key"))
	}
	if _, err := c.CertScopes(); err != nil {
		errs = append(errs, err)
	}
	if c.Peer.Listen != "" && c.Peer.Name == "" {
		errs = append(errs, errors.New("peer.name: must not be empty when peer.listen is set"))
	}
	if c.Intake.KafkaPrincipal == "" || c.Intake.FilePrincipal == "" {
		errs = append(errs, errors.New("intake.kafka_principal and intake.file_principal: must not be empty"))
	}
	errs = append(errs, c.Intake.KafkaSecurity.validate())
	return errors.Join(errs...)
}

func (k KafkaSecurity) validate() error {
	var errs []error
	if (k.KafkaCert == "") != (k.KafkaKey == "") {
		errs = append(errs, errors.New("intake.kafka_cert and intake.kafka_key: set both or neither"))
	}
	switch strings.ToUpper(k.KafkaSASL) {
	case "":
		if k.KafkaSASLUser != "" || k.KafkaSASLPasswordFile != "" {
			errs = append(errs, errors.New("intake.kafka_sasl: set SCRAM-SHA-256 or SCRAM-SHA-512 with intake.kafka_sasl_user"))
		}
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		if k.KafkaSASLUser == "" || k.KafkaSASLPasswordFile == "" {
			errs = append(errs, errors.New("intake.kafka_sasl: needs intake.kafka_sasl_user and intake.kafka_sasl_password_file"))
		}
	default:
		errs = append(errs, fmt.Errorf("intake.kafka_sasl: %q is not SCRAM-SHA-256 or SCRAM-SHA-512", k.KafkaSASL))
	}
	if k.KafkaSigners != "" && k.KafkaSignerCA == "" {
		errs = append(errs, errors.New("intake.kafka_signers: needs intake.kafka_signer_ca"))
	}
	return errors.Join(errs...)
}
