package telemetry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSoak(t *testing.T) {
	k := Key{LinkLossPct, "leaf1", "leaf1:e1-1"}
	obj := Objective{Intent: "x", Device: "leaf1", Metric: LinkLossPct, Op: Below, Bound: 1, Window: time.Minute, Label: k.Label}
	t.Run("holds", func(t *testing.T) {
		st := NewStore(StoreOptions{})
		_ = st.Add(Sample{k, time.Now().Add(-time.Minute), 5}) // a breach before the change does not count
		go func() {
			for i := 0; i < 4; i++ {
				_ = st.Add(Sample{k, time.Now(), 0.1})
				time.Sleep(50 * time.Millisecond)
			}
		}()
		if err := Soak(context.Background(), st, []Objective{obj}, 300*time.Millisecond, 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("breached", func(t *testing.T) {
		st := NewStore(StoreOptions{})
		go func() {
			time.Sleep(100 * time.Millisecond)
			_ = st.Add(Sample{k, time.Now(), 4.5})
		}()
		err := Soak(context.Background(), st, []Objective{obj}, 5*time.Second, 20*time.Millisecond)
		if !errors.Is(err, ErrSoak) {
			t.Fatalf("Soak = %v, want ErrSoak", err)
		}
		t.Log(err)
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := Soak(ctx, NewStore(StoreOptions{}), []Objective{obj}, time.Minute, 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("Soak = %v", err)
		}
	})
}
