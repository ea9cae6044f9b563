package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/netagent/netagent/intent/kafkaintake"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/pki"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/txn/event"
)

// TestSignedEventsEndToEnd applies an intent on the lab through the
// coordinator with an agent certificate and Kafka configured: a subscriber
// of GET /v1/events?intent= gets the intent's state changes and its
// transaction's progress and outcome, each verifying against the CA
// (signature, chain, time window, increasing sequence); a filter on type
// and device narrows them; topic events carries the same signed
// envelopes; and a tampered or replayed one is refused.
func TestSignedEventsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, kafkaintake.DefaultTopic, kafkaintake.DefaultResultsTopic, kafkaintake.DefaultDLQTopic, EventsTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	var ca *pki.CA
	_, base, _, cfg := startLabAgentWith(t, ctx, nil, lab.Options{}, func(c *config.Config) {
		c.Txn.Enabled, c.Telemetry.Enabled = true, false
		c.Peer.Name = "a1"
		c.Intake.KafkaBrokers = strings.Join(cluster.ListenAddrs(), ",")
		var err error
		if ca, err = pki.Init(c.PKIDir(), "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := ca.Issue("a1", pki.IssueOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	admin := bearerClient(t, cfg.AdminTokenPath())
	admin.Timeout = 0

	type stream struct {
		msgs chan *event.Signed
	}
	open := func(query string) stream {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/events?"+query, nil)
		resp, err := admin.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /v1/events?%s: %d", query, resp.StatusCode)
		}
		s := stream{msgs: make(chan *event.Signed, 1024)}
		go func() {
			defer resp.Body.Close()
			_ = event.ReadSigned(resp.Body, func(_ int64, m *event.Signed) error {
				s.msgs <- m
				return nil
			})
			close(s.msgs)
		}()
		return s
	}
	all := open("intent=ev-1")
	narrow := open("type=txn.outcome&device=r2")

	resp, err := admin.Post(base+"/v1/intents", "application/json", bytes.NewReader([]byte(
		`{"id":"ev-1","kind":"static-route","targets":{"devices":["r1","r2"]},"spec":{"prefix":"198.51.120.0/24","next_hops":[{"next_hop":"192.0.2.1"}]}}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %d", resp.StatusCode)
	}

	roots := ca.Pool()
	v := &event.Verifier{Roots: roots}
	var types []string
	var received []*event.Signed
	var lastSeq uint64
	var prevState string
	var states []string
	for done := false; !done; {
		select {
		case m, ok := <-all.msgs:
			if !ok {
				t.Fatal("event stream ended")
			}
			env, err := v.Verify(m)
			if err != nil {
				t.Fatalf("event does not verify: %v", err)
			}
			if env.Source != "a1" || env.Seq <= lastSeq {
				t.Fatalf("event %+v: want source a1, sequence above %d", env, lastSeq)
			}
			lastSeq = env.Seq
			received = append(received, m)
			types = append(types, env.Type)
			var p struct {
				From string `json:"from"`
				To   string `json:"to"`
			}
			_ = json.Unmarshal(env.Params, &p)
			if env.Type == event.TypeIntentState {
				// One event per stored step, each from where the last
				// one went: none repeated, none missing.
				if p.From != prevState {
					t.Errorf("intent.state %s -> %s after a step to %q", p.From, p.To, prevState)
				}
				prevState = p.To
				states = append(states, p.To)
			}
			done = env.Type == event.TypeIntentState && p.To == "applied"
		case <-ctx.Done():
			t.Fatalf("no applied state among %v", types)
		}
	}
	if want := []string{"accepted", "planned", "applying", "applied"}; !slices.Equal(states, want) {
		t.Errorf("intent.state steps %v, want %v", states, want)
	}
	for _, want := range []string{event.TypeIntentState, event.TypeTxnProgress, event.TypeTxnOutcome} {
		if !slices.Contains(types, want) {
			t.Errorf("no %s among %v", want, types)
		}
	}
	select {
	case m := <-narrow.msgs:
		env, err := (&event.Verifier{Roots: roots}).Verify(m)
		if err != nil || env.Type != event.TypeTxnOutcome || !strings.Contains(string(env.Params), `"r2"`) {
			t.Fatalf("type=txn.outcome&device=r2 got %+v, %v", env, err)
		}
	case <-ctx.Done():
		t.Fatal("the narrow subscription got nothing")
	}
	// Refused: a replay, and the same event tampered with.
	if _, err := v.Verify(received[0]); !errors.Is(err, event.ErrReplay) {
		t.Errorf("replay: %v, want ErrReplay", err)
	}
	bad := *received[len(received)-1]
	bad.Envelope = bytes.Replace(bad.Envelope, []byte(`"ev-1"`), []byte(`"ev-2"`), 1)
	if _, err := (&event.Verifier{Roots: roots}).Verify(&bad); !errors.Is(err, event.ErrBadSignature) {
		t.Errorf("tampered: %v, want ErrBadSignature", err)
	}

	// Kafka topic events carries the same signed envelopes.
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: cluster.ListenAddrs(), Topic: EventsTopic, Partition: 0, MinBytes: 1, MaxBytes: 1 << 20})
	defer r.Close()
	kv := &event.Verifier{Roots: roots}
	for found := false; !found; {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("topic %s: %v", EventsTopic, err)
		}
		var s event.Signed
		if err := json.Unmarshal(m.Value, &s); err != nil {
			t.Fatal(err)
		}
		env, err := kv.Verify(&s)
		if err != nil {
			t.Fatalf("kafka event does not verify: %v", err)
		}
		if string(m.Key) != "a1" {
			t.Fatalf("kafka key %q, want the source a1", m.Key)
		}
		found = env.Type == event.TypeTxnOutcome && strings.Contains(string(env.Params), `"ev-1"`)
	}
}
