package adapters

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHealthStateMachine(t *testing.T) {
	boom := errors.New("probe failed")
	fast, slow := 10*time.Millisecond, 2*time.Second
	type step struct {
		err  error
		rtt  time.Duration
		trip bool
	}
	tests := []struct {
		name  string
		steps []step
		want  []HealthState
	}{
		{"healthy stays healthy", []step{{nil, fast, false}, {nil, fast, false}}, []HealthState{Healthy, Healthy}},
		{"failures degrade then down", []step{{boom, 0, false}, {boom, 0, false}, {boom, 0, false}}, []HealthState{Degraded, Degraded, Down}},
		{"one good probe clears degraded", []step{{boom, 0, false}, {nil, fast, false}}, []HealthState{Degraded, Healthy}},
		{"slow answers degrade", []step{{nil, slow, false}, {nil, fast, false}}, []HealthState{Degraded, Healthy}},
		{"down needs two good probes", []step{{nil, 0, true}, {nil, fast, false}, {nil, fast, false}}, []HealthState{Down, Down, Healthy}},
		{"a failure resets recovery", []step{{nil, 0, true}, {nil, fast, false}, {boom, 0, false}, {nil, fast, false}, {nil, fast, false}},
			[]HealthState{Down, Down, Down, Down, Healthy}},
		{"recovering slowly is degraded", []step{{nil, 0, true}, {nil, slow, false}, {nil, slow, false}}, []HealthState{Down, Down, Degraded}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHealth(HealthConfig{})
			var got []HealthState
			for _, s := range tc.steps {
				if s.trip {
					got = append(got, h.Trip(boom))
					continue
				}
				got = append(got, h.Observe(s.err, s.rtt))
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("states (-want +got):\n%s", d)
			}
		})
	}
}
