package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/pki"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/txn/event"
)

// TestAssuranceEventsAreSigned: with an agent certificate, the telemetry's
// assurance events reach GET /v1/events?type=assurance as signed
// envelopes that verify against the CA: a latency climb on the lab gives
// a breach (or a predicted one) of the slo intent, then its recovery.
func TestAssuranceEventsAreSigned(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var ca *pki.CA
	_, base, l, cfg := startLabAgentWith(t, ctx, nil, lab.Options{}, func(c *config.Config) {
		c.Telemetry.Interval, c.Telemetry.MinInterval, c.Telemetry.MaxInterval = 500*time.Millisecond, 100*time.Millisecond, time.Second
		ca = issueAgentCert(t, c)
	})
	api := bearerClient(t, cfg.AdminTokenPath())
	api.Timeout = 0
	msgs := signedEvents(t, ctx, api, base, "type=assurance")

	body := `{"id":"lat-ev","kind":"slo","targets":{"devices":["r1"]},"spec":{"metric":"link.latency.ms","comparison":"<","target":3,"window":"2s","scope":{"interface":"e1-1"}}}`
	sub, err := api.Post(base+"/v1/intents", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sub.Body.Close()
	if sub.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %s", sub.Status)
	}
	addr := strings.TrimPrefix(base, "http://")
	for intentState(t, api, addr, "lat-ev") != "assured" {
		if ctx.Err() != nil {
			t.Fatal("the slo intent was never assured")
		}
		time.Sleep(100 * time.Millisecond)
	}
	climb := synth.Anomaly{Kind: synth.LatencyClimb, Target: "r1:e1-1", Start: time.Since(l.Telemetry().Epoch()) + time.Second, Duration: 5 * time.Second, Magnitude: 1}
	if err := l.AddAnomaly(climb); err != nil {
		t.Fatal(err)
	}

	v := &event.Verifier{Roots: ca.Pool()}
	var types []string
	breached := false
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("event stream ended after %v", types)
			}
			env, err := v.Verify(m)
			if err != nil {
				t.Fatalf("event does not verify: %v", err)
			}
			var p struct{ Intent, Device, Metric string }
			_ = json.Unmarshal(env.Params, &p)
			if env.Source != "a1" || p.Intent != "lat-ev" || p.Device != "r1" || p.Metric != "link.latency.ms" {
				t.Errorf("event %s from %s: params %s", env.Type, env.Source, env.Params)
			}
			types = append(types, env.Type)
			switch env.Type {
			case "assurance.breach", "assurance.breach-predicted":
				breached = true
			case "assurance.recovered":
				if breached {
					t.Logf("assurance events: %v", types)
					return
				}
			}
		case <-ctx.Done():
			t.Fatalf("no breach and recovery among %v", types)
		}
	}
}

// issueAgentCert makes c an agent named a1 with a certificate from a new
// CA in its data directory, and returns the CA.
func issueAgentCert(t *testing.T, c *config.Config) *pki.CA {
	t.Helper()
	c.Peer.Name = "a1"
	ca, err := pki.Init(c.PKIDir(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Issue("a1", pki.IssueOptions{}); err != nil {
		t.Fatal(err)
	}
	return ca
}

// signedEvents subscribes to GET /v1/events?query and delivers each signed
// event; the channel closes when the stream ends.
func signedEvents(t *testing.T, ctx context.Context, api *http.Client, base, query string) <-chan *event.Signed {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/events?"+query, nil)
	resp, err := api.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("GET /v1/events?%s: %d", query, resp.StatusCode)
	}
	msgs := make(chan *event.Signed, 256)
	go func() {
		defer resp.Body.Close()
		_ = event.ReadSigned(resp.Body, func(_ int64, m *event.Signed) error {
			msgs <- m
			return nil
		})
		close(msgs)
	}()
	return msgs
}
