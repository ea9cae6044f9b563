//go:build interop

package agent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/interop"
	"github.com/netagent/netagent/lab"
)

// TestPrometheusScrapesTheAgent runs a real Prometheus server (Debian's)
// against the agent's /metrics while the agent collects the two-node lab,
// and reads the device series and the agent's own series back through
// Prometheus's HTTP API; promtool checks the exposition.
func TestPrometheusScrapesTheAgent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, base, _, cfg := startLabAgentWith(t, ctx, nil, lab.Options{}, func(cfg *config.Config) {
		cfg.Telemetry.Interval, cfg.Telemetry.MinInterval = time.Second, 500*time.Millisecond
	})
	addr := strings.TrimPrefix(base, "http://")
	api := bearerClient(t, cfg.AdminTokenPath())
	token, err := auth.ReadSecretFile(cfg.AdminTokenPath())
	if err != nil {
		t.Fatal(err)
	}
	prom := interop.Prometheus(t, addr, token)

	for _, q := range []string{
		`netagent_device_cpu_utilization_ratio{device="r1"}`,
		`netagent_link_latency_seconds{device="r2"}`,
		`netagent_interface_receive_bytes_per_second{device="r1",interface="e1-1"}`,
		`netagent_telemetry_samples_total{device="r2"}`,
		`up{job="netagent"}`,
	} {
		var got int
		deadline := time.Now().Add(45 * time.Second)
		for time.Now().Before(deadline) {
			if got = promQuery(t, prom, q); got > 0 {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if got == 0 {
			t.Errorf("Prometheus has no %s", q)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := api.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	t.Logf("promtool: %s", interop.Promtool(t, body))
}

// promQuery runs an instant query and returns how many series answered.
func promQuery(t *testing.T, prom, q string) int {
	t.Helper()
	res, err := http.Get(prom + "/api/v1/query?" + url.Values{"query": {q}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0 // not ready, or the scrape not in yet: asked again
	}
	var ans struct {
		Status string
		Data   struct {
			Result []json.RawMessage
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&ans); err != nil {
		t.Fatal(err)
	}
	if ans.Status != "success" {
		t.Fatalf("query %s: %s", q, ans.Status)
	}
	return len(ans.Data.Result)
}
