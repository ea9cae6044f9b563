package intent

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/netagent/netagent/yang"
)

func windowPlan(n int) *Plan {
	p := &Plan{IntentID: "w"}
	for i := range n {
		dp := DevicePlan{Device: fmt.Sprintf("d%04d", i), Version: uint64(i + 1)}
		for j := range 1 + i%3 {
			dp.Changes = append(dp.Changes, yang.Change{Op: yang.OpUpdate, Path: yang.InterfacePath(fmt.Sprintf("eth%d", j)).Leaf("config", "mtu"), Old: uint64(1500), New: uint64(9000)})
		}
		p.Devices = append(p.Devices, dp)
	}
	return p
}

// TestPlanWindow: a window of a stored plan holds exactly the devices a
// full decode has at those indexes, and the whole plan's totals.
func TestPlanWindow(t *testing.T) {
	p := windowPlan(50)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var full Plan
	if err := json.Unmarshal(b, &full); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ off, limit, want int }{{0, 20, 20}, {40, 20, 10}, {49, 1, 1}, {50, 20, 0}, {0, 0, 0}, {0, 1000, 50}} {
		w := &PlanWindow{Offset: tc.off, Limit: tc.limit}
		got, err := w.decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Devices) != tc.want || w.DevicesTotal != 50 || w.ChangesTotal != p.Len() || got.IntentID != "w" {
			t.Errorf("window %d+%d: %d devices, totals %d/%d; want %d, 50/%d", tc.off, tc.limit, len(got.Devices), w.DevicesTotal, w.ChangesTotal, tc.want, p.Len())
			continue
		}
		if tc.want > 0 {
			fj, _ := json.Marshal(full.Devices[tc.off : tc.off+tc.want])
			gj, _ := json.Marshal(got.Devices)
			if diff := cmp.Diff(string(fj), string(gj)); diff != "" {
				t.Errorf("window %d+%d (-full +window):\n%s", tc.off, tc.limit, diff)
			}
		}
	}
	w := &PlanWindow{Limit: 20}
	if got, err := w.decode([]byte(`{"intent_id":"e","devices":null}`)); err != nil || len(got.Devices) != 0 || w.DevicesTotal != 0 {
		t.Errorf("plan without devices: %v, %v", got, err)
	}
	if _, err := w.decode([]byte(`{"intent_id":"e","devices":{}}`)); err == nil {
		t.Error("devices as an object decoded")
	}
}

// BenchmarkPlanWindow compares reading a page of 20 devices of a stored
// 1,000-device plan with decoding all of it.
func BenchmarkPlanWindow(b *testing.B) {
	data, _ := json.Marshal(windowPlan(1000))
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			var p Plan
			if err := json.Unmarshal(data, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("window", func(b *testing.B) {
		for b.Loop() {
			w := &PlanWindow{Limit: 20}
			if _, err := w.decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
