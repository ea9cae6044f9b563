package txn

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/netagent/netagent/adapters"
)

// timerMargin is how long after a logged confirm deadline recovery
// assumes the device's timer has fired (the logged deadline is taken just
// before the commit is sent; devices round the timeout up to seconds).
const timerMargin = 2 * time.Second

// Recover finishes every transaction a previous run left without an
// outcome, from the write-ahead log: presumed abort before the commit
// decision (every device is brought back: its confirm timer reverts it, or
// the logged inverse is applied, checked by reading it back), and forward
// after it (every device is brought to hold the change: a device whose
// confirm never came has reverted by its timer, so the change is applied
// again). It waits for pending device timers, so it may take up to a
// confirm timeout. Call it before new transactions run; it returns the
// results of what it finished.
func (c *Coordinator) Recover(ctx context.Context) ([]*Result, error) {
	ids, err := c.wal.pending(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Result
	var errs []error
	for _, id := range ids {
		res, err := c.recoverOne(ctx, id)
		if res != nil {
			out = append(out, res)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

func (c *Coordinator) recoverOne(ctx context.Context, id string) (*Result, error) {
	req, log, err := c.wal.load(ctx, id)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(req.Participants))
	for i, p := range req.Participants {
		names[i] = p.Device
	}
	release, err := c.locks.acquire(ctx, id, names, false)
	if err != nil {
		return nil, err
	}
	defer release()
	var (
		decided   = map[string]bool{}
		committed = map[string]time.Time{} // device -> confirm deadline (zero: no timer)
		persist   = map[string]string{}    // device -> the persist-id of its confirmed commit
		prepared  = map[string]bool{}
		phase     = adapters.PhaseStage
		started   time.Time
		reason    string
	)
	for _, e := range log {
		switch e.Step {
		case StepBegin:
			started = e.At
		case StepPrepare:
			for _, d := range e.Detail.Devices {
				prepared[d] = true
			}
		case StepCommit:
			phase = adapters.PhaseCommit
			for _, d := range e.Detail.Devices {
				committed[d] = time.Time{}
				if e.Detail.Timers[d] {
					committed[d] = e.Detail.Deadline
				}
				persist[d] = e.Detail.PersistID
				if persist[d] == "" {
					persist[d] = id // logs written before the id was logged: the id is the persist-id
				}
			}
		case StepVerify:
			phase = adapters.PhaseRead
		case StepDecision:
			phase = adapters.PhaseConfirm
			for _, d := range e.Detail.Devices {
				decided[d] = true
			}
		case StepAbort:
			reason = e.Detail.Reason
		}
	}
	forward := len(decided) > 0
	c.log.Warn("txn recovery", "txn", id, "forward", forward, "phase", phase)
	res := &Result{ID: id, Intent: req.Intent, Phase: phase, Started: started.UTC()}
	if forward {
		res.Reason = "recovered after a restart: the commit decision was taken, driven to confirm"
	} else {
		res.Reason = "recovered after a restart before the commit decision: presumed abort"
		if reason != "" {
			res.Reason += " (" + reason + ")"
		}
	}
	results := make([]DeviceResult, len(req.Participants))
	var mu sync.Mutex
	var causes []error
	var g errgroup.Group
	g.SetLimit(c.cfg.FanOut)
	for i, p := range req.Participants {
		g.Go(func() error {
			dr := DeviceResult{Device: p.Device, Stage: p.Stage, Phase: phase}
			deadline, wasCommitted := committed[p.Device]
			if wasCommitted {
				dr.UndoBy = UndoByInverse
				if !deadline.IsZero() {
					dr.UndoBy = UndoByTimer
				}
			}
			var err error
			switch {
			case decided[p.Device]:
				dr.Outcome, err = c.driveForward(ctx, p.Device, p, persist[p.Device], deadline)
			case wasCommitted:
				if !deadline.IsZero() {
					// Presumed abort, at once: cancel the pending commit
					// rather than wait for its timer. Whatever the cancel
					// says, the read-back below decides (and waits for the
					// timer only if the device still holds the change).
					c.cancelPending(ctx, id, p.Device, persist[p.Device])
					deadline = deadline.Add(timerMargin)
				}
				dr.Outcome, err = c.ensureUndone(ctx, p.Device, p.Changes, p.Undo, deadline)
			case prepared[p.Device]:
				// Staged only, in a session that died with the coordinator:
				// the device discarded it. Abort in case this process holds it.
				if dev, derr := c.cfg.Devices.Device(ctx, p.Device); derr == nil {
					if tr, ok := dev.(adapters.Transactional); ok {
						_ = tr.Abort(ctx, id)
					}
				}
				dr.Outcome = OutcomeAborted
			default:
				dr.Outcome = OutcomeUntouched
			}
			if err != nil {
				dr.Outcome, dr.Error = OutcomeFailed, errorInfo(err)
				mu.Lock()
				causes = append(causes, err)
				mu.Unlock()
			}
			results[i] = dr
			return nil
		})
	}
	_ = g.Wait()
	res.Devices = results
	r := &run{parts: make([]*part, len(results))}
	for i, d := range results {
		r.parts[i] = &part{outcome: d.Outcome}
		if _, ok := committed[d.Device]; ok {
			r.parts[i].committed = true
		}
	}
	res.State = r.outcomeState()
	res.Ended = c.now().UTC()
	if err := c.wal.end(ctx, res, res.Ended); err != nil {
		causes = append(causes, err)
	}
	c.log.Info("txn recovered", "txn", id, "state", res.State)
	if len(causes) > 0 {
		return res, &Error{Result: res, Causes: causes}
	}
	return res, nil
}

// driveForward makes a device whose transaction was decided hold its
// change. A device with a confirm timer is confirmed at once by the
// persist-id, over a session of this process (adapters.Resumer). When the
// device has nothing pending under it (confirmed before the crash, or its
// timer fired) the read-back decides: the change is there, or it is
// applied again. Only when the device cannot be asked (unreachable, no
// Resumer) does recovery wait for the timer before re-applying, so a
// pending commit can never revert what it sends.
func (c *Coordinator) driveForward(ctx context.Context, device string, p Participant, persistID string, deadline time.Time) (Outcome, error) {
	dev, err := c.cfg.Devices.Device(ctx, device)
	if err != nil && deadline.IsZero() {
		return OutcomeFailed, fmt.Errorf("open %s: %w", device, err)
	}
	if !deadline.IsZero() {
		if err == nil {
			_, err = c.confirmPending(ctx, dev, persistID)
		}
		if err != nil {
			c.log.Warn("txn recovery: cannot confirm the pending commit; waiting for its timer", "device", device, "err", err)
			if !sleepUntil(ctx, deadline.Add(timerMargin)) {
				return OutcomeFailed, fmt.Errorf("drive %s forward: %w", device, ctx.Err())
			}
		}
		if dev, err = c.cfg.Devices.Device(ctx, device); err != nil {
			return OutcomeFailed, fmt.Errorf("open %s: %w", device, err)
		}
	}
	if t, err := dev.Query(ctx, readScope(p.Changes)); err == nil && missing(t, p.Changes) == "" {
		return OutcomeConfirmed, nil
	}
	dctx, cancel := context.WithTimeout(ctx, c.cfg.RollbackTimeout)
	defer cancel()
	if err := c.driveUntil(dctx, device, p.Changes); err != nil {
		return OutcomeFailed, fmt.Errorf("drive %s forward: %w", device, err)
	}
	return OutcomeRedone, nil
}

// confirmPending confirms the commit dev holds under persistID. It
// reports whether the device confirmed it; a nil error with false means
// the device has nothing pending under persistID (ErrRejected). Other
// errors mean the device could not be asked: its commit may still be
// pending.
func (c *Coordinator) confirmPending(ctx context.Context, dev adapters.Device, persistID string) (bool, error) {
	r, ok := dev.(adapters.Resumer)
	if !ok {
		return false, fmt.Errorf("confirm a pending commit: %w", adapters.ErrUnsupported)
	}
	cctx, cancel := context.WithTimeout(ctx, c.cfg.StepTimeout)
	defer cancel()
	err := r.ConfirmPending(cctx, persistID)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, adapters.ErrRejected):
		return false, nil
	}
	return false, err
}

// cancelPending reverts the commit device holds under persistID now
// (cancel-commit), for presumed abort. Failures are only logged: the
// read-back that follows decides, and the device's timer is the fallback.
func (c *Coordinator) cancelPending(ctx context.Context, id, device, persistID string) {
	dev, err := c.cfg.Devices.Device(ctx, device)
	if err == nil {
		r, ok := dev.(adapters.Resumer)
		if !ok {
			return
		}
		cctx, cancel := context.WithTimeout(ctx, c.cfg.StepTimeout)
		err = r.CancelPending(cctx, persistID)
		cancel()
	}
	if err != nil && !errors.Is(err, adapters.ErrRejected) {
		c.log.Warn("txn recovery: cancel of the pending commit failed; the device's timer reverts it", "txn", id, "device", device, "err", err)
	}
}

// Get returns a stored transaction with its result once it ended.
func (c *Coordinator) Get(ctx context.Context, id string) (*Summary, error) {
	return c.wal.get(ctx, id)
}

// List returns stored transactions, newest first.
func (c *Coordinator) List(ctx context.Context, q ListQuery) ([]Summary, error) {
	return c.wal.list(ctx, q, false)
}
