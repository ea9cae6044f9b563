package intent

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
)

func TestExecHints(t *testing.T) {
	plan := &Plan{Devices: []DevicePlan{{Device: "a"}, {Device: "b"}, {Device: "c"}}}
	fs := []Failure{{Device: "b", Protocol: "gnmi", Kind: "unsupported"}}
	for _, tc := range []struct {
		name   string
		kinds  []string
		device string
		order  []string
		fanOut int
		avoidB []string
	}{
		{"no remediation", nil, "b", []string{"a", "b", "c"}, 16, nil},
		{"retry keeps everything", []string{RemediationRetryAfterLock}, "b", []string{"a", "b", "c"}, 16, nil},
		{"reduce fan-out", []string{RemediationReduceFanOut}, "b", []string{"a", "b", "c"}, 1, nil},
		{"reorder puts the failing device last, one at a time", []string{RemediationReorderDependency}, "b", []string{"a", "c", "b"}, 1, nil},
		{"switch protocol avoids the failing one on that device", []string{RemediationSwitchProtocol}, "b", []string{"a", "b", "c"}, 16, []string{"gnmi"}},
		{"remediations add up", []string{RemediationSwitchProtocol, RemediationReorderDependency, RemediationSwitchProtocol}, "b",
			[]string{"a", "c", "b"}, 1, []string{"gnmi"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h ExecHints
			for _, k := range tc.kinds {
				h = h.add(k, tc.device, protocolOf(fs, tc.device))
			}
			ctx := WithHints(context.Background(), h)
			devs, limit := HintsFrom(ctx).ordered(plan, 16)
			var order []string
			for _, d := range devs {
				order = append(order, d.Device)
			}
			if diff := cmp.Diff(tc.order, order); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if limit != tc.fanOut {
				t.Errorf("fan-out %d, want %d", limit, tc.fanOut)
			}
			if diff := cmp.Diff(tc.avoidB, adapters.Avoided(ctx, "b")); diff != "" {
				t.Errorf("avoided on b (-want +got):\n%s", diff)
			}
			if got := adapters.Avoided(ctx, "a"); len(got) != 0 {
				t.Errorf("avoided on a: %v", got)
			}
		})
	}
	if len(plan.Devices) != 3 || plan.Devices[1].Device != "b" {
		t.Errorf("ordering changed the plan itself: %+v", plan.Devices)
	}
}
