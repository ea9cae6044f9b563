package synth

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/lab/topo"
)

func model(t *testing.T, seed int64, epoch time.Time) *Model {
	t.Helper()
	tp, err := topo.Parse([]byte("name: s\ntopology:\n  nodes:\n    a: {kind: linux}\n    b: {kind: linux}\n  links:\n    - endpoints: [\"a:e1\", \"b:e1\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	return New(tp, seed, epoch)
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := epoch.Add(95 * time.Second)
	a, b, c := model(t, 7, epoch), model(t, 7, epoch), model(t, 8, epoch)
	if d := cmp.Diff(a.State("a", nil, at), b.State("a", nil, at)); d != "" {
		t.Errorf("same seed differs (-a +b):\n%s", d)
	}
	if cmp.Equal(a.State("a", nil, at), c.State("a", nil, at)) {
		t.Error("different seeds give the same state")
	}
}

func TestCountersGrowAndLinksFail(t *testing.T) {
	t.Parallel()
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := model(t, 1, epoch)
	var last uint64
	for s := 0; s < 3600; s += 37 {
		i := m.Interfaces("a", nil, epoch.Add(time.Duration(s)*time.Second))[0]
		if i.InOctets < last {
			t.Fatalf("in-octets went down at %ds: %d < %d", s, i.InOctets, last)
		}
		last = i.InOctets
	}
	at := epoch.Add(time.Minute)
	m.SetLink(0, false, at)
	if i := m.Interfaces("b", nil, at)[0]; i.Oper {
		t.Error("interface up on a down link")
	}
	if l := m.Links("a", at)[0]; l.Up || l.LossPct != 100 {
		t.Errorf("down link: %+v", l)
	}
	if d := m.DeviceAt("b", at); d.ConvergeMs < 40 || d.ConvergeMs > 200 {
		t.Errorf("convergence at a link end: %v ms", d.ConvergeMs)
	}
}

func TestAnomalies(t *testing.T) {
	t.Parallel()
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := model(t, 1, epoch)
	before := m.Links("a", epoch.Add(70*time.Second))[0].LatencyMs
	m.AddAnomaly(Anomaly{Kind: LatencyClimb, Target: "a:e1", Start: time.Minute, Magnitude: 2})
	m.AddAnomaly(Anomaly{Kind: CPUSpike, Target: "b", Start: time.Minute, Duration: time.Minute, Magnitude: 60})
	m.AddAnomaly(Anomaly{Kind: PSUFail, Target: "b", Start: 0})
	after := m.Links("a", epoch.Add(70*time.Second))[0].LatencyMs
	if after < before+19 {
		t.Errorf("latency climb: %v -> %v", before, after)
	}
	if d := m.DeviceAt("b", epoch.Add(90*time.Second)); d.CPU < 60 || d.PSU[1].Status != "INACTIVE" {
		t.Errorf("cpu spike / psu fail: %+v", d)
	}
	if d := m.DeviceAt("b", epoch.Add(200*time.Second)); d.CPU >= 60 {
		t.Errorf("cpu spike outlived its duration: %v", d.CPU)
	}
	total := 0.0
	for _, a := range m.DeviceAt("a", epoch).AppMix {
		total += a.Share
	}
	if total < 0.999 || total > 1.001 {
		t.Errorf("application mix sums to %v", total)
	}
}

func TestGarbageAnomaly(t *testing.T) {
	t.Parallel()
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := model(t, 1, epoch)
	m.AddAnomaly(Anomaly{Kind: Garbage, Target: "a", Start: time.Minute, Duration: time.Minute})
	values := func(dev string, at time.Time) map[string]any {
		out := map[string]any{}
		for _, p := range m.State(dev, nil, at) {
			out[p.Path] = p.Value
		}
		return out
	}
	const (
		cpu  = "/system/cpus/cpu[index=ALL]/state/total/instant"
		mem  = "/lab/system/state/memory-util"
		lat  = "/lab/links/link[local=a:e1]/state/latency-ms"
		loss = "/lab/links/link[local=a:e1]/state/loss-pct"
		oct  = "/interfaces/interface[name=e1]/state/counters/in-octets"
		oper = "/interfaces/interface[name=e1]/state/oper-status"
		sess = "/lab/sessions/state/count"
		peak = "/lab/traffic/state/peak-bps"
	)
	during := values("a", epoch.Add(90*time.Second))
	want := map[string]any{cpu: GarbageCPU, mem: GarbageText, lat: GarbageLatencyMs, loss: GarbageLoss, oct: GarbageText, oper: GarbageStatus, sess: GarbageSessions}
	for p, v := range want {
		if during[p] != v {
			t.Errorf("during the anomaly %s = %v (%T), want %v", p, during[p], during[p], v)
		}
	}
	if v, ok := during[peak].(float64); !ok || v <= 0 {
		t.Errorf("during the anomaly the traffic peak should stay sane, got %v", during[peak])
	}
	for name, at := range map[string]time.Time{"before": epoch.Add(30 * time.Second), "after": epoch.Add(150 * time.Second)} {
		got := values("a", at)
		if v, ok := got[cpu].(float64); !ok || v > 100 {
			t.Errorf("%s the anomaly CPU = %v", name, got[cpu])
		}
		if _, ok := got[oct].(uint64); !ok {
			t.Errorf("%s the anomaly in-octets = %v (%T)", name, got[oct], got[oct])
		}
	}
	if v := values("b", epoch.Add(90*time.Second))[cpu].(float64); v > 100 {
		t.Errorf("the other device's CPU = %v", v)
	}
	if err := (Anomaly{Kind: Garbage, Target: "a:e1"}).Validate(); err == nil {
		t.Error("a garbage anomaly on a link endpoint validated")
	}
}
