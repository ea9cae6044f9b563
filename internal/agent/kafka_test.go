package agent

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/kafkaintake"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/pki"
)

// TestKafkaIntakeOverMTLSAndSCRAMWithSignedRequester runs the agent's
// Kafka intake, configured by intake.kafka_* keys, against a broker that
// requires mutual TLS 1.3 and SASL/SCRAM-SHA-256. A message signed by
// alice's certificate (of intake.kafka_signer_ca) is applied on the lab as
// "kafka for alice"; the same intent with its value changed after signing
// is refused and audited, and the lab is not touched by it.
func TestKafkaIntakeOverMTLSAndSCRAMWithSignedRequester(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
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
	aliceCert, err := ca.Issue("alice", pki.IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pass := filepath.Join(dir, "kafka.pass")
	if err := os.WriteFile(pass, []byte("scram-pass"), 0o600); err != nil {
		t.Fatal(err)
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1),
		kfake.SeedTopics(1, kafkaintake.DefaultTopic, kafkaintake.DefaultResultsTopic, kafkaintake.DefaultDLQTopic),
		kfake.TLS(pki.ServerConfig(brokerCert, ca.Pool())), kfake.EnableSASL(), kfake.Superuser(kafkaintake.SCRAMSHA256, "netagent", "scram-pass"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	sec := config.KafkaSecurity{KafkaCA: filepath.Join(dir, "ca.crt"), KafkaCert: pki.CertPath(dir, "netagent"), KafkaKey: pki.KeyPath(dir, "netagent"),
		KafkaSASL: kafkaintake.SCRAMSHA256, KafkaSASLUser: "netagent", KafkaSASLPasswordFile: pass,
		KafkaSignerCA: filepath.Join(dir, "ca.crt"), KafkaSigners: "alice"}

	// A wrong file is refused at start, naming its key.
	bad := config.Default()
	bad.Intake.KafkaBrokers = strings.Join(cluster.ListenAddrs(), ",")
	bad.Intake.KafkaSecurity = sec
	bad.Intake.KafkaCert = filepath.Join(dir, "missing.crt")
	if _, err := openKafka(bad, cluster.ListenAddrs(), nil, nil, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "intake.kafka_cert") {
		t.Errorf("openKafka with a missing certificate = %v, want an error naming intake.kafka_cert", err)
	}

	a, _, l, _ := startLabAgent(t, ctx, nil, func(c *config.Config) {
		c.Intake.KafkaBrokers = strings.Join(cluster.ListenAddrs(), ",")
		c.Intake.KafkaSecurity = sec
		c.Telemetry.Enabled = false
	})
	clientSec := kafkaintake.Security{CAFile: sec.KafkaCA, CertFile: sec.KafkaCert, KeyFile: sec.KafkaKey, SASL: sec.KafkaSASL, User: "netagent", PasswordFile: pass}
	_, transport, err := clientSec.Build()
	if err != nil {
		t.Fatal(err)
	}
	w := &kafka.Writer{Addr: kafka.TCP(cluster.ListenAddrs()...), Topic: kafkaintake.DefaultTopic, BatchTimeout: time.Millisecond, Transport: transport}
	defer w.Close()
	leaf, err := x509.ParseCertificate(aliceCert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	sign := func(v string) []kafka.Header {
		sig, err := kafkaintake.Sign(aliceCert.PrivateKey.(*ecdsa.PrivateKey), []*x509.Certificate{leaf}, []byte(v))
		if err != nil {
			t.Fatal(err)
		}
		return []kafka.Header{{Key: kafkaintake.HeaderSignature, Value: []byte(sig)}}
	}
	good := `{"id":"kafka-alice","kind":"interface","targets":{"devices":["r2"]},"spec":{"name":"eth1","description":"signed by alice"}}`
	tampered := `{"id":"kafka-forged","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","description":"forged"}}`
	before := snapshot(t, l)
	if err := w.WriteMessages(ctx,
		kafka.Message{Value: []byte(good), Headers: sign(good)},
		kafka.Message{Value: []byte(tampered), Headers: sign(strings.Replace(tampered, "forged", "original", 1))}); err != nil {
		t.Fatal(err)
	}
	var rec *intent.Record
	deadline := time.Now().Add(60 * time.Second)
	for {
		rec, err = a.net.intent.Wait(ctx, "kafka-alice", intent.StateApplied, intent.StateFailed)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("signed intent: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rec.State != intent.StateApplied || rec.Source.Principal == nil || rec.Source.Principal.String() != "kafka for alice" {
		t.Fatalf("signed intent %s by %v, want applied by kafka for alice", rec.State, rec.Source.Principal)
	}
	var refusal *audit.Entry
	for refusal == nil {
		es, err := audit.Query(ctx, a.net.db, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range es {
			if e.Action == audit.ActionIntentRefused {
				refusal = &es[i]
			}
		}
		if refusal == nil && time.Now().After(deadline) {
			t.Fatal("the forged message was not audited as refused")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var d map[string]string
	_ = json.Unmarshal(refusal.Detail, &d)
	if d["intent_id"] != "kafka-forged" || !strings.Contains(d["reason"], "does not match the message") || d["claimed_signer"] != "alice" {
		t.Errorf("refusal detail %v", d)
	}
	if _, err := a.net.intent.Get(ctx, "kafka-forged"); err == nil {
		t.Error("the forged intent was stored")
	}
	if after := snapshot(t, l); after["r1"] != before["r1"] {
		t.Error("r1 changed: the forged intent reached it")
	}
}
