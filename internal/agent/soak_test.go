package agent

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/yang"
)

// TestChangeThatRaisesLossIsRolledBack commits an intent whose assure block
// keeps loss on r1's link under 1 %, with a soak window; the lab raises the
// link's loss the moment the change lands. Telemetry sees the breach during
// the soak, the transaction rolls back, and r1 is back to its old
// configuration.
func TestChangeThatRaisesLossIsRolledBack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	_, base, l, cfg := startLabAgentWith(t, ctx, nil, lab.Options{}, func(cfg *config.Config) {
		cfg.Txn.Enabled = true
		cfg.Telemetry.Interval, cfg.Telemetry.MinInterval, cfg.Telemetry.MaxInterval = 200*time.Millisecond, 100*time.Millisecond, time.Second
	})
	addr := strings.TrimPrefix(base, "http://")
	api := bearerClient(t, cfg.AdminTokenPath())
	before, err := l.Running("r1")
	if err != nil {
		t.Fatal(err)
	}
	// The change raises loss on r1's link as soon as it lands.
	st, err := l.Store("r1")
	if err != nil {
		t.Fatal(err)
	}
	changed, _ := st.Changed()
	go func() {
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
		_ = l.AddAnomaly(synth.Anomaly{Kind: synth.LossBurst, Target: "r1:e1-1", Start: time.Since(l.Telemetry().Epoch()), Duration: time.Minute, Magnitude: 5})
	}()
	body := `{"id":"lossy","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","description":"new uplink"},
		"assure":[{"metric":"link.loss.pct","comparison":"<","target":1,"window":"2s","scope":{"interface":"e1-1"}}],
		"options":{"soak":"5s"}}`
	resp, err := api.Post("http://"+addr+"/v1/intents", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("submit: %s", resp.Status)
	}
	if st := waitState(ctx, t, api, addr, "lossy"); st != "rolled-back" {
		t.Fatalf("intent ended %s, want rolled-back by the soak", st)
	}
	res, err := api.Get("http://" + addr + "/v1/intents/lossy")
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Error string }
	_ = json.NewDecoder(res.Body).Decode(&rec)
	res.Body.Close()
	if !strings.Contains(rec.Error, "soak") || !strings.Contains(rec.Error, "link.loss.pct") {
		t.Errorf("rolled back for %q, want the soak's loss breach", rec.Error)
	}
	t.Logf("rolled back: %s", rec.Error)
	after, err := l.Running("r1")
	if err != nil {
		t.Fatal(err)
	}
	if !after.Equal(before) {
		t.Errorf("r1 after the roll back differs from before (-before +after):\n%s", yang.Render(yang.Diff(before, after)))
	}
}
