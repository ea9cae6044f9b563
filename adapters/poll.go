package adapters

import (
	"context"
	"fmt"
	"time"

	"github.com/netagent/netagent/yang"
)

// QueryFunc reads configuration, as Device.Query does.
type QueryFunc func(ctx context.Context, paths []yang.Path) (*yang.Tree, error)

// PollMonitor serves a Subscription by polling query every interval: what
// protocols without streaming (NETCONF get-config, CLI show) do. Sample mode
// emits every leaf each round; on-change mode emits the first snapshot, then
// only changed and deleted leaves. A Sync update ends the first snapshot.
// Paths must lie in the configuration model (yang.ParsePath); others give
// ErrUnsupported. It blocks until ctx ends (returning nil) or emit or query
// fails.
func PollMonitor(ctx context.Context, t Target, sub Subscription, query QueryFunc, emit func(Update) error) error {
	paths := make([]yang.Path, 0, len(sub.Paths))
	for _, s := range sub.Paths {
		p, err := yang.ParsePath(s)
		if err != nil {
			return t.Err(PhaseMonitor, ErrUnsupported, true, err,
				fmt.Sprintf("%s serves only configuration paths of the model by polling", t.Protocol.Name))
		}
		paths = append(paths, p)
	}
	return Poll(ctx, t.Device, sub, func(ctx context.Context) ([]Update, error) {
		cur, err := query(ctx, paths)
		if err != nil {
			return nil, err
		}
		ls := cur.Leaves()
		out := make([]Update, len(ls))
		for i, l := range ls {
			out[i] = Update{Path: l.Path.String(), Value: l.Value}
		}
		return out, nil
	}, emit)
}

// Poll serves a Subscription by calling fetch every sub.Interval; fetch
// returns the current values (Path and Value set). Sample mode emits them
// all each round; on-change mode emits the first round, then changed values
// and deletions. A Sync update ends the first round. Poll blocks until ctx
// ends (returning nil) or fetch or emit fails.
func Poll(ctx context.Context, device string, sub Subscription, fetch func(context.Context) ([]Update, error), emit func(Update) error) error {
	iv := sub.Interval
	if iv <= 0 {
		iv = DefaultInterval
	}
	tick := time.NewTicker(iv)
	defer tick.Stop()
	var last map[string]any
	for {
		cur, err := fetch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		now := time.Now()
		seen := make(map[string]any, len(cur))
		for _, u := range cur {
			seen[u.Path] = u.Value
			if sub.Mode == ModeOnChange && last != nil {
				if v, ok := last[u.Path]; ok && v == u.Value {
					continue
				}
			}
			u.Device, u.Time = device, now
			if err := emit(u); err != nil {
				return err
			}
		}
		if last != nil {
			for p := range last {
				if _, ok := seen[p]; !ok {
					if err := emit(Update{Device: device, Time: now, Path: p, Deleted: true}); err != nil {
						return err
					}
				}
			}
		} else if err := emit(Update{Device: device, Time: now, Sync: true}); err != nil {
			return err
		}
		last = seen
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Restrict returns the part of t at or below any of paths (all of t when
// paths is empty).
func Restrict(t *yang.Tree, paths []yang.Path) *yang.Tree {
	return t.Restrict(paths)
}

// InEffect reports whether change c is visible in t: a created or updated
// leaf has the new value, a created entry exists, a deleted node is gone.
// The failover layer uses it to read back after an ambiguous failure.
func InEffect(t *yang.Tree, c yang.Change) bool {
	switch {
	case c.Op == yang.OpDelete:
		return !t.Has(c.Path)
	case c.Path.IsEntry():
		return t.Has(c.Path)
	}
	v, ok := t.Get(c.Path)
	return ok && yang.FormatValue(v) == yang.FormatValue(c.New)
}

// ChangedPaths returns the paths Query must read to check changes: each
// change's path, or its entry for a leaf.
func ChangedPaths(changes []yang.Change) []yang.Path {
	out := make([]yang.Path, 0, len(changes))
	seen := map[string]bool{}
	for _, c := range changes {
		p := c.Path
		if !p.IsEntry() {
			// read the nearest entry so deletes of leaves can be checked too
			for i := len(p) - 1; i >= 0; i-- {
				if len(p[i].Keys) > 0 {
					p = p[:i+1]
					break
				}
			}
		}
		if s := p.String(); !seen[s] {
			seen[s] = true
			out = append(out, p)
		}
	}
	// Reading an entry reads everything below it: keep only the outermost.
	kept := out[:0]
	for i, p := range out {
		covered := false
		for j, q := range out {
			if i != j && len(q) < len(p) && p.HasPrefix(q) {
				covered = true
				break
			}
		}
		if !covered {
			kept = append(kept, p)
		}
	}
	return kept
}
