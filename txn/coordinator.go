package txn

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/yang"
)

// Devices opens the devices transactions run on (the adapters' pool).
type Devices interface {
	Device(ctx context.Context, name string) (adapters.Device, error)
}

// DefaultFanOut is how many participants a transaction drives at once
// unless configured: enough for 1,000 devices to prepare in a few rounds
// without opening a thousand sessions in the same instant.
const DefaultFanOut = 256

// Config is what a Coordinator needs.
type Config struct {
	// Store keeps the write-ahead log. Required.
	Store *store.DB
	// Devices opens participants. Required.
	Devices Devices
	// Log receives transaction events; nil discards them.
	Log *slog.Logger
	// FanOut bounds concurrent participants per transaction; default DefaultFanOut.
	FanOut int
	// Soak watches a committed, read-back transaction before it is
	// confirmed (telemetry fills it with KPI checks); an error aborts.
	// Nil waits the request's Options.Soak.
	Soak func(ctx context.Context, req *Request) error
	// RollbackTimeout bounds undoing one device after a failure; default 30s.
	RollbackTimeout time.Duration
	// StepTimeout bounds one device's prepare, commit or read-back
	// (waiting for the device's writer slot included); default 60s.
	StepTimeout time.Duration
	// Audit receives, in the store transaction of each write-ahead log
	// step, an entry for the step (AuditAction), and with the outcome one
	// for every device (AuditDeviceAction). Who and the trace id come from
	// the ctx of Run, or for recovery from the intent's first entry. Nil
	// records nothing.
	Audit Auditor
	// AfterStep is called after each write-ahead log step is stored and
	// before the coordinator acts on it (crash tests stop the process here).
	AfterStep func(id string, step Step, stage string)
	// Clock stamps the log; default time.Now.
	Clock func() time.Time
	// Events, if set, receives every progress event of every transaction,
	// the outcome included (the agent signs and publishes them). It is
	// called with the progress lock held: it must not block.
	Events func(Event)
}

// Auditor appends audit entries within a store transaction (*audit.Log
// is one, over the same store as the write-ahead log).
type Auditor interface {
	Append(ctx context.Context, tx *sql.Tx, e audit.Entry) (audit.Entry, error)
}

// Audit actions of transactions.
const (
	// AuditAction is a write-ahead log step of a transaction, its outcome included.
	AuditAction = "txn.step"
	// AuditDeviceAction is one device's outcome in a transaction.
	AuditDeviceAction = "txn.device"
)

// Coordinator runs transactions. It owns one writer per device: a device
// takes part in one transaction at a time. Safe for concurrent use.
type Coordinator struct {
	cfg   Config
	log   *slog.Logger
	wal   *wal
	now   func() time.Time
	hub   *hub
	locks *locks
}

// New returns a coordinator over cfg, migrating its tables in the store.
// Call Recover before running new transactions.
func New(ctx context.Context, cfg Config) (*Coordinator, error) {
	if cfg.Store == nil || cfg.Devices == nil {
		return nil, errors.New("txn: New needs Store and Devices")
	}
	if _, err := cfg.Store.Migrate(ctx, storeOwner, migrations); err != nil {
		return nil, err
	}
	if cfg.FanOut <= 0 {
		cfg.FanOut = DefaultFanOut
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = 60 * time.Second
	}
	if cfg.RollbackTimeout <= 0 {
		cfg.RollbackTimeout = 30 * time.Second
	}
	c := &Coordinator{cfg: cfg, log: cfg.Log, wal: &wal{db: cfg.Store, audit: cfg.Audit}, now: cfg.Clock, hub: newHub(), locks: newLocks()}
	c.hub.publish = cfg.Events
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// part is one participant while its transaction runs.
type part struct {
	Participant
	dev   adapters.Transactional
	read  adapters.Device
	timer bool

	// Set by the goroutine driving this part, read after the fan-out.
	phase     adapters.Phase
	prepared  bool // Prepare returned nil
	committed bool // Commit was sent (it may have applied even on error)
	commitAt  time.Time
	confirmed bool
	outcome   Outcome
	err       error
}

// run is one transaction in progress.
type run struct {
	c       *Coordinator
	req     *Request
	parts   []*part
	waves   [][]int
	started time.Time
	phase   adapters.Phase
	causes  []error
}

// Run carries out req as one transaction: prepare every participant,
// commit everywhere with a device-side confirm timer, read every device
// back, soak, then take the commit decision and confirm. Any failure, a
// cancelled ctx or an expired deadline before the decision rolls back every
// participant. It returns the result, and an *Error when the transaction
// did not confirm (errors.Is ErrRolledBack or ErrFailed).
func (c *Coordinator) Run(ctx context.Context, req Request) (*Result, error) {
	if req.ID == "" {
		req.ID = NewID()
	}
	if a, ok := c.cfg.Devices.(arranger); ok {
		a.Arrange(&req) // a peer agent's part as its own stage
	}
	waves, err := req.Validate()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(req.Participants))
	for i, p := range req.Participants {
		names[i] = p.Device
	}
	release, err := c.locks.acquire(ctx, req.ID, names, req.Options.NoWait)
	if err != nil {
		return nil, err
	}
	defer release()
	r := &run{c: c, req: &req, waves: waves, started: c.now().UTC()}
	for _, p := range req.Participants {
		r.parts = append(r.parts, &part{Participant: p, outcome: OutcomeUntouched})
	}
	// The progress stream exists before the log names the transaction, so
	// a subscriber who learns the id from the store always finds it.
	c.hub.start(req.ID, req.Intent, names)
	if err := c.wal.begin(ctx, &req, r.started); err != nil {
		c.hub.finish(&Result{ID: req.ID, Intent: req.Intent, State: StateAborted, Reason: err.Error()})
		return nil, err
	}
	c.log.Info("txn begin", "txn", req.ID, "intent", req.Intent, "devices", len(names))
	res := r.execute(ctx)
	return r.finish(ctx, res)
}

