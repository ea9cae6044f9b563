package intent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/netagent/netagent/yang"
)

// Executor carries out a plan. The default, DeviceExecutor, configures
// devices one after the other; the transaction coordinator (txn) replaces it
// with two-phase commit. Execute returns nil when every device holds its
// changes; an error matching ErrRolledBack when it undid everything it had
// applied; any other error leaves the devices as the error describes.
type Executor interface {
	Execute(ctx context.Context, in *Intent, plan *Plan) error
}

// TxnLinker is implemented by an Executor that runs plans as transactions
// (intent/txnplan): Get links a record to its intent's latest transaction.
type TxnLinker interface {
	TxnOf(ctx context.Context, intentID string) (string, error)
}

// DeviceExecutor applies a plan with Device.Configure, up to Parallel
// devices at a time (default 16). For an atomic intent (the default) a
// failure stops starting new devices and, once those in flight are done,
// undoes every device changed, in reverse plan order, with their plan's Undo
// changes; otherwise the devices that succeeded keep their changes.
type DeviceExecutor struct {
	Devices Devices
	// Parallel is how many devices are configured at a time (default 16).
	Parallel int
	// Log receives a line per device operation, through its context
	// (the intent's trace id and principal, with internal/logging); nil
	// discards them.
	Log *slog.Logger
}

// Execute implements Executor.
func (x DeviceExecutor) Execute(ctx context.Context, in *Intent, plan *Plan) error {
	limit := x.Parallel
	if limit <= 0 {
		limit = 16
	}
	// A remediation may ask for fewer at a time or another order (remedy.go).
	devices, limit := HintsFrom(ctx).ordered(plan, limit)
	plan = &Plan{IntentID: plan.IntentID, Devices: devices}
	allOrNothing := in.Options.IsAtomic()
	errs := make([]error, len(plan.Devices))
	ok := make([]bool, len(plan.Devices))
	var failed atomic.Bool
	var g errgroup.Group
	g.SetLimit(limit)
	for i, dp := range plan.Devices {
		if len(dp.Changes) == 0 {
			continue
		}
		if allOrNothing && failed.Load() {
			break
		}
		g.Go(func() error {
			if allOrNothing && failed.Load() {
				return nil
			}
			if err := x.configure(ctx, dp.Device, dp.Changes); err != nil {
				errs[i] = err
				failed.Store(true)
				return nil
			}
			ok[i] = true
			return nil
		})
	}
	_ = g.Wait()
	err := errors.Join(errs...)
	if err == nil || !allOrNothing {
		return err
	}
	// Roll back what was applied, newest first. Use a context that
	// survives the caller's cancellation: a half-applied intent is worse.
	rctx := context.WithoutCancel(ctx)
	var rerrs []error
	for j := len(plan.Devices) - 1; j >= 0; j-- {
		if !ok[j] {
			continue
		}
		u := plan.Devices[j]
		if rerr := x.configure(rctx, u.Device, u.Undo); rerr != nil {
			rerrs = append(rerrs, fmt.Errorf("roll back %s: %w", u.Device, rerr))
		}
	}
	if len(rerrs) > 0 {
		return errors.Join(append([]error{err}, rerrs...)...)
	}
	return fmt.Errorf("%w: %w", ErrRolledBack, err)
}

func (x DeviceExecutor) configure(ctx context.Context, name string, changes []yang.Change) error {
	dev, err := x.Devices.Device(ctx, name)
	if err != nil {
		return &DeviceError{Device: name, Phase: PhaseOpen, Err: err}
	}
	if err := dev.Configure(ctx, changes); err != nil {
		if x.Log != nil {
			x.Log.WarnContext(ctx, "device configure failed", "device", name, "changes", len(changes), "err", err)
		}
		return &DeviceError{Device: name, Phase: PhaseWrite, Err: err}
	}
	if x.Log != nil {
		x.Log.InfoContext(ctx, "device configured", "device", name, "changes", len(changes))
	}
	return nil
}
