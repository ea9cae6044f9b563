package telemetry

import (
	"context"
	"fmt"
	"time"
)

// ErrSoak marks a change whose objectives were breached while it soaked.
var ErrSoak = fmt.Errorf("telemetry: objective breached during the soak window")

// Soak watches objectives for d after a change was committed (the
// transaction's verify step, before it confirms): it returns an error
// wrapping ErrSoak naming the first objective breached by a sample taken
// since the soak began, or nil once d passed with every objective holding
// (series without a sample yet count as holding). It checks every tick
// (default 250 ms) and returns ctx's error if ctx ends first.
func Soak(ctx context.Context, store *Store, objs []Objective, d, tick time.Duration) error {
	if tick <= 0 {
		tick = 250 * time.Millisecond
	}
	start := time.Now()
	deadline := start.Add(d)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		now := time.Now()
		for _, o := range objs {
			keys := []Key{{Metric: o.Metric, Device: o.Device, Label: o.Label}}
			if o.Label == "" {
				keys = keys[:0]
				for _, r := range store.Query(Query{Metric: o.Metric, Device: o.Device, Since: start}) {
					keys = append(keys, r.Key)
				}
			}
			for _, k := range keys {
				pts := store.Points(k, start)
				if len(pts) == 0 {
					continue
				}
				tg := Target{Key: k, Op: o.Op, Bound: o.Bound, Window: now.Sub(start) + time.Millisecond}
				if a := Assess(tg, pts, now); a.Status == Breached {
					return fmt.Errorf("%w: %s", ErrSoak, a.Reason)
				}
			}
		}
		if !now.Before(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