func (r *run) finish(ctx context.Context, res *Result) (*Result, error) {
	c := r.c
	res.Ended = c.now().UTC()
	for _, p := range r.parts {
		if p.err != nil {
			r.causes = append(r.causes, p.err)
		}
	}
	if err := c.wal.end(ctx, res, res.Ended); err != nil {
		r.causes = append(r.causes, err)
	}
	c.hub.finish(res)
	c.log.Info("txn end", "txn", res.ID, "state", res.State, "phase", res.Phase, "reason", res.Reason)
	if res.State == StateConfirmed {
		return res, nil
	}
	return res, &Error{Result: res, Causes: r.causes}
}

// step writes a log step before the coordinator acts on it.
func (r *run) step(ctx context.Context, step Step, state State, d stepDetail) error {
	if err := r.c.wal.write(ctx, r.req.ID, r.req.Intent, step, state, r.c.now(), d); err != nil {
		return err
	}
	r.c.hub.state(r.req.ID, state)
	if r.c.cfg.AfterStep != nil {
		r.c.cfg.AfterStep(r.req.ID, step, d.Stage)
	}
	return nil
}

func (r *run) stageOf(w []int) string { return r.parts[w[0]].Stage }

func (r *run) devices(w []int) []string {
	out := make([]string, len(w))
	for i, j := range w {
		out[i] = r.parts[j].Device
	}
	return out
}

// live reports the parts of w still in the transaction.
func (r *run) live(w []int) []int {
	var out []int
	for _, i := range w {
		if r.parts[i].err == nil && r.parts[i].outcome == OutcomeUntouched {
			out = append(out, i)
		}
	}
	return out
}

func (r *run) fanOut() int {
	if r.req.Options.FanOut > 0 {
		return r.req.Options.FanOut
	}
	return r.c.cfg.FanOut
}

// each runs fn for the parts idx with bounded fan-out, each call bounded
// by timeout (0: none). With stopOnErr the first failure cancels the others' ctx. It reports whether any failed.
func (r *run) each(ctx context.Context, idx []int, stopOnErr bool, timeout time.Duration, fn func(ctx context.Context, p *part) error) bool {
	var g *errgroup.Group
	gctx := ctx
	if stopOnErr {
		g, gctx = errgroup.WithContext(ctx)
	} else {
		g = &errgroup.Group{}
	}
	g.SetLimit(r.fanOut())
	var mu sync.Mutex
	failed := false
	for _, i := range idx {
		p := r.parts[i]
		g.Go(func() error {
			sctx, cancel := gctx, context.CancelFunc(func() {})
			if timeout > 0 {
				sctx, cancel = context.WithTimeout(gctx, timeout)
			}
			err := fn(sctx, p)
			cancel()
			if err != nil {
				mu.Lock()
				failed = true
				if p.err == nil {
					p.err = err
				}
				mu.Unlock()
			}
			return err
		})
	}
	_ = g.Wait()
	return failed
}

