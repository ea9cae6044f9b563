package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Configured is an intent whose configuration the devices should hold.
type Configured struct {
	ID string
	// Reconcile puts the configuration back on drift; otherwise drift is
	// only reported.
	Reconcile bool
}

// Configs is what the drift loop needs of the intent service.
type Configs interface {
	// Configured lists the intents that configured something and are
	// applied or under assurance.
	Configured(ctx context.Context) ([]Configured, error)
	// Check reads the devices and describes how they differ from the
	// intent ("" when they hold it).
	Check(ctx context.Context, id string) (string, error)
	// Report marks the intent drifted with the reason.
	Report(ctx context.Context, id, reason string) error
	// Reconcile plans and applies the intent again.
	Reconcile(ctx context.Context, id, reason string) error
}

// DriftEvent is fired on every drift found.
type DriftEvent struct {
	Intent     string    `json:"intent"`
	Diff       string    `json:"diff"`
	Reconciled bool      `json:"reconciled"`
	At         time.Time `json:"at"`
	Err        string    `json:"error,omitempty"`
}

// DriftLoop reads back the configuration of every configured intent
// periodically and reports or reconciles an out-of-band change, per the
// intent's policy.
type DriftLoop struct {
	Configs Configs
	Every   time.Duration // default 30s
	OnDrift func(DriftEvent)
	Log     *slog.Logger

	mu      sync.Mutex // protects following fields
	drifted map[string]string
}

// Run checks every period until ctx ends.
func (d *DriftLoop) Run(ctx context.Context) error {
	every := d.Every
	if every <= 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := d.Check(ctx); err != nil && ctx.Err() == nil && d.Log != nil {
				d.Log.Warn("drift check failed", "err", err)
			}
		}
	}
}

// Check runs one pass over every configured intent.
func (d *DriftLoop) Check(ctx context.Context) error {
	list, err := d.Configs.Configured(ctx)
	if err != nil {
		return fmt.Errorf("drift: %w", err)
	}
	var errs []error
	for _, c := range list {
		diff, err := d.Configs.Check(ctx, c.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("drift: intent %s: %w", c.ID, err))
			continue
		}
		d.mu.Lock()
		if d.drifted == nil {
			d.drifted = map[string]string{}
		}
		prev, was := d.drifted[c.ID]
		if diff == "" {
			delete(d.drifted, c.ID)
		} else {
			d.drifted[c.ID] = diff
		}
		d.mu.Unlock()
		if diff == "" || (was && prev == diff && !c.Reconcile) {
			continue // holds, or the same drift already reported
		}
		ev := DriftEvent{Intent: c.ID, Diff: diff, At: time.Now()}
		reason := "out-of-band change: the devices no longer hold the intent:\n" + diff
		if c.Reconcile {
			err = d.Configs.Reconcile(ctx, c.ID, reason)
			ev.Reconciled = err == nil
		} else {
			err = d.Configs.Report(ctx, c.ID, reason)
		}
		if err != nil {
			ev.Err = err.Error()
			errs = append(errs, fmt.Errorf("drift: intent %s: %w", c.ID, err))
		}
		if d.Log != nil {
			d.Log.Warn("configuration drift", "intent", c.ID, "reconciled", ev.Reconciled, "diff", diff)
		}
		if d.OnDrift != nil {
			d.OnDrift(ev)
		}
	}
	return errors.Join(errs...)
}
