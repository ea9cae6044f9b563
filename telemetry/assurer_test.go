package telemetry

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fixedIntents is one intent with one objective; it records the states the
// assurer sets.
type fixedIntents struct {
	obj Objective

	mu     sync.Mutex // protects following fields
	states []Status
}

func (f *fixedIntents) Objectives(context.Context) ([]Objective, error) {
	return []Objective{f.obj}, nil
}

func (f *fixedIntents) SetStatus(_ context.Context, _ string, s Status, _ string) error {
	f.mu.Lock()
	f.states = append(f.states, s)
	f.mu.Unlock()
	return nil
}

// TestAssurerSubscribers walks a CPU objective through a breach and a
// recovery over simulated time: every subscriber sees both events in
// order, and one that unsubscribed sees no more.
func TestAssurerSubscribers(t *testing.T) {
	st := NewStore(StoreOptions{})
	k := Key{Metric: CPUUtil, Device: "r1"}
	in := &fixedIntents{obj: Objective{Intent: "i1", Device: "r1", Metric: CPUUtil, Op: Below, Bound: 60, Window: 30 * time.Second}}
	now := t0
	a, err := NewAssurer(AssurerConfig{Store: st, Intents: in, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var first, second []EventType
	a.Subscribe(func(e Event) { first = append(first, e.Type) })
	stop := a.Subscribe(func(e Event) { second = append(second, e.Type) })
	step := func(v float64, n int) {
		for i := 0; i < n; i++ {
			now = now.Add(5 * time.Second)
			if err := st.Add(Sample{Key: k, Time: now, Value: v}); err != nil {
				t.Fatal(err)
			}
			if err := a.Evaluate(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	step(20, 10) // assured: no event
	step(95, 10) // breach
	stop()
	step(20, 20) // recovered
	if d := cmp.Diff([]EventType{EventBreach, EventRecovered}, first); d != "" {
		t.Errorf("first subscriber (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]EventType{EventBreach}, second); d != "" {
		t.Errorf("unsubscribed after the breach (-want +got):\n%s", d)
	}
	if in.states[len(in.states)-1] != Assured {
		t.Errorf("states %v: want assured last", in.states)
	}
}