func (r *run) execute(ctx context.Context) *Result {
	var all []int
	for _, w := range r.waves {
		all = append(all, w...)
	}
	// Prepare, stage by stage.
	r.phase = adapters.PhaseStage
	for _, w := range r.waves {
		if err := r.step(ctx, StepPrepare, StatePreparing, stepDetail{Stage: r.stageOf(w), Devices: r.devices(w)}); err != nil {
			return r.abort(ctx, all, "write-ahead log: "+err.Error())
		}
		if r.each(ctx, w, true, r.c.cfg.StepTimeout, r.prepare) || ctx.Err() != nil {
			if !r.req.Options.NotAtomic || ctx.Err() != nil {
				return r.abort(ctx, all, r.why(ctx, "prepare"))
			}
			r.abortFailed(ctx, w)
		}
	}
	// Commit, stage by stage, each device with its confirm timer.
	r.phase = adapters.PhaseCommit
	timeout := r.req.confirmTimeout()
	for _, w := range r.waves {
		lw := r.live(w)
		if len(lw) == 0 {
			continue
		}
		timers := map[string]bool{}
		for _, i := range lw {
			timers[r.parts[i].Device] = r.parts[i].timer
		}
		d := stepDetail{Stage: r.stageOf(w), Devices: r.devices(lw), Deadline: r.c.now().Add(timeout), Timers: timers, PersistID: r.req.ID}
		if err := r.step(ctx, StepCommit, StateCommitting, d); err != nil {
			return r.abort(ctx, all, "write-ahead log: "+err.Error())
		}
		failed := r.each(ctx, lw, false, r.c.cfg.StepTimeout, func(ctx context.Context, p *part) error {
			p.phase, p.committed, p.commitAt = adapters.PhaseCommit, true, time.Now()
			err := p.dev.Commit(ctx, r.req.ID, timeout)
			if err != nil {
				return fmt.Errorf("commit %s: %w", p.Device, err)
			}
			r.c.hub.step(r.req.ID, p.Device, "committed")
			return nil
		})
		if failed || ctx.Err() != nil {
			if !r.req.Options.NotAtomic || ctx.Err() != nil {
				return r.abort(ctx, all, r.why(ctx, "commit"))
			}
			r.abortFailed(ctx, lw)
		}
	}
	// Verify: read every device back.
	r.phase = adapters.PhaseRead
	live := r.live(all)
	if err := r.step(ctx, StepVerify, StateVerifying, stepDetail{Devices: r.devices(live)}); err != nil {
		return r.abort(ctx, all, "write-ahead log: "+err.Error())
	}
	if r.each(ctx, live, false, r.c.cfg.StepTimeout, r.verify) || ctx.Err() != nil {
		if !r.req.Options.NotAtomic || ctx.Err() != nil {
			return r.abort(ctx, all, r.why(ctx, "read-back"))
		}
		r.abortFailed(ctx, live)
	}
	live = r.live(all)
	if err := r.soak(ctx); err != nil {
		return r.abort(ctx, all, "soak: "+err.Error())
	}
	// The commit decision: past it, recovery drives forward.
	if ctx.Err() != nil {
		return r.abort(ctx, all, r.why(ctx, "soak"))
	}
	if len(live) == 0 {
		return r.result(r.outcomeState())
	}
	if err := r.step(ctx, StepDecision, StateConfirming, stepDetail{Devices: r.devices(live)}); err != nil {
		return r.abort(ctx, all, "write-ahead log: "+err.Error())
	}
	r.phase = adapters.PhaseConfirm
	// Confirm must finish whatever happens to the caller now.
	cctx := context.WithoutCancel(ctx)
	r.each(cctx, live, false, 0, func(ctx context.Context, p *part) error {
		p.phase = adapters.PhaseConfirm
		err := p.dev.Confirm(ctx, r.req.ID)
		// Until the device says otherwise, a failed confirm may leave the
		// commit pending (a rejection the adapter gives itself when its
		// deadline passed included: the device's timer, rounded up to
		// seconds, may fire a little later).
		pending := err != nil && p.timer
		if pending && !errors.Is(err, adapters.ErrRejected) {
			// The session dropped or the device did not answer: the
			// commit may well be pending still. Ask again, over new
			// sessions, until its timer is about to fire.
			var ok bool
			ok, pending = r.retryConfirm(ctx, p)
			if ok {
				err = nil
			}
		}
		if err != nil {
			// The timer expired, or the device could not be reached in
			// time: the decision stands, so the change is applied again
			// (once the device's timer has certainly fired, unless the
			// device said nothing is pending).
			r.c.log.Warn("txn confirm failed; re-applying", "txn", r.req.ID, "device", p.Device, "err", err)
			if rerr := r.redo(ctx, p, pending); rerr != nil {
				p.outcome = OutcomeFailed
				return errors.Join(fmt.Errorf("confirm %s: %w", p.Device, err), rerr)
			}
			p.outcome, p.confirmed = OutcomeRedone, true
			r.c.hub.step(r.req.ID, p.Device, "confirmed")
			return nil
		}
		p.outcome, p.confirmed = OutcomeConfirmed, true
		r.c.hub.step(r.req.ID, p.Device, "confirmed")
		return nil
	})
	return r.result(r.outcomeState())
}

