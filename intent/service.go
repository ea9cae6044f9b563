package intent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/internal/trace"
)

// Config is what a Service needs.
type Config struct {
	// Store keeps intents and their lifecycle. Required.
	Store *store.DB
	// Inventory and Devices are the network. Required.
	Inventory Inventory
	Devices   Devices
	// Executor applies plans; nil means DeviceExecutor over Devices.
	Executor Executor
	// Log receives lifecycle events; nil discards them.
	Log *slog.Logger
	// Workers is how many intents are planned and applied at once (intents
	// that share a device are serialised); default 4.
	Workers int
	// Clock stamps transitions; default time.Now.
	Clock func() time.Time
	// Principals names who intents act for on channels whose callers bring
	// no credential of their own, by Source.Channel: "file" (the configured
	// offline identity, e.g. file-inbox), "kafka" (the broker connection's
	// configured identity). A caller's principal in the context wins.
	Principals map[string]auth.Principal
	// Advisor is the knowledge base consulted on failures; nil runs
	// without one.
	Advisor Advisor
	// Audit, when set, records every stored step in the same store
	// transaction (an *audit.Log). Nil records nothing.
	Audit Auditor
}

// Service is the one entry point every intake (REST, Kafka, files, natural
// language, MCP) uses, so they all behave the same. It is safe for
// concurrent use. Submissions are accepted at any time; planning and
// applying them happens in Run.
type Service struct {
	recs     *records
	claims   *claims
	compiler *Compiler
	exec     Executor
	advisor  Advisor
	log      *slog.Logger
	workers  int
	now      func() time.Time

	// principals are the channels' configured identities (Config.Principals).
	principals map[string]auth.Principal

	work chan string

	mu sync.Mutex // protects following fields
	// inflight holds the ids a worker is processing; queued those waiting.
	inflight map[string]bool
	queued   map[string]bool
	backlog  bool                        // a submission did not fit in work: rescan the store
	retries  map[string]retry            // intents whose planning met a device error
	planSeen map[string]map[Failure]bool // failures observed per intent over its planning attempts (remedy.go)
	// planned hands the plan computed at accept time (with the device
	// configuration it was computed from, which claims need and the store
	// does not keep) to the worker that applies it.
	planned  map[string]*Plan
	changed  chan struct{} // closed and replaced on every transition
	devLocks map[string]*sync.Mutex
	subs     map[int]func(Event) // Subscribe's callbacks
	nextSub  int
}

