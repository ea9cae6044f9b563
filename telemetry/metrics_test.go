package telemetry

import (
	"errors"
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		value  any
		want   Sample
		ok     bool
		isDrop bool
	}{
		{"cpu", "/system/cpus/cpu[index=ALL]/state/total/instant", uint64(37), Sample{Key{CPUUtil, "r1", ""}, t0, 37}, true, false},
		{"cpu as string", "/system/cpus/cpu[index=ALL]/state/total/instant", "12.5", Sample{Key{CPUUtil, "r1", ""}, t0, 12.5}, true, false},
		{"memory", "/lab/system/state/memory-util", 61.25, Sample{Key{MemUtil, "r1", ""}, t0, 61.25}, true, false},
		{"psu", "/components/component[name=PSU2]/state/oper-status", "INACTIVE", Sample{Key{PowerStatus, "r1", "PSU2"}, t0, 0}, true, false},
		{"oper up", "/interfaces/interface[name=ethernet-1/1]/state/oper-status", "UP", Sample{Key{IfOperStatus, "r1", "ethernet-1/1"}, t0, 1}, true, false},
		{"latency", "/lab/links/link[local=r1:e1-1]/state/latency-ms", 4.2, Sample{Key{LinkLatencyMs, "r1", "r1:e1-1"}, t0, 4.2}, true, false},
		{"app share", "/lab/applications/application[name=https]/state/share", 0.4, Sample{Key{AppProtoShare, "r1", "https"}, t0, 0.4}, true, false},
		{"config mirror is no metric", "/interfaces/interface[name=e1-1]/state/mtu", uint64(1500), Sample{}, false, false},
		{"first counter reading waits for a second", "/interfaces/interface[name=e1-1]/state/counters/in-octets", uint64(100), Sample{}, false, false},
		{"cpu above 100", "/system/cpus/cpu[index=ALL]/state/total/instant", uint64(250), Sample{}, false, true},
		{"negative loss", "/lab/links/link[local=r1:e1-1]/state/loss-pct", -3.0, Sample{}, false, true},
		{"garbage", "/system/cpus/cpu[index=ALL]/state/total/instant", "lots", Sample{}, false, true},
		{"NaN", "/lab/system/state/memory-util", math.NaN(), Sample{}, false, true},
		{"unknown status", "/interfaces/interface[name=e1-1]/state/oper-status", "SIDEWAYS", Sample{}, false, true},
		{"bytes", "/lab/sessions/state/count", []byte{1}, Sample{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := NewNormalizer()
			got, ok, err := n.Normalize("r1", tt.path, t0, tt.value)
			if tt.isDrop {
				if !errors.Is(err, ErrDrop) || ok {
					t.Fatalf("Normalize = %v, %v, %v; want a drop", got, ok, err)
				}
				if n.Drops()["r1"] != 1 {
					t.Errorf("drops = %v, want r1: 1", n.Drops())
				}
				return
			}
			if err != nil || ok != tt.ok || got != tt.want {
				t.Fatalf("Normalize = %+v, %v, %v; want %+v, %v", got, ok, err, tt.want, tt.ok)
			}
		})
	}
}

func TestCounterRates(t *testing.T) {
	const path = "/interfaces/interface[name=eth1]/state/counters/out-octets"
	tests := []struct {
		name     string
		prev     uint64
		cur      uint64
		dt       time.Duration
		want     float64
		wantNone bool
	}{
		{"steady", 1_000, 2_250, 10 * time.Second, 1_000, false},
		{"32-bit wrap", math.MaxUint32 - 999, 250, 10 * time.Second, 1_000, false},
		{"64-bit wrap", math.MaxUint64 - 999, 250, 10 * time.Second, 1_000, false},
		{"reset after a restart", 9_000_000, 120, 10 * time.Second, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := NewNormalizer()
			if _, ok, err := n.Normalize("r1", path, t0, tt.prev); ok || err != nil {
				t.Fatalf("first reading = %v, %v", ok, err)
			}
			got, ok, err := n.Normalize("r1", path, t0.Add(tt.dt), tt.cur)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantNone {
				if ok {
					t.Fatalf("rate across a reset = %v, want none", got.Value)
				}
				// The reading after a reset is good again.
				got, ok, _ = n.Normalize("r1", path, t0.Add(2*tt.dt), tt.cur+125)
				if !ok || got.Value != 100 {
					t.Fatalf("rate after the reset = %v, %v; want 100 bit/s", got.Value, ok)
				}
				return
			}
			if !ok || got.Value != tt.want || got.Key != (Key{IfOutBps, "r1", "eth1"}) {
				t.Fatalf("rate = %+v, %v; want %v bit/s", got, ok, tt.want)
			}
		})
	}
}

func TestPathsCoverEveryMetric(t *testing.T) {
	n := NewNormalizer()
	covered := map[string]bool{}
	for _, p := range Paths() {
		r, _, _ := match(replaceStar(p))
		if r == nil {
			t.Errorf("subscription path %s maps to no metric", p)
			continue
		}
		covered[r.metric] = true
	}
	for _, m := range Metrics {
		if !covered[m.Name] {
			t.Errorf("metric %s has no subscription path", m.Name)
		}
	}
	_ = n
}

func replaceStar(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] == '*' {
			return p[:i] + "x" + p[i+1:]
		}
	}
	return p
}

func FuzzNormalize(f *testing.F) {
	for _, p := range Paths() {
		f.Add(replaceStar(p), "42", uint64(7), int64(3))
	}
	f.Add("/interfaces/interface[name=a\\]b]/state/counters/in-octets", "x", uint64(1<<63), int64(-1))
	f.Fuzz(func(t *testing.T, path, s string, u uint64, dt int64) {
		n := NewNormalizer()
		for _, v := range []any{s, u, float64(u), int64(u)} {
			for i := int64(0); i < 3; i++ {
				sm, ok, err := n.Normalize("d", path, t0.Add(time.Duration(i*dt)), v)
				if !ok {
					continue
				}
				if err != nil {
					t.Fatalf("ok with an error: %v", err)
				}
				info, _ := Info(sm.Key.Metric)
				if math.IsNaN(sm.Value) || sm.Value < info.Min || sm.Value > info.Max {
					t.Fatalf("Normalize(%q, %v) = %v, outside %s's range", path, v, sm.Value, info.Name)
				}
			}
		}
	})
}