func (r *run) why(ctx context.Context, phase string) string {
	if err := ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "deadline expired during " + phase
		}
		return "cancelled during " + phase
	}
	for _, p := range r.parts {
		if p.err != nil {
			return fmt.Sprintf("%s failed on %s: %v", phase, p.Device, p.err)
		}
	}
	return phase + " failed"
}

func (r *run) prepare(ctx context.Context, p *part) error {
	p.phase = adapters.PhaseStage
	dev, err := r.c.cfg.Devices.Device(ctx, p.Device)
	if err != nil {
		return fmt.Errorf("open %s: %w", p.Device, err)
	}
	tr, ok := dev.(adapters.Transactional)
	if !ok {
		return fmt.Errorf("prepare %s: %w", p.Device, adapters.ErrUnsupported)
	}
	p.dev, p.read = tr, dev
	if cp, ok := dev.(adapters.Capabler); ok {
		p.timer = cp.Capabilities().ConfirmTimer
	}
	if err := tr.Prepare(ctx, r.req.ID, p.Changes); err != nil {
		return fmt.Errorf("prepare %s: %w", p.Device, err)
	}
	p.prepared = true
	r.c.hub.step(r.req.ID, p.Device, "prepared")
	return nil
}

func (r *run) verify(ctx context.Context, p *part) error {
	p.phase = adapters.PhaseRead
	t, err := p.read.Query(ctx, readScope(p.Changes))
	if err != nil {
		return fmt.Errorf("read back %s: %w", p.Device, err)
	}
	if miss := missing(t, p.Changes); miss != "" {
		return fmt.Errorf("read back %s: the device does not hold %s", p.Device, miss)
	}
	r.c.hub.step(r.req.ID, p.Device, "verified")
	return nil
}

