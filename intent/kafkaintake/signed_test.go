package kafkaintake_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/kafkaintake"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/pki"
)

// signer is a certificate and key that can sign intent messages.
type signer struct {
	key   *ecdsa.PrivateKey
	chain []*x509.Certificate
}

func issue(t *testing.T, ca *pki.CA, name string, o pki.IssueOptions) signer {
	t.Helper()
	c, err := ca.Issue(name, o)
	if err != nil {
		t.Fatal(err)
	}
	return tlsSigner(t, c)
}

func tlsSigner(t *testing.T, c tls.Certificate) signer {
	t.Helper()
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: c.PrivateKey.(*ecdsa.PrivateKey), chain: []*x509.Certificate{leaf}}
}

func (s signer) sign(t *testing.T, value string) string {
	t.Helper()
	sig, err := kafkaintake.Sign(s.key, s.chain, []byte(value))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func sigHeader(sig string) []kafka.Header {
	return []kafka.Header{{Key: kafkaintake.HeaderSignature, Value: []byte(sig)}}
}

func signedIntent(id, desc string) string {
	return `{"id":"` + id + `","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth3","description":"` + desc + `"}}`
}

// TestSignedRequester: a message signed by a certificate of the trusted CA
// acts for its signer (delivered by the broker connection's principal on
// its behalf); an unsigned one for the configured Kafka principal only;
// every bad signature is refused: answered rejected, copied to the
// dead-letter topic, recorded as intent.refused in the audit chain, and
// nothing stored or applied.
func TestSignedRequester(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.Init(filepath.Join(dir, "trusted"), "ops")
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.Init(filepath.Join(dir, "other"), "elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	alice := issue(t, ca, "alice", pki.IssueOptions{})
	mallory := issue(t, other, "alice", pki.IssueOptions{}) // same name, another CA
	expired := issue(t, ca, "old-bot", pki.IssueOptions{NotBefore: time.Now().Add(-48 * time.Hour), Validity: time.Hour})
	stranger := issue(t, ca, "stranger", pki.IssueOptions{})

	r := newRig(t)
	r.startConsumerWith(func(c *kafkaintake.Config) {
		c.Signers = &kafkaintake.Signers{Roots: ca.Pool(), Allow: []string{"alice", "old-bot"}}
		c.Audit = r.audit
	})

	good := signedIntent("k-signed", "by alice")
	tampered := signedIntent("k-tampered", "changed after signing")
	noID := `{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","description":"no id"}}`
	cases := []struct {
		name, id, value string
		headers         []kafka.Header
		// reason is what the refusal says; "" means accepted.
		reason string
		// subject is the principal chain recorded when accepted.
		subject string
	}{
		{name: "signed by a trusted certificate", id: "k-signed", value: good, headers: sigHeader(alice.sign(t, good)), subject: "kafka for alice"},
		{name: "unsigned", id: "k-unsigned", value: `{"id":"k-unsigned","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth4","description":"plain"}}`, subject: "kafka"},
		{name: "value changed after signing", id: "k-tampered", value: tampered, headers: sigHeader(alice.sign(t, signedIntent("k-tampered", "original"))),
			reason: "does not match the message"},
		{name: "certificate of another CA", id: "k-other-ca", value: signedIntent("k-other-ca", "x"), headers: sigHeader(mallory.sign(t, signedIntent("k-other-ca", "x"))),
			reason: "certificate not trusted"},
		{name: "expired certificate", id: "k-expired", value: signedIntent("k-expired", "x"), headers: sigHeader(expired.sign(t, signedIntent("k-expired", "x"))),
			reason: "certificate not trusted"},
		{name: "signer not admitted", id: "k-stranger", value: signedIntent("k-stranger", "x"), headers: sigHeader(stranger.sign(t, signedIntent("k-stranger", "x"))),
			reason: "not in intake.kafka_signers"},
		{name: "garbage signature", id: "k-garbage", value: signedIntent("k-garbage", "x"), headers: sigHeader("not-a-jws"),
			reason: "not a detached compact JWS"},
		{name: "two signatures", id: "k-two", value: signedIntent("k-two", "x"),
			headers: append(sigHeader(alice.sign(t, signedIntent("k-two", "x"))), sigHeader(alice.sign(t, signedIntent("k-two", "x")))...),
			reason:  "2 netagent-signature headers"},
		{name: "signed without an id", id: "", value: noID, headers: sigHeader(alice.sign(t, noID)), reason: "must carry its id"},
	}
	for _, c := range cases {
		r.produce(kafka.Message{Key: []byte("key-" + c.name), Value: []byte(c.value), Headers: c.headers})
	}
	// Answers come in any order (messages are handled concurrently).
	answers := map[string]kafkaintake.Result{}
	for range cases {
		res := r.nextResult()
		answers[res.ID] = res
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	refusals := refusedEntries(t, r)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, ok := answers[c.id]
			if !ok {
				t.Fatalf("no answer for %q in %v", c.id, answers)
			}
			if c.reason == "" {
				if res.Status != "accepted" {
					t.Fatalf("answer %+v, want accepted", res)
				}
				rec, err := r.svc.Wait(ctx, c.id, intent.StateApplied)
				if err != nil {
					t.Fatal(err)
				}
				if p := rec.Source.Principal; p == nil || p.String() != c.subject {
					t.Errorf("principal = %v, want %q", p, c.subject)
				}
				return
			}
			if res.Status != "rejected" || !strings.Contains(res.Reason, c.reason) {
				t.Errorf("answer %+v, want rejected with %q", res, c.reason)
			}
			if c.id != "" {
				if _, err := r.svc.Get(ctx, c.id); !errors.Is(err, intent.ErrNotFound) {
					t.Errorf("a refused message was stored: %v", err)
				}
			}
			e, ok := refusals[c.id]
			if !ok {
				t.Fatalf("no intent.refused audit entry for %q", c.id)
			}
			var d map[string]string
			_ = json.Unmarshal(e.Detail, &d)
			if !strings.Contains(d["reason"], c.reason) || d["channel"] != "kafka" || d["source"] == "" {
				t.Errorf("audit detail %v", d)
			}
			if p, _ := e.Principal(); p.Subject != "kafka" {
				t.Errorf("refusal attributed to %v, want the broker connection's principal", p)
			}
		})
	}
	if got := refusals["k-other-ca"]; !strings.Contains(string(got.Detail), `"claimed_signer":"alice"`) {
		t.Errorf("refusal does not name the claimed signer: %s", got.Detail)
	}
	// Nothing refused reached a device: leaf1 was configured for the two
	// accepted intents only.
	if n, _ := r.net.Applied("leaf1"); n != 2 {
		t.Errorf("leaf1 configured %d times, want 2", n)
	}
	if rep, err := audit.Verify(ctx, r.db, nil); err != nil {
		t.Errorf("audit chain: %v (%+v)", err, rep)
	}
}

// refusedEntries waits for the refusals the consumer records and returns
// them by the intent id the message named.
func refusedEntries(t *testing.T, r *rig) map[string]audit.Entry {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		es, err := audit.Query(context.Background(), r.db, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]audit.Entry{}
		for _, e := range es {
			if e.Action == audit.ActionIntentRefused {
				var d map[string]string
				_ = json.Unmarshal(e.Detail, &d)
				out[d["intent_id"]] = e
			}
		}
		if len(out) >= 7 || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}
