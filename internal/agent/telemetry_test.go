package agent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/synth"
)

// TestSLOIntentIsAssured runs the agent against the two-node lab with a
// scripted latency climb on r1's link: a slo intent "latency on r1 e1-1
// below 3 ms" goes assured, then drifted (breach predicted) or breached as
// the latency climbs past 3 ms, then assured again when it recovers. The
// series and the agent's own collection figures are on /metrics and
// /v1/telemetry.
func TestSLOIntentIsAssured(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	_, base, l, cfg := startLabAgentWith(t, ctx, nil, lab.Options{}, func(cfg *config.Config) {
		cfg.Telemetry.Interval, cfg.Telemetry.MinInterval, cfg.Telemetry.MaxInterval = 500*time.Millisecond, 100*time.Millisecond, time.Second
	})
	addr := strings.TrimPrefix(base, "http://")
	api := bearerClient(t, cfg.AdminTokenPath())
	body := `{"id":"lat-r1","kind":"slo","targets":{"devices":["r1"]},"spec":{"metric":"link.latency.ms","comparison":"<","target":3,"window":"2s","scope":{"interface":"e1-1"}}}`
	resp, err := api.Post("http://"+addr+"/v1/intents", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %s", resp.Status)
	}
	seen := map[string]int{}
	var order []string // the states in the order they came, repeats collapsed
	poll := func(until func(st string) bool) {
		for ctx.Err() == nil {
			st := intentState(t, api, addr, "lat-r1")
			if len(order) == 0 || order[len(order)-1] != st {
				order = append(order, st)
			}
			seen[st]++
			if until(st) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Assured first, however long the agent took to start on a busy
	// machine; only then does the latency climb on the lab.
	poll(func(st string) bool { return st == "assured" })
	climb := synth.Anomaly{Kind: synth.LatencyClimb, Target: "r1:e1-1", Start: time.Since(l.Telemetry().Epoch()) + time.Second, Duration: 5 * time.Second, Magnitude: 1}
	if err := l.AddAnomaly(climb); err != nil {
		t.Fatal(err)
	}
	poll(func(st string) bool { return seen["breached"] > 0 && st == "assured" })
	t.Logf("states: %v", order)
	if seen["breached"] == 0 || order[len(order)-1] != "assured" {
		t.Fatalf("states %v: want a breach and then assured again", order)
	}
	i := strings.Index(strings.Join(order, " "), "assured")
	if i < 0 || !strings.Contains(strings.Join(order, " ")[i:], "breached") {
		t.Errorf("states %v: want assured before the breach", order)
	}

	for _, tc := range []struct{ path, want string }{
		{"/metrics", `netagent_link_latency_seconds{device="r1",link="r1:e1-1"}`},
		{"/metrics", `netagent_telemetry_samples_total{device="r2"}`},
		{"/v1/telemetry?metric=device.cpu.util&since=30s", `"device":"r2"`},
		{"/v1/telemetry/assurance/lat-r1", `"status":"assured"`},
	} {
		res, err := api.Get("http://" + addr + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), tc.want) {
			t.Errorf("GET %s: %s, want %s in\n%.2000s", tc.path, res.Status, tc.want, b)
		}
	}
}

func intentState(t *testing.T, api *http.Client, addr, id string) string {
	t.Helper()
	resp, err := api.Get("http://" + addr + "/v1/intents/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rec struct{ State string }
	if err := json.NewDecoder(resp.Body).Decode(&rec); err != nil {
		t.Fatal(err)
	}
	return rec.State
}
