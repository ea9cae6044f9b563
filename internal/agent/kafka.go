package agent

import (
	"crypto/x509"
	"fmt"
	"log/slog"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/kafkaintake"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/pki"
)

// openKafka builds the Kafka intake from intake.kafka_*: the brokers'
// TLS (CA, client certificate) and SASL/SCRAM settings, the broker
// connection's principal, and the CA whose certificates may sign intent
// messages. Every file is read here, so a wrong path or a bad file stops
// the start with the key that names it.
func openKafka(cfg config.Config, brokers []string, svc *intent.Service, alog *audit.Log, log *slog.Logger) (*kafkaintake.Consumer, error) {
	k := cfg.Intake.KafkaSecurity
	sec := kafkaintake.Security{TLS: k.KafkaTLS, CAFile: k.KafkaCA, CertFile: k.KafkaCert, KeyFile: k.KafkaKey,
		ServerName: k.KafkaServerName, SASL: k.KafkaSASL, User: k.KafkaSASLUser, PasswordFile: k.KafkaSASLPasswordFile}
	dialer, transport, err := sec.Build()
	if err != nil {
		return nil, err
	}
	var roots *x509.CertPool
	if k.KafkaSignerCA != "" {
		if roots, err = pki.LoadPool(k.KafkaSignerCA); err != nil {
			return nil, fmt.Errorf("intake.kafka_signer_ca: %w", err)
		}
	}
	kc := kafkaintake.Config{Brokers: brokers, GroupID: cfg.Intake.KafkaGroup, Service: svc, Log: log,
		Principal: channelPrincipals(cfg)["kafka"], Audit: alog,
		Signers: &kafkaintake.Signers{Roots: roots, Allow: config.List(k.KafkaSigners)}}
	if sec.Enabled() {
		kc.Dialer, kc.Transport = dialer, transport
	}
	log.Info("kafka intake security", "tls", sec.TLS || k.KafkaCA != "" || k.KafkaCert != "", "client_cert", k.KafkaCert != "",
		"sasl", k.KafkaSASL, "sasl_user", k.KafkaSASLUser, "signer_ca", k.KafkaSignerCA)
	return kafkaintake.New(kc)
}
