package telemetry

import (
	"testing"
	"time"
)

// TestAdaptiveIntervalOverSimulatedTime feeds a series on its own schedule
// (each next sample at the interval the controller chose): calm, it backs
// off to the maximum; nearing a target it shrinks to the minimum; calm
// again, it grows back, no further than the base while a target is active.
func TestAdaptiveIntervalOverSimulatedTime(t *testing.T) {
	a := NewAdaptive(AdaptiveOptions{Base: 10 * time.Second, Min: time.Second, Max: 60 * time.Second})
	k := Key{LinkLatencyMs, "leaf1", "leaf1:e1-1"}
	now := t0
	value := 1.0
	step := func() time.Duration {
		iv := a.Observe(Sample{k, now, value})
		now = now.Add(iv)
		return iv
	}
	var iv time.Duration
	for i := 0; i < 30; i++ {
		iv = step()
	}
	if iv != 60*time.Second {
		t.Fatalf("calm with no target: interval %s, want the 60s maximum", iv)
	}
	a.SetTargets(k, 5)
	// Climb towards 5 ms.
	for value < 4.5 {
		value += 0.2
		iv = step()
	}
	for i := 0; i < 5; i++ {
		iv = step()
	}
	if iv != time.Second {
		t.Fatalf("near the target at %.1f ms: interval %s, want the 1s minimum", value, iv)
	}
	if _, why := a.Interval(k); why == "" {
		t.Error("no reason given for the interval")
	}
	value = 1.0 // a jump: stays fast for that sample
	if iv = step(); iv != time.Second {
		t.Fatalf("after the drop: %s", iv)
	}
	for i := 0; i < 30; i++ {
		iv = step()
	}
	if iv != 10*time.Second {
		t.Fatalf("calm again with a target: interval %s, want the 10s base", iv)
	}
	a.SetTargets(k)
	for i := 0; i < 30; i++ {
		iv = step()
	}
	if iv != 60*time.Second {
		t.Fatalf("calm after the target went: interval %s, want 60s", iv)
	}
}

func TestAdaptiveAbruptChangeAndBudget(t *testing.T) {
	a := NewAdaptive(AdaptiveOptions{Base: 10 * time.Second, Min: time.Second, Budget: 10})
	k := Key{CPUUtil, "r1", ""}
	a.Observe(Sample{k, t0, 20})
	if iv := a.Observe(Sample{k, t0.Add(10 * time.Second), 90}); iv != 5*time.Second {
		t.Fatalf("CPU 20 -> 90: interval %s, want 5s", iv)
	}
	// 100 series on one device (CPU and 99 interfaces) under a budget of
	// 10 samples/s: at least 10 s.
	for i := 0; i < 99; i++ {
		a.Observe(Sample{Key{IfInBps, "r1", string(rune('A' + i))}, t0, 1})
	}
	if iv := a.DeviceInterval("r1"); iv != 10*time.Second {
		t.Fatalf("device interval under budget = %s, want 10s", iv)
	}
	if iv := a.DeviceInterval("r9"); iv != 10*time.Second {
		t.Fatalf("unknown device = %s, want the base", iv)
	}
}