func (r *run) soak(ctx context.Context) error {
	if r.c.cfg.Soak != nil {
		return r.c.cfg.Soak(ctx, r.req)
	}
	if r.req.Options.Soak <= 0 {
		return nil
	}
	t := time.NewTimer(r.req.Options.Soak)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// abortFailed undoes the failed parts among idx (a non-atomic transaction
// keeps the others going).
func (r *run) abortFailed(ctx context.Context, idx []int) {
	var failed []int
	for _, i := range idx {
		if r.parts[i].err != nil && r.parts[i].outcome == OutcomeUntouched {
			failed = append(failed, i)
		}
	}
	r.undo(context.WithoutCancel(ctx), failed)
}

// abort rolls back every participant, newest stage first, and returns the result.
func (r *run) abort(ctx context.Context, all []int, reason string) *Result {
	r.c.log.Warn("txn abort", "txn", r.req.ID, "reason", reason)
	actx := context.WithoutCancel(ctx)
	if err := r.step(actx, StepAbort, StateAborting, stepDetail{Reason: reason}); err != nil {
		r.causes = append(r.causes, err)
	}
	for k := len(r.waves) - 1; k >= 0; k-- {
		var todo []int
		for _, i := range r.waves[k] {
			if r.parts[i].outcome == OutcomeUntouched {
				todo = append(todo, i)
			}
		}
		r.undo(actx, todo)
	}
	res := r.result(r.outcomeState())
	res.Reason = reason
	return res
}

// undo brings each part back to its configuration before the transaction:
// abort what was only prepared, roll back what was committed, and read the
// device back to check; a device that still holds the change after its
// timer expired gets the logged inverse.
func (r *run) undo(ctx context.Context, idx []int) {
	r.each(ctx, idx, false, 0, func(ctx context.Context, p *part) error {
		ctx, cancel := context.WithTimeout(ctx, r.c.cfg.RollbackTimeout+r.req.confirmTimeout())
		defer cancel()
		switch {
		case p.dev == nil:
			p.outcome = OutcomeUntouched
			return nil
		case !p.committed:
			p.phase = adapters.PhaseAbort
			if err := p.dev.Abort(ctx, r.req.ID); err != nil {
				// The session is gone; the device discards an
				// uncommitted candidate with it.
				r.c.log.Warn("txn abort failed", "txn", r.req.ID, "device", p.Device, "err", err)
			}
			p.outcome = OutcomeAborted
			r.c.hub.step(r.req.ID, p.Device, "aborted")
			return nil
		}
		p.phase = adapters.PhaseRollback
		rctx, rcancel := context.WithTimeout(ctx, r.c.cfg.RollbackTimeout)
		rerr := p.dev.Rollback(rctx, r.req.ID)
		rcancel()
		deadline := time.Time{}
		if p.timer {
			deadline = p.commitAt.Add(r.req.confirmTimeout())
		}
		out, err := r.c.ensureUndone(ctx, p.Device, p.Changes, p.Undo, deadline)
		if rerr != nil {
			// The device is back to its old configuration, but the
			// adapter may still hold the transaction (its rollback could
			// not reach the device): end it, so the device's writer slot
			// is free for the next transaction.
			_ = p.dev.Abort(ctx, r.req.ID)
		}
		if err != nil {
			p.outcome = OutcomeFailed
			p.err = errors.Join(p.err, rerr, err)
			return err
		}
		p.outcome = out
		r.c.hub.step(r.req.ID, p.Device, string(out))
		return nil
	})
}

// ensureUndone reads the device back and makes sure it no longer holds
// changes. A device with a confirm timer (deadline set) that still holds
// them is left to its timer: recovery waits past the deadline, then for
// one more timer window (a commit that landed late starts its timer late),
// before it applies undo. A device without a timer gets undo at once. It
// reports the outcome.
func (c *Coordinator) ensureUndone(ctx context.Context, device string, changes, undo []yang.Change, deadline time.Time) (Outcome, error) {
	dev, err := c.cfg.Devices.Device(ctx, device)
	if err != nil {
		return OutcomeFailed, fmt.Errorf("open %s: %w", device, err)
	}
	scope := readScope(changes)
	gone := func() bool {
		t, err := dev.Query(ctx, scope)
		return err == nil && !holdsAny(t, changes)
	}
	if gone() {
		return OutcomeRolledBack, nil
	}
	if !deadline.IsZero() {
		window := time.Until(deadline)
		if !sleepUntil(ctx, deadline.Add(timerMargin)) {
			return OutcomeFailed, fmt.Errorf("undo %s: %w", device, ctx.Err())
		}
		for end := time.Now().Add(max(window, time.Second) + timerMargin); ; {
			if gone() {
				return OutcomeReverted, nil
			}
			if time.Now().After(end) || !sleepUntil(ctx, time.Now().Add(250*time.Millisecond)) {
				break
			}
		}
	}
	if err := c.driveUntil(ctx, device, undo); err != nil {
		return OutcomeFailed, fmt.Errorf("undo %s: apply the logged inverse: %w", device, err)
	}
	return OutcomeRolledBack, nil
}

// retryConfirm asks the device to confirm p's pending commit by its
// persist-id every quarter second until it does (true), says nothing is
// pending (false, false), or the timer is about to fire (false, true:
// it may still be pending).
func (r *run) retryConfirm(ctx context.Context, p *part) (confirmed, pending bool) {
	until := p.commitAt.Add(r.req.confirmTimeout() - timerMargin/4)
	for sleepUntil(ctx, time.Now().Add(250*time.Millisecond)) && time.Now().Before(until) {
		ok, err := r.c.confirmPending(ctx, p.read, r.req.ID)
		if err == nil {
			return ok, false
		}
	}
	return false, true
}

// redo makes a device hold its change after a failed confirm: while its
// commit may still be pending it waits for the device's timer (so the
// pending commit cannot revert what it sends), ends the adapter's
// transaction, and applies what is missing, retrying until it reads the
// change back or RollbackTimeout passes.
func (r *run) redo(ctx context.Context, p *part, pending bool) error {
	if p.timer && pending && !sleepUntil(ctx, p.commitAt.Add(r.req.confirmTimeout()+timerMargin)) {
		return ctx.Err()
	}
	_ = p.dev.Abort(ctx, r.req.ID) // frees the device's writer slot; the timer already reverted
	ctx, cancel := context.WithTimeout(ctx, r.c.cfg.RollbackTimeout)
	defer cancel()
	return r.c.driveUntil(ctx, p.Device, p.Changes)
}

// driveUntil applies changes where the device lacks them and reads them
// back, retrying every half second until it holds them or ctx ends.
func (c *Coordinator) driveUntil(ctx context.Context, device string, changes []yang.Change) error {
	var last error
	for {
		dev, err := c.cfg.Devices.Device(ctx, device)
		if err == nil {
			if err = c.reconfigure(ctx, dev, changes); err == nil {
				var t *yang.Tree
				if t, err = dev.Query(ctx, nil); err == nil {
					miss := missing(t, changes)
					if miss == "" {
						return nil
					}
					err = fmt.Errorf("the device does not hold %s", miss)
				}
			}
		}
		last = err
		if !sleepUntil(ctx, time.Now().Add(500*time.Millisecond)) {
			return fmt.Errorf("re-apply on %s: %w", device, errors.Join(last, ctx.Err()))
		}
	}
}

// reconfigure brings dev to what applying changes to its current
// configuration gives, sending only the difference (idempotent).
func (c *Coordinator) reconfigure(ctx context.Context, dev adapters.Device, changes []yang.Change) error {
	cur, err := dev.Query(ctx, nil)
	if err != nil {
		return err
	}
	want := cur.Clone()
	if err := yang.Apply(want, changes); err != nil {
		return err
	}
	diff := yang.Diff(cur, want)
	if len(diff) == 0 {
		return nil
	}
	return dev.Configure(ctx, diff)
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *run) outcomeState() State {
	var confirmed, undone, failed, committed int
	for _, p := range r.parts {
		switch p.outcome {
		case OutcomeConfirmed, OutcomeRedone:
			confirmed++
		case OutcomeFailed:
			failed++
		default:
			undone++
		}
		if p.committed {
			committed++
		}
	}
	switch {
	case failed > 0:
		return StateFailed
	case undone == 0:
		return StateConfirmed
	case confirmed > 0:
		return StatePartial
	case committed > 0:
		return StateRolledBack
	}
	return StateAborted
}

func (r *run) result(state State) *Result {
	res := &Result{ID: r.req.ID, Intent: r.req.Intent, State: state, Phase: r.phase, Started: r.started}
	for _, p := range r.parts {
		d := DeviceResult{Device: p.Device, Stage: p.Stage, Outcome: p.outcome, Phase: p.phase, Error: errorInfo(p.err)}
		if p.dev != nil {
			d.UndoBy = UndoByInverse
			if p.timer {
				d.UndoBy = UndoByTimer
			}
		}
		res.Devices = append(res.Devices, d)
	}
	sort.Slice(res.Devices, func(i, j int) bool { return res.Devices[i].Device < res.Devices[j].Device })
	return res
}

// maxScope is how many subtrees a read-back names before it reads the
// whole configuration instead.
const maxScope = 64

// readScope returns the subtrees a read-back of changes needs: each
// change's nearest enclosing list entry (or the change's own path when it
// has none), deduplicated; nil (everything) for many. Reading only them
// keeps the read-back of a small change small on a device with a big
// configuration (the device serialises, the adapter decodes, less).
func readScope(changes []yang.Change) []yang.Path {
	seen := map[string]bool{}
	var out []yang.Path
	for _, c := range changes {
		p := c.Path
		for i := len(p) - 1; i > 0; i-- {
			if len(p[i].Keys) > 0 {
				p = p[:i+1]
				break
			}
		}
		k := p.String()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
		if len(out) > maxScope {
			return nil
		}
	}
	return out
}

// holds reports whether t shows change c applied.
func holds(t *yang.Tree, c yang.Change) bool {
	if c.Path.IsEntry() {
		has := t.Has(c.Path)
		if c.Op == yang.OpDelete {
			return !has
		}
		return has
	}
	v, ok := t.Get(c.Path)
	if c.Op == yang.OpDelete {
		return !ok
	}
	return ok && v == c.New
}

// missing names the first change t does not show applied, or "".
func missing(t *yang.Tree, cs []yang.Change) string {
	for _, c := range cs {
		if !holds(t, c) {
			return c.String()
		}
	}
	return ""
}

// holdsAny reports whether t shows any of cs applied (where that differs
// from the state before: a change whose old state equals its new one
// cannot tell).
func holdsAny(t *yang.Tree, cs []yang.Change) bool {
	for _, c := range cs {
		if holds(t, c) {
			return true
		}
	}
	return false
}
