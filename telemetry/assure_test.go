package telemetry

import (
	"math"
	"testing"
	"time"
)

func TestHoltFollowsALinearClimb(t *testing.T) {
	var pts []Point
	// Irregular spacing: 10 s, then 5 s, then 1 s, as adaptive sampling does.
	at := t0
	for i := 0; i < 40; i++ {
		step := 10 * time.Second
		if i > 20 {
			step = 5 * time.Second
		}
		if i > 30 {
			step = time.Second
		}
		at = at.Add(step)
		pts = append(pts, Point{at, 2 + 0.1*at.Sub(t0).Seconds()})
	}
	level, trend := Holt(pts, holtAlpha, holtBeta)
	want := pts[len(pts)-1].Value
	if math.Abs(level-want) > 0.05*want || math.Abs(trend-0.1) > 0.02 {
		t.Fatalf("Holt = level %.3f trend %.4f/s; want about %.3f and 0.1/s", level, trend, want)
	}
}

// TestLatencyClimbPredictedThenBreachedThenRecovered walks an SLO "latency
// below 5 ms" through a climb, a breach and a recovery.
func TestLatencyClimbPredictedThenBreachedThenRecovered(t *testing.T) {
	k := Key{LinkLatencyMs, "leaf1", "leaf1:e1-1"}
	tg := Target{Key: k, Op: Below, Bound: 5, Window: 2 * time.Minute, Horizon: 5 * time.Minute}
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	var pts []Point
	add := func(from, to time.Duration, f func(s float64) float64) {
		for d := from; d < to; d += 5 * time.Second {
			pts = append(pts, Point{t0.Add(d), f(d.Seconds())})
		}
	}
	add(0, 2*time.Minute, func(float64) float64 { return 1.5 }) // calm
	if a := Assess(tg, pts, t0.Add(2*time.Minute)); a.Status != Assured || a.BreachPredicted {
		t.Fatalf("calm: %s (%s), want assured", a.Status, a.Reason)
	}
	// Climb at 0.01 ms/s: from 1.5 ms, 5 ms is 350 s away.
	add(2*time.Minute, 6*time.Minute, func(s float64) float64 { return 1.5 + 0.01*(s-120) })
	a := Assess(tg, pts, t0.Add(6*time.Minute))
	if a.Status != Drifted || !a.BreachPredicted || a.Last >= 5 {
		t.Fatalf("climbing at %.2f ms: %s (%s), want drifted with a predicted breach", a.Last, a.Status, a.Reason)
	}
	if a.TimeToBreach < 60*time.Second || a.TimeToBreach > 180*time.Second {
		t.Errorf("time to breach = %s, want about 110 s", a.TimeToBreach)
	}
	add(6*time.Minute, 9*time.Minute, func(s float64) float64 { return 1.5 + 0.01*(s-120) })
	if a := Assess(tg, pts, t0.Add(9*time.Minute)); a.Status != Breached || a.Deviation >= 0 {
		t.Fatalf("at %.2f ms: %s (%s), deviation %.2f; want breached", a.Last, a.Status, a.Reason, a.Deviation)
	}
	add(9*time.Minute, 12*time.Minute, func(float64) float64 { return 1.2 })
	if a := Assess(tg, pts, t0.Add(12*time.Minute)); a.Status != Assured || a.Compliance != 1 {
		t.Fatalf("recovered: %s (%s), compliance %.2f; want assured", a.Status, a.Reason, a.Compliance)
	}
}

func TestAssessNoDataAndCompliance(t *testing.T) {
	k := Key{CPUUtil, "r1", ""}
	tg := Target{Key: k, Op: Below, Bound: 80, Window: time.Minute, MinCompliance: 0.9}
	if a := Assess(tg, nil, t0); a.Status != NoData {
		t.Fatalf("no points: %s", a.Status)
	}
	var pts []Point
	for i := 0; i < 12; i++ {
		v := 20.0
		if i == 3 || i == 7 {
			v = 95 // two spikes in twelve samples: 83 % compliant
		}
		pts = append(pts, Point{t0.Add(time.Duration(i) * 5 * time.Second), v})
	}
	a := Assess(tg, pts, t0.Add(55*time.Second))
	if a.Status != Drifted || math.Abs(a.Compliance-10.0/12) > 1e-9 {
		t.Fatalf("spiky CPU: %s (%s) compliance %.3f; want drifted at 0.833", a.Status, a.Reason, a.Compliance)
	}
}

func TestTargetValidate(t *testing.T) {
	good := Target{Key: Key{CPUUtil, "r1", ""}, Op: Below, Bound: 90, Window: time.Minute}
	bad := map[string]func(*Target){
		"unknown metric": func(t *Target) { t.Key.Metric = "cpu" },
		"no device":      func(t *Target) { t.Key.Device = "" },
		"bad op":         func(t *Target) { t.Op = "under" },
		"op by name":     func(t *Target) { t.Op = "below" },
		"zero window":    func(t *Target) { t.Window = 0 },
		"NaN bound":      func(t *Target) { t.Bound = math.NaN() },
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range bad {
		tg := good
		mut(&tg)
		if err := tg.Validate(); err == nil {
			t.Errorf("%s: accepted %+v", name, tg)
		}
	}
}
