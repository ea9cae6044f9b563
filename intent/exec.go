package intent

import (
	"context"
	"errors"
	"fmt"

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

// DeviceExecutor applies a plan device by device with Device.Configure.
// For an atomic intent (the default) a failure undoes the devices already
// changed, in reverse order, with their plan's Undo changes; otherwise the
// devices that succeeded keep their changes.
type DeviceExecutor struct {
	Devices Devices
}

// Execute implements Executor.
func (x DeviceExecutor) Execute(ctx context.Context, in *Intent, plan *Plan) error {
	var done []int
	var errs []error
	for i, dp := range plan.Devices {
		if len(dp.Changes) == 0 {
			continue
		}
		err := x.configure(ctx, dp.Device, dp.Changes)
		if err == nil {
			done = append(done, i)
			continue
		}
		if !in.Options.IsAtomic() {
			errs = append(errs, err)
			continue
		}
		// Roll back what was applied, newest first. Use a context that
		// survives the caller's cancellation: a half-applied intent is worse.
		rctx := context.WithoutCancel(ctx)
		var rerrs []error
		for j := len(done) - 1; j >= 0; j-- {
			u := plan.Devices[done[j]]
			if rerr := x.configure(rctx, u.Device, u.Undo); rerr != nil {
				rerrs = append(rerrs, fmt.Errorf("roll back %s: %w", u.Device, rerr))
			}
		}
		if len(rerrs) > 0 {
			return errors.Join(append([]error{err}, rerrs...)...)
		}
		return fmt.Errorf("%w: %w", ErrRolledBack, err)
	}
	return errors.Join(errs...)
}

func (x DeviceExecutor) configure(ctx context.Context, name string, changes []yang.Change) error {
	dev, err := x.Devices.Device(ctx, name)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	if err := dev.Configure(ctx, changes); err != nil {
		return fmt.Errorf("configure %s: %w", name, err)
	}
	return nil
}
