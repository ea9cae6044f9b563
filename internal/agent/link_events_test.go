package agent

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/pki"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/telemetry"
	"github.com/netagent/netagent/txn/event"
)

// TestLinkEventsAreSigned takes the lab's link r1:e1-1 -- r2:eth1 down
// and up again (the lab's link fault): GET /v1/events?type=link carries,
// signed by the agent and verifying against the CA, link.down for both
// ends (r1 over gNMI, r2 over CLI polling), then link.up for both; no
// other interface is named.
func TestLinkEventsAreSigned(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var ca *pki.CA
	_, base, l, cfg := startLabAgentWith(t, ctx, nil, lab.Options{}, func(c *config.Config) {
		c.Telemetry.Interval, c.Telemetry.MinInterval, c.Telemetry.MaxInterval = 300*time.Millisecond, 100*time.Millisecond, 500*time.Millisecond
		ca = issueAgentCert(t, c)
	})
	api := bearerClient(t, cfg.AdminTokenPath())
	api.Timeout = 0
	msgs := signedEvents(t, ctx, api, base, "type=link")
	// The collector must have seen both ends up before the fault: a first
	// sight is no event.
	waitUp := func() {
		for dev, ifc := range map[string]string{"r1": "e1-1", "r2": "eth1"} {
			for {
				var list struct {
					Series []struct {
						Key telemetry.Key `json:"key"`
					} `json:"series"`
				}
				r, err := api.Get(base + "/v1/telemetry/series?device=" + dev)
				if err == nil {
					_ = json.NewDecoder(r.Body).Decode(&list)
					r.Body.Close()
				}
				seen := false
				for _, s := range list.Series {
					if s.Key.Metric == telemetry.IfOperStatus && s.Key.Label == ifc {
						seen = true
					}
				}
				if seen {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("the collector never stored %s's %s of %s", telemetry.IfOperStatus, ifc, dev)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	waitUp()
	v := &event.Verifier{Roots: ca.Pool()}
	want := func(typ string) {
		t.Helper()
		ends := map[string]string{"r1": "e1-1", "r2": "eth1"}
		got := map[string]bool{}
		for len(got) < len(ends) {
			select {
			case m, ok := <-msgs:
				if !ok {
					t.Fatalf("event stream ended waiting for %s", typ)
				}
				env, err := v.Verify(m)
				if err != nil {
					t.Fatalf("event does not verify: %v", err)
				}
				var p struct{ Device, Interface, State string }
				_ = json.Unmarshal(env.Params, &p)
				if env.Source != "a1" || ends[p.Device] != p.Interface || env.Subject != "device/"+p.Device {
					t.Fatalf("event %s from %s subject %s: params %s", env.Type, env.Source, env.Subject, env.Params)
				}
				if env.Type != typ {
					t.Fatalf("%s for %s:%s while waiting for %s", env.Type, p.Device, p.Interface, typ)
				}
				got[p.Device] = true
			case <-ctx.Done():
				t.Fatalf("no %s for both ends (got %v)", typ, got)
			}
		}
	}
	if err := l.SetLink("r1:e1-1", false); err != nil {
		t.Fatal(err)
	}
	want(event.TypeLinkDown)
	if err := l.SetLink("r1:e1-1", true); err != nil {
		t.Fatal(err)
	}
	want(event.TypeLinkUp)
}