// New returns a service over cfg, migrating its tables in the store.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Inventory == nil || cfg.Devices == nil {
		return nil, errors.New("intent: New needs Store, Inventory and Devices")
	}
	if _, err := cfg.Store.Migrate(ctx, storeOwner, migrations); err != nil {
		return nil, err
	}
	if _, err := cfg.Store.Migrate(ctx, claimsOwner, claimMigrations); err != nil {
		return nil, err
	}
	if _, err := loadSchemas(); err != nil {
		return nil, err
	}
	s := &Service{
		recs:     &records{db: cfg.Store, audit: cfg.Audit},
		claims:   &claims{db: cfg.Store},
		compiler: &Compiler{Inventory: cfg.Inventory, Devices: cfg.Devices},
		exec:     cfg.Executor,
		advisor:  cfg.Advisor,
		log:      cfg.Log,
		workers:  cfg.Workers,
		now:      cfg.Clock,
		work:     make(chan string, 4096),
		inflight: map[string]bool{},
		queued:   map[string]bool{},
		changed:  make(chan struct{}),
		devLocks: map[string]*sync.Mutex{},
		retries:  map[string]retry{},
		planned:  map[string]*Plan{},
		subs:     map[int]func(Event){},
	}
	s.principals = cfg.Principals
	if s.exec == nil {
		s.exec = DeviceExecutor{Devices: cfg.Devices, Log: s.log}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.workers <= 0 {
		s.workers = 4
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Compiler returns the service's compiler (for dry runs by other packages).
func (s *Service) Compiler() *Compiler { return s.compiler }

// Decode is the package-level Decode; it is here so that intakes need only
// the service.
func (s *Service) Decode(body []byte) (*Intent, error) { return Decode(body) }

// Plan decodes body and plans it without storing or applying anything: the
// dry run. Refusals are *InvalidError.
func (s *Service) Plan(ctx context.Context, body []byte) (*Intent, *Plan, error) {
	in, err := Decode(body)
	if err != nil {
		return nil, nil, err
	}
	plan, err := s.compiler.Compile(ctx, in)
	return in, plan, err
}

// Submit decodes body and submits it (see SubmitIntent).
func (s *Service) Submit(ctx context.Context, body []byte, src Source) (*Record, error) {
	in, err := Decode(body)
	if err != nil {
		return nil, err
	}
	return s.SubmitIntent(ctx, in, src)
}

// SubmitIntent accepts a decoded intent. It assigns an id if there is
// none, runs the semantic checks and plans against the devices' current
// configuration, and stores the record (accepted, then planned) before it
// returns: a returned record is durable. Planning and device problems that
// are not the intent's fault (a device that does not answer) do not refuse
// it: it is stored as accepted and planned again in the background.
//
// A dry-run intent is planned and returned with DryRun set; nothing is
// stored. An id already stored with the same content returns the stored
// record with Duplicate set; with different content, ErrConflict.
func (s *Service) SubmitIntent(ctx context.Context, in *Intent, src Source) (*Record, error) {
	src = s.origin(ctx, src)
	ctx = originContext(ctx, src)
	if in.ID == "" {
		in.ID = NewID()
	}
	if in.Options.DryRun {
		plan, err := s.compiler.Compile(ctx, in)
		if err != nil {
			return nil, err
		}
		now := s.now().UTC()
		return &Record{ID: in.ID, Kind: in.Kind, State: StatePlanned, Intent: in, Digest: digest(in), Plan: plan,
			Source: src, Requester: in.Requester, CreatedAt: now, UpdatedAt: now, DryRun: true,
			History: []Transition{{State: StatePlanned, Reason: "dry run: " + summary(plan), At: now}}}, nil
	}
	canonical := in.Canonical()
	dg := digestOf(canonical)
	// A resubmission (Kafka's at-least-once delivery, a client's retry)
	// is found by the insert, which stores nothing when the id exists: the
	// common case, a new id, pays no lookup before it. A refusal is
	// checked against the store first, so that a stored intent is
	// answered as stored even if it would not plan today.
	refused := func(err error) (*Record, error) {
		if found, ferr := s.recs.exists(ctx, in.ID); ferr == nil && found {
			if rec, gerr := s.recs.get(ctx, in.ID); gerr == nil {
				return s.duplicate(rec, dg)
			}
		}
		return nil, err
	}
	names, err := s.compiler.Resolve(in)
	if err != nil {
		return refused(err)
	}
	now := s.now().UTC()
	rec := &Record{ID: in.ID, Kind: in.Kind, State: StateAccepted, Intent: in, Digest: dg, Source: src,
		Requester: in.Requester, CreatedAt: now, UpdatedAt: now,
		History: []Transition{{State: StateAccepted, Reason: "accepted from " + src.Channel, At: now}}}
	plan, perr := s.compiler.CompileFor(ctx, in, names)
	var ie *InvalidError
	switch {
	case errors.As(perr, &ie):
		return refused(perr)
	case perr != nil:
		rec.History[0].Reason += "; planning deferred: " + perr.Error()
	default:
		rec.State, rec.Plan = StatePlanned, plan
		rec.History = append(rec.History, Transition{State: StatePlanned, Reason: summary(plan), At: now})
	}
	inserted, err := s.recs.insert(ctx, rec, canonical)
	if err != nil {
		return nil, err
	}
	if !inserted {
		// The id is stored already (resubmitted, or another submission
		// of it won the race).
		existing, err := s.recs.get(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return s.duplicate(existing, dg)
	}
	s.log.InfoContext(ctx, "intent accepted", "id", rec.ID, "kind", rec.Kind, "source", src.Channel, "state", rec.State)
	var from State
	for _, t := range rec.History {
		s.emit(Event{ID: rec.ID, Kind: rec.Kind, From: from, State: t.State, Reason: t.Reason, At: t.At, Source: rec.Source})
		from = t.State
	}
	if rec.State == StatePlanned {
		s.mu.Lock()
		// Hand-off plans are kept for a work queue's worth of intents: a
		// backlog beyond it would hold every plan (and the configuration
		// it was computed from) in memory; those intents are planned
		// again when their turn comes, as after a restart.
		if len(s.planned) < cap(s.work) {
			s.planned[rec.ID] = plan
		}
		s.mu.Unlock()
	}
	s.notify()
	s.enqueue(rec.ID)
	return rec, nil
}

// takePlanned returns the accept-time plan of an intent, once.
func (s *Service) takePlanned(id string) *Plan {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.planned[id]
	delete(s.planned, id)
	return p
}

func (s *Service) duplicate(rec *Record, dg string) (*Record, error) {
	if rec.Digest != dg {
		return nil, fmt.Errorf("%w: intent %s exists with different content (state %s); choose another id", ErrConflict, rec.ID, rec.State)
	}
	rec.Duplicate = true
	return rec, nil
}

func digest(in *Intent) string { return digestOf(in.Canonical()) }

// digestOf is the digest of an intent's canonical encoding.
func digestOf(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

func summary(p *Plan) string {
	n := p.Len()
	if n == 0 {
		return "nothing to change: the intent is already satisfied"
	}
	var devs []string
	for _, d := range p.Devices {
		if len(d.Changes) > 0 {
			devs = append(devs, fmt.Sprintf("%s (%d)", d.Device, len(d.Changes)))
		}
	}
	noun := "changes"
	if n == 1 {
		noun = "change"
	}
	return fmt.Sprintf("%d %s on %s", n, noun, strings.Join(devs, ", "))
}

// Get returns the record with id, or ErrNotFound. With an executor that
// runs transactions, the record links the latest one.
func (s *Service) Get(ctx context.Context, id string) (*Record, error) {
	rec, err := s.recs.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if l, ok := s.exec.(TxnLinker); ok {
		if rec.Txn, err = l.TxnOf(ctx, id); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// GetWindow is Get with only win's devices of the plan (see PlanWindow);
// win's totals are set to the whole plan's. Big records stay cheap to
// show a page of.
func (s *Service) GetWindow(ctx context.Context, id string, win *PlanWindow) (*Record, error) {
	rec, err := s.recs.getWindow(ctx, id, win)
	if err != nil {
		return nil, err
	}
	if l, ok := s.exec.(TxnLinker); ok {
		if rec.Txn, err = l.TxnOf(ctx, id); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// List returns a page of records, oldest first.
func (s *Service) List(ctx context.Context, q ListQuery) (*Page, error) {
	if q.State != "" && transitions[q.State] == nil {
		return nil, invalid(StageSyntax, "", "state %q is not a lifecycle state", q.State)
	}
	return s.recs.list(ctx, q)
}

// Transition records a lifecycle step decided outside the service:
// assurance sets assured, drifted and breached. It fails with ErrConflict
// when the lifecycle does not allow the step from the record's state.
func (s *Service) Transition(ctx context.Context, id string, to State, reason string) (*Record, error) {
	rec, err := s.recs.get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch to {
	case StateAssured, StateDrifted, StateBreached:
	default:
		return nil, fmt.Errorf("%w: only assured, drifted and breached are set from outside, not %s", ErrConflict, to)
	}
	if err := s.move(ctx, rec, rec.State, to, reason, s.now().UTC(), nil, ""); err != nil {
		return nil, err
	}
	s.notify()
	return s.recs.get(ctx, id)
}

// Reconcile plans and applies an applied (or assured, drifted, breached)
// intent again, restoring what drifted away from it.
func (s *Service) Reconcile(ctx context.Context, id, reason string) (*Record, error) {
	rec, err := s.recs.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.move(ctx, rec, rec.State, StatePlanned, "reconcile: "+reason, s.now().UTC(), nil, ""); err != nil {
		return nil, err
	}
	s.notify()
	out, err := s.recs.get(ctx, id)
	s.enqueue(id)
	return out, err
}

// Withdraw withdraws an intent: what it configured is removed (changes
// made since by others are kept) and the record ends withdrawn. An intent
// not yet applied is withdrawn at once; an applied one moves to withdrawing
// and Run removes its configuration. Withdrawing a withdrawn intent returns
// it unchanged; one being applied is refused with ErrConflict.
func (s *Service) Withdraw(ctx context.Context, id, reason string) (*Record, error) {
	if reason == "" {
		reason = "withdrawn"
	}
	rec, err := s.recs.get(ctx, id)
	if err != nil {
		return nil, err
	}
	to := StateWithdrawing
	if rec.State == StateAccepted || rec.State == StatePlanned {
		s.takePlanned(id) // never applied: its hand-off plan goes too
	}
	switch rec.State {
	case StateWithdrawn, StateWithdrawing:
		return rec, nil
	case StateAccepted, StatePlanned, StateRolledBack:
		to = StateWithdrawn
	case StateApplying:
		return nil, fmt.Errorf("%w: intent %s is being applied; withdraw it when it is done", ErrConflict, id)
	}
	if err := s.move(ctx, rec, rec.State, to, reason, s.now().UTC(), nil, ""); err != nil {
		return nil, err
	}
	if to == StateWithdrawn {
		if err := s.claims.release(ctx, id); err != nil {
			return nil, err
		}
	}
	// Read the record before the work is queued, so the answer shows the
	// state this call set (withdrawing or withdrawn), not a later one.
	out, err := s.recs.get(ctx, id)
	s.notify()
	if to == StateWithdrawing {
		s.enqueue(id)
	}
	return out, err
}

// Wait blocks until the record with id is in one of states (or, with no
// states, in a state the service has no more work for) and returns it.
func (s *Service) Wait(ctx context.Context, id string, states ...State) (*Record, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		rec, err := s.recs.get(ctx, id)
		if err != nil {
			return nil, err
		}
		if len(states) == 0 && !rec.State.pending() {
			return rec, nil
		}
		for _, st := range states {
			if rec.State == st {
				return rec, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return rec, ctx.Err()
		}
	}
}

func (s *Service) notify() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *Service) enqueue(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queued[id] {
		return
	}
	select {
	case s.work <- id:
		s.queued[id] = true
	default:
		s.backlog = true
	}
}

// Run plans and applies submitted intents until ctx ends, then waits for
// the work in progress to stop. At start it resumes every intent left
// pending by a previous run (an intent that was being applied is planned
// again against what the devices hold now, so nothing is applied twice).
func (s *Service) Run(ctx context.Context) error {
	if err := s.rescan(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	var wg sync.WaitGroup
	for range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.worker(ctx)
		}()
	}
	wg.Wait()
	return nil
}

func (s *Service) rescan(ctx context.Context) error {
	// Read only as many pending ids as the work queue has room for, plus
	// those that will be skipped (queued already, in flight, waiting for a
	// retry): during a burst the queue stays full and a rescan of a
	// backlog of thousands read them all every second for nothing.
	s.mu.Lock()
	room := cap(s.work) - len(s.work)
	limit := room + len(s.queued) + len(s.inflight) + len(s.retries)
	if room == 0 {
		s.backlog = true
	}
	s.mu.Unlock()
	if room == 0 {
		return nil
	}
	ids, err := s.recs.pendingIDs(ctx, limit)
	if err != nil {
		return err
	}
	if len(ids) == limit {
		s.mu.Lock()
		s.backlog = true // more may wait beyond the limit
		s.mu.Unlock()
	}
	now := time.Now()
	for _, id := range ids {
		s.mu.Lock()
		r, waiting := s.retries[id]
		s.mu.Unlock()
		if waiting && r.at.After(now) {
			continue // its retry is due later
		}
		s.enqueue(id)
	}
	return nil
}

func (s *Service) worker(ctx context.Context) {
	idle := time.NewTicker(time.Second)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-s.work:
			s.mu.Lock()
			delete(s.queued, id)
			busy := s.inflight[id]
			if !busy {
				s.inflight[id] = true
			}
			s.mu.Unlock()
			if busy {
				// Another worker has it; let it finish and look again later.
				s.mu.Lock()
				s.backlog = true
				s.mu.Unlock()
				continue
			}
			s.process(ctx, id)
			s.mu.Lock()
			delete(s.inflight, id)
			s.mu.Unlock()
		case <-idle.C:
			s.mu.Lock()
			backlog := s.backlog
			s.backlog = false
			var due []string
			for id, r := range s.retries {
				if !r.at.After(time.Now()) && !r.queued {
					due = append(due, id)
					r.queued = true
					s.retries[id] = r
				}
			}
			s.mu.Unlock()
			for _, id := range due {
				s.enqueue(id)
			}
			if backlog {
				if err := s.rescan(ctx); err != nil && ctx.Err() == nil {
					s.log.Error("intent rescan", "err", err)
				}
			}
		}
	}
}

// Event is one stored lifecycle transition, as subscribers see it.
type Event struct {
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// From is the state before the transition; empty for an intent's
	// first.
	From   State     `json:"from,omitempty"`
	State  State     `json:"state"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	Source Source    `json:"source"`
}

// Subscribe calls fn after every stored transition, in the goroutine that
// made it; fn must return quickly and not call back into the service's
// mutating methods. The returned cancel stops the calls.
func (s *Service) Subscribe(fn func(Event)) (cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	return func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
	}
}

func (s *Service) emit(e Event) {
	s.mu.Lock()
	fns := make([]func(Event), 0, len(s.subs))
	for _, fn := range s.subs {
		fns = append(fns, fn)
	}
	s.mu.Unlock()
	for _, fn := range fns {
		fn(e)
	}
}

// move stores a transition of rec (compare-and-set on from) and tells
// subscribers.
func (s *Service) move(ctx context.Context, rec *Record, from, to State, reason string, at time.Time, plan *Plan, errText string) error {
	if err := s.recs.update(ctx, rec.ID, from, to, reason, at, plan, errText); err != nil {
		return err
	}
	s.emit(Event{ID: rec.ID, Kind: rec.Kind, From: from, State: to, Reason: reason, At: at, Source: rec.Source})
	return nil
}

// retry is a planning attempt to repeat after a device error.
type retry struct {
	attempts int
	at       time.Time
	queued   bool
}

// maxPlanAttempts bounds how often planning is tried against devices that
// fail (unreachable, session lost) before the intent fails.
const maxPlanAttempts = 6

// retryLater schedules another planning attempt with exponential backoff
// (0.5s, 1s, 2s...) and reports false once the attempts are used up.
func (s *Service) retryLater(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.retries[id]
	r.attempts++
	if r.attempts >= maxPlanAttempts {
		delete(s.retries, id)
		return false
	}
	r.at = time.Now().Add(250 * time.Millisecond << r.attempts)
	r.queued = false
	s.retries[id] = r
	return true
}

// lockDevices locks the named devices in name order and returns the unlock.
func (s *Service) lockDevices(names []string) func() {
	names = append([]string(nil), names...)
	sort.Strings(names)
	var ls []*sync.Mutex
	s.mu.Lock()
	for _, n := range names {
		l, ok := s.devLocks[n]
		if !ok {
			l = &sync.Mutex{}
			s.devLocks[n] = l
		}
		ls = append(ls, l)
	}
	s.mu.Unlock()
	for _, l := range ls {
		l.Lock()
	}
	return func() {
		for i := len(ls) - 1; i >= 0; i-- {
			ls[i].Unlock()
		}
	}
}

// process moves one intent as far along its lifecycle as it can go.
func (s *Service) process(ctx context.Context, id string) {
	rec, err := s.recs.get(ctx, id)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("intent load", "id", id, "err", err)
		}
		return
	}
	// Who asked and the trace travel with the work, from the record: the
	// submission's for applying, the withdraw's for withdrawing.
	var perr error
	switch rec.State {
	case StateAccepted, StatePlanned, StateApplying:
		perr = s.apply(originContext(ctx, rec.Source), rec)
	case StateWithdrawing:
		perr = s.withdraw(withdrawContext(ctx, rec), rec)
	default:
		return
	}
	if perr != nil && ctx.Err() == nil && !errors.Is(perr, ErrConflict) {
		s.log.ErrorContext(ctx, "intent processing", "id", id, "err", perr)
	}
	s.notify()
}

func (s *Service) fail(ctx context.Context, rec *Record, from State, reason string) error {
	s.log.WarnContext(ctx, "intent failed", "id", rec.ID, "reason", reason)
	return s.move(ctx, rec, from, StateFailed, reason, s.now().UTC(), nil, reason)
}

func (s *Service) apply(ctx context.Context, rec *Record) error {
	in := rec.Intent
	names, err := s.compiler.Resolve(in)
	if err != nil {
		return s.fail(ctx, rec, rec.State, "targets: "+err.Error())
	}
	unlock := s.lockDevices(names)
	defer unlock()

	// One plan per intent: the one computed at accept time runs unless a
	// device's configuration moved since: its version moved (our own
	// writes, a change seen), or a fresh read of what the intent concerns
	// differs from what the plan was computed from (a change made out of
	// band, which the configuration cache may not have seen yet). After a
	// restart only the stored plan is left, without the configuration it
	// was computed from: planned again. A plan computed here reads the
	// devices, not the cache.
	plan := s.takePlanned(rec.ID)
	reused := plan != nil && rec.State == StatePlanned && s.compiler.stillValid(ctx, plan, in, names)
	if !reused {
		if plan != nil {
			s.log.InfoContext(ctx, "intent planned again: a device changed since it was accepted", "id", rec.ID)
		}
		plan, err = s.compiler.CompileFor(WithFreshReads(ctx), in, names)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ie *InvalidError
		if !errors.As(err, &ie) {
			fs := s.observePlanning(rec, err)
			if !permanent(err) && s.retryLater(rec.ID) {
				s.log.WarnContext(ctx, "intent planning will be retried", "id", rec.ID, "err", err)
				return nil
			}
			s.forgetPlanning(rec.ID)
			s.saveOutcome(ctx, rec, fs, s.advise(ctx, fs))
		}
		return s.fail(ctx, rec, rec.State, "plan: "+err.Error())
	}
	s.mu.Lock()
	delete(s.retries, rec.ID)
	delete(s.planSeen, rec.ID)
	s.mu.Unlock()
	state := rec.State
	now := s.now().UTC()
	switch state {
	case StateAccepted:
		err = s.move(ctx, rec, state, StatePlanned, summary(plan), now, plan, "")
	case StateApplying:
		err = s.move(ctx, rec, state, StatePlanned, "re-planned after a restart: "+summary(plan), now, plan, "")
	case StatePlanned:
		if !reused {
			err = s.recs.setPlan(ctx, rec.ID, state, plan, now)
		}
	default:
		err = s.recs.setPlan(ctx, rec.ID, state, plan, now)
	}
	if err != nil {
		return err
	}
	if err := s.hold(ctx, rec.ID, plan); err != nil {
		return err
	}
	if plan.Len() == 0 {
		return s.move(ctx, rec, StatePlanned, StateApplied, "nothing to change: the intent is already satisfied", s.now().UTC(), nil, "")
	}
	if err := s.move(ctx, rec, StatePlanned, StateApplying, "applying "+summary(plan), s.now().UTC(), nil, ""); err != nil {
		return err
	}
	s.notify()
	err = s.execute(ctx, rec, names, plan)
	now = s.now().UTC()
	switch {
	case err == nil:
		s.log.InfoContext(ctx, "intent applied", "id", rec.ID, "changes", plan.Len())
		return s.move(ctx, rec, StateApplying, StateApplied, "applied "+summary(plan), now, nil, "")
	case ctx.Err() != nil:
		// Shutting down: the next Run re-plans from what the devices hold.
		return ctx.Err()
	case errors.Is(err, ErrRolledBack):
		s.log.Warn("intent rolled back", "id", rec.ID, "reason", err.Error())
		if rerr := s.claims.release(ctx, rec.ID); rerr != nil {
			return rerr
		}
		return s.move(ctx, rec, StateApplying, StateRolledBack, err.Error(), now, nil, err.Error())
	default:
		return s.fail(ctx, rec, StateApplying, err.Error())
	}
}

// hold records what the intent's plan claims on each device (own.go),
// before anything is applied.
func (s *Service) hold(ctx context.Context, id string, plan *Plan) error {
	var all []claim
	for _, dp := range plan.Devices {
		cs, err := claimsOf(id, dp)
		if err != nil {
			return err
		}
		all = append(all, cs...)
	}
	return s.claims.hold(ctx, all)
}

// withdraw removes what an intent configured and holds alone (own.go),
// planned against the devices' configuration now.
func (s *Service) withdraw(ctx context.Context, rec *Record) error {
	names := withdrawDevices(rec)
	if len(names) == 0 {
		if err := s.claims.release(ctx, rec.ID); err != nil {
			return err
		}
		return s.move(ctx, rec, StateWithdrawing, StateWithdrawn, "nothing was configured", s.now().UTC(), nil, "")
	}
	unlock := s.lockDevices(names)
	defer unlock()
	wplan, splices, err := s.planWithdraw(ctx, rec, names)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.fail(ctx, rec, StateWithdrawing, "withdraw: "+err.Error())
	}
	if err := s.exec.Execute(ctx, rec.Intent, wplan); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.saveOutcome(ctx, rec, s.observe(rec, err), nil)
		return s.fail(ctx, rec, StateWithdrawing, "withdraw: "+err.Error())
	}
	if err := s.claims.handOver(ctx, rec.ID, splices); err != nil {
		return err
	}
	return s.move(ctx, rec, StateWithdrawing, StateWithdrawn, "removed "+summary(wplan)+keptSummary(wplan), s.now().UTC(), nil, "")
}

// withdrawDevices lists the devices an intent's stored plan touched.
func withdrawDevices(rec *Record) []string {
	if rec.Plan == nil {
		return nil
	}
	var names []string
	for _, d := range rec.Plan.Devices {
		names = append(names, d.Device)
	}
	return names
}

// PlanWithdraw plans the withdraw of intent id without carrying it out (the
// withdraw's dry run): per device the changes, against the configuration
// the device holds now, and what stays and why. ErrNotFound for an unknown
// id.
func (s *Service) PlanWithdraw(ctx context.Context, id string) (*Plan, error) {
	rec, err := s.recs.get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch rec.State {
	case StateWithdrawn, StateAccepted, StatePlanned, StateRolledBack:
		// Nothing of it is on a device.
		return &Plan{IntentID: id, Devices: []DevicePlan{}}, nil
	}
	names := withdrawDevices(rec)
	unlock := s.lockDevices(names)
	defer unlock()
	plan, _, err := s.planWithdraw(ctx, rec, names)
	return plan, err
}

// planWithdraw computes the withdraw plan of rec on names and the claims
// that take over from it; the caller holds the devices' locks.
func (s *Service) planWithdraw(ctx context.Context, rec *Record, names []string) (*Plan, []claim, error) {
	wplan := &Plan{IntentID: rec.ID, Devices: []DevicePlan{}}
	var splices []claim
	for _, name := range names {
		stacks, err := s.claims.stacks(ctx, name, rec.ID)
		if err != nil {
			return nil, nil, err
		}
		if len(stacks) == 0 && rec.Plan != nil {
			// Applied before claims were kept: claim what its plan changed,
			// below anything others hold.
			for _, dp := range rec.Plan.Devices {
				if dp.Device != name {
					continue
				}
				for _, cl := range legacyClaims(rec.ID, dp) {
					k := cl.path.String()
					stacks[k] = append([]claim{cl}, stacks[k]...)
				}
			}
			if err := s.claims.others(ctx, name, stacks); err != nil {
				return nil, nil, err
			}
		}
		if len(stacks) == 0 {
			continue
		}
		cur, err := s.compiler.current(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		dp, sp := withdrawDevice(name, rec.ID, cur, stacks)
		wplan.Devices = append(wplan.Devices, dp)
		splices = append(splices, sp...)
	}
	return wplan, splices, nil
}

// origin completes a submission's Source: the principal from the caller's
// context (the REST edge put it there) or the channel's configured
// identity, and the trace id from the context or a new one.
func (s *Service) origin(ctx context.Context, src Source) Source {
	if src.Principal == nil {
		if p, ok := auth.FromContext(ctx); ok {
			src.Principal = &p
		} else if p, ok := s.principals[src.Channel]; ok {
			src.Principal = &p
		}
	}
	if src.TraceID == "" {
		if src.TraceID = trace.IDFrom(ctx); src.TraceID == "" {
			src.TraceID = trace.New().TraceID
		}
	}
	return src
}

// withdrawContext returns ctx carrying who asked for rec's withdraw and
// its trace (the step to withdrawing records them), so the withdraw's
// device operations, audit entries and log lines are theirs, not the
// submitter's. A withdraw stored without them falls back to the origin.
func withdrawContext(ctx context.Context, rec *Record) context.Context {
	src := rec.Source
	for i := len(rec.History) - 1; i >= 0; i-- {
		if t := rec.History[i]; t.State == StateWithdrawing {
			if t.By != nil {
				src.Principal = t.By
				if t.TraceID != "" {
					src.TraceID = t.TraceID
				}
			}
			break
		}
	}
	return originContext(ctx, src)
}

// originContext returns ctx carrying src's principal and trace, so the
// work's log lines (internal/logging) and device operations name them.
func originContext(ctx context.Context, src Source) context.Context {
	if src.Principal != nil {
		ctx = auth.WithPrincipal(ctx, *src.Principal)
	}
	if src.TraceID != "" && trace.IDFrom(ctx) != src.TraceID {
		ctx = trace.With(ctx, trace.Context{TraceID: src.TraceID})
	}
	return ctx
}
