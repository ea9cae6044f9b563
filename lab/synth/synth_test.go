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
