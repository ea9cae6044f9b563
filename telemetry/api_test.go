package telemetry

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func apiServer(t *testing.T) (*httptest.Server, *API) {
	t.Helper()
	st := NewStore(StoreOptions{})
	ad := NewAdaptive(AdaptiveOptions{})
	now := t0.Add(time.Hour)
	for i := 0; i < 30; i++ {
		at := now.Add(-time.Duration(30-i) * 10 * time.Second)
		for _, s := range []Sample{
			{Key{CPUUtil, "r1", ""}, at, float64(10 + i)},
			{Key{LinkLatencyMs, "r1", "r1:e1-1"}, at, 1.5},
			{Key{IfInBps, "r2", "eth1"}, at, 1e6},
		} {
			if err := st.Add(s); err != nil {
				t.Fatal(err)
			}
			ad.Observe(s)
		}
	}
	c, err := NewCollector(CollectorConfig{Devices: DevicesFunc(nil), Names: []string{"r1", "r2"}, Store: st, Adaptive: ad})
	if err != nil {
		t.Fatal(err)
	}
	a := &API{Store: st, Collector: c, Adaptive: ad, Now: func() time.Time { return now }}
	routes, err := a.Routes()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, r := range routes {
		if r.Scope == "" {
			t.Errorf("route %s declares no scope", r.Pattern)
		}
		mux.Handle(r.Pattern, r.Handler)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, a
}

func get(t *testing.T, u string) (int, string, []byte) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

func TestQueryBadParameters(t *testing.T) {
	srv, _ := apiServer(t)
	tests := []struct{ query, param string }{
		{"", "metric"},
		{"metric=cpu", "metric"},
		{"metric=device.cpu.util&device=r9", "device"},
		{"metric=device.cpu.util&since=yesterday", "since"},
		{"metric=device.cpu.util&since=-5m", "since"},
		{"metric=device.cpu.util&since=2999-01-01T00:00:00Z", "since"},
		{"metric=device.cpu.util&step=0", "step"},
		{"metric=device.cpu.util&step=10ms", "step"},
		{"metric=device.cpu.util&devcie=r1", "devcie"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, ct, body := get(t, srv.URL+"/v1/telemetry?"+tt.query)
			var p struct {
				Errors []struct{ Parameter, Reason string }
			}
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if code != 400 || ct != "application/problem+json" || len(p.Errors) != 1 || p.Errors[0].Parameter != tt.param {
				t.Fatalf("%d %s %s; want 400 naming %s", code, ct, body, tt.param)
			}
		})
	}
}

func TestQuery(t *testing.T) {
	srv, _ := apiServer(t)
	code, _, body := get(t, srv.URL+"/v1/telemetry?"+url.Values{"metric": {"device.cpu.util"}, "since": {"2m"}, "step": {"1m"}}.Encode())
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var a QueryAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	if a.Unit != "percent" || len(a.Series) != 1 || a.Series[0].Key.Device != "r1" || len(a.Series[0].Points) < 2 || len(a.Series[0].Points) > 3 {
		t.Fatalf("answer %+v", a)
	}
	code, _, body = get(t, srv.URL+"/v1/telemetry/series?device=r1")
	if code != 200 || !strings.Contains(string(body), `"interval"`) || !strings.Contains(string(body), "link.latency.ms") {
		t.Fatalf("series: %d %s", code, body)
	}
}

func TestPrometheusExposition(t *testing.T) {
	srv, a := apiServer(t)
	code, _, body := get(t, srv.URL+"/metrics")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	for _, want := range []string{
		`netagent_device_cpu_utilization_ratio{device="r1"} 0.39`,
		`netagent_link_latency_seconds{device="r1",link="r1:e1-1"} 0.0015`,
		`netagent_interface_receive_bytes_per_second{device="r2",interface="eth1"} 125000`,
		`netagent_telemetry_interval_seconds{device="r1",label="",metric="device.cpu.util"}`,
		`netagent_telemetry_drops_total{device="r2",reason="out_of_range"} 0`,
		`netagent_telemetry_series 3`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	problems, err := testutil.CollectAndLint(&promSeries{a: a})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
