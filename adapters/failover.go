package adapters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netagent/netagent/yang"
)

// Event reports that a device's traffic moved from one protocol to
// another (From "" at start, To "" when every protocol is down).
type Event struct {
	Time   time.Time
	Device string
	From   string
	To     string
	Reason string
}

// FailoverOptions configure OpenDevice.
type FailoverOptions struct {
	Health HealthConfig
	// RetryFor bounds how long a Configure keeps going round the protocols
	// when every one failed transiently (timeout, unreachable, locked: a
	// hung session's lock is released only when the device reaps it).
	// Every round reads back first. Default 5s; the ctx deadline wins.
	RetryFor time.Duration
	// OnEvent is called synchronously for every switch. When it is nil the
	// switch is logged instead: each switch is reported once, by one of the
	// two (a caller that logs its events would otherwise see them twice).
	OnEvent func(Event)
	Logger  *slog.Logger
	// IdleTimeout closes a protocol's session that carried no operation
	// for this long (probes do not count; it reopens when next needed).
	// Sessions of a protocol holding a transaction the device may still be
	// asked to roll back stay open. Default 10m; negative: never.
	IdleTimeout time.Duration
	// Sessions, shared by every device of a Pool, bounds the open
	// sessions; nil is unlimited.
	Sessions *SessionLimit
	// Setups, shared by every device of a Pool, bounds the session
	// set-ups (connect, handshake, hello) in progress at once; nil is
	// unlimited. A thousand devices opened together would otherwise
	// share the CPU so thinly that every handshake times out, and each
	// retry would cost as much again. Waiting for a slot does not count
	// against the set-up's own timeouts.
	Setups *SessionLimit
}

type member struct {
	target Target
	health *Health

	openMu sync.Mutex // serialises opening

	mu        sync.Mutex // protects following fields
	dev       Device
	lastProbe time.Time // last probe or successful operation
	lastTry   time.Time // last probe begun, or failure seen
	lastUsed  time.Time // last operation begun or ended
	active    int       // operations in flight (a Monitor for its whole run)
	openFails int       // consecutive failed opens
	nextOpen  time.Time // before it, a probe does not retry a failed open
	caps      *Caps     // what the adapter offered when last open (nil: never asked)
}

// touch records that m answered (an operation or a probe succeeded), so
// its keep-alive probe is not due before KeepAlive from now.
func (m *member) touch() {
	m.mu.Lock()
	m.lastProbe = time.Now()
	m.mu.Unlock()
}

func (m *member) since() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return time.Since(m.lastProbe)
}

func (m *member) name() string { return m.target.Protocol.Name }

func (m *member) device() Device {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dev
}

// Failover is a Device over several protocols of one device, in
// preference order (R20). Each protocol has a health state machine fed by
// background probes and by operation outcomes; operations go to the most
// preferred protocol that is not down and move to the next one on a
// transport failure or timeout, without the caller noticing. A change is
// never sent twice: after an ambiguous failure the failover reads the
// device back through the next protocol and sends only the part not yet in
// effect. Traffic returns to a preferred protocol once its probes recover.
// Every switch is an Event.
//
// Failover is safe for concurrent use; writes are serialised (one writer).
// Close stops the health checker and closes every protocol's adapter.
type Failover struct {
	name    string
	reg     *Registry
	members []*member
	opts    FailoverOptions
	log     *slog.Logger
	writer  chan struct{}
	wake    chan struct{} // nudges the health checker (a protocol failed)
	evMu    sync.Mutex    // serialises reselect and event delivery

	mu      sync.Mutex // protects following fields
	current string     // protocol last reported as serving
	txs     map[string]*member
	txOrder []string // txs keys, oldest first, bounded by maxTxs
	holding string   // the transaction holding the writer slot, "" when none

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Compile-time conformance.
var (
	_ Device        = (*Failover)(nil)
	_ Transactional = (*Failover)(nil)
	_ Resumer       = (*Failover)(nil)
	_ Capabler      = (*Failover)(nil)
)

// OpenDevice opens a failover device over targets (one per protocol, in
// preference order, as Inventory.Targets returns them). Protocols that
// fail to open start down and are retried by the health checker; if none
// opens, the error of the first (most preferred) is returned.
func OpenDevice(ctx context.Context, reg *Registry, targets []Target, opts FailoverOptions) (*Failover, error) {
	if len(targets) == 0 {
		return nil, errors.New("adapters: open device: no protocols")
	}
	opts.Health = opts.Health.withDefaults()
	if opts.RetryFor <= 0 {
		opts.RetryFor = 5 * time.Second
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 10 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Failover{name: targets[0].Device, reg: reg, opts: opts, log: log.With("device", targets[0].Device),
		writer: make(chan struct{}, 1), wake: make(chan struct{}, 1), txs: map[string]*member{}}
	var errs []error
	opened := 0
	for _, t := range targets {
		if _, ok := reg.Opener(t.Protocol.Name); !ok {
			errs = append(errs, fmt.Errorf("device %s: protocol %s: no adapter registered", t.Device, t.Protocol.Name))
			continue
		}
		m := &member{target: t, health: NewHealth(opts.Health)}
		f.members = append(f.members, m)
		if opened > 0 {
			continue // opened when failover needs it (usable) or a probe is due
		}
		if err := f.open(ctx, m); err != nil {
			errs = append(errs, err)
			m.health.Trip(err)
			continue
		}
		opened++
	}
	if opened == 0 {
		_ = f.closeMembers()
		return nil, f.wrap("open device", "", errors.Join(errs...))
	}
	f.reselect("opened")
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f.cancel = cancel
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.checkHealth(hctx)
	}()
	return f, nil
}

// open opens m's adapter unless it is open; concurrent callers open it once.
func (f *Failover) open(ctx context.Context, m *member) error {
	m.openMu.Lock()
	defer m.openMu.Unlock()
	if m.device() != nil {
		return nil
	}
	if err := f.opts.Sessions.Acquire(ctx); err != nil {
		return m.target.Err(PhaseConnect, ErrTimeout, true, err, "every session of the pool is in use")
	}
	if err := f.opts.Setups.Acquire(ctx); err != nil {
		f.opts.Sessions.Release()
		return m.target.Err(PhaseConnect, ErrTimeout, true, err, "waiting for a session set-up slot")
	}
	o, _ := f.reg.Opener(m.name())
	d, err := o(ctx, m.target)
	f.opts.Setups.Release()
	if err != nil {
		f.opts.Sessions.Release()
		m.mu.Lock()
		m.lastTry = time.Now()
		m.openFails++
		m.nextOpen = m.lastTry.Add(f.reopenBackoff(m.openFails))
		m.mu.Unlock()
		return err
	}
	m.mu.Lock()
	m.dev = d
	m.lastProbe, m.lastUsed = time.Now(), time.Now()
	m.openFails, m.nextOpen = 0, time.Time{}
	m.mu.Unlock()
	return nil
}

// reopenBackoff is how long the health checker waits before it tries
// again to open a protocol that failed to open n times in a row: Interval,
// doubling with each failure up to KeepAlive, plus up to a quarter more at
// random. An open is a TCP and SSH or TLS handshake, costly on both sides;
// retried at a fixed interval on every device whose open timed out on a
// busy machine, the retries are what keeps it busy.
func (f *Failover) reopenBackoff(n int) time.Duration {
	h := f.opts.Health
	d := h.Interval
	for i := 1; i < n && d < h.KeepAlive; i++ {
		d *= 2
	}
	d = min(d, max(h.KeepAlive, h.Interval))
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}

// closeIdle closes m's adapter if it is open, carried no operation for
// IdleTimeout, and holds no transaction.
func (f *Failover) closeIdle(m *member) {
	if f.opts.IdleTimeout < 0 || f.pinsTx(m) {
		return
	}
	m.openMu.Lock()
	defer m.openMu.Unlock()
	m.mu.Lock()
	d := m.dev
	if d == nil || m.active > 0 || time.Since(m.lastUsed) < f.opts.IdleTimeout {
		m.mu.Unlock()
		return
	}
	if c, ok := d.(Capabler); ok {
		caps := c.Capabilities()
		m.caps = &caps // answered while closed
	}
	m.dev = nil
	m.mu.Unlock()
	if err := d.Close(); err != nil {
		f.log.Debug("close idle session", "protocol", m.name(), "err", err)
	}
	f.opts.Sessions.Release()
	f.log.Debug("idle session closed", "protocol", m.name())
}

// pinsTx reports whether a transaction this device remembers runs on m.
func (f *Failover) pinsTx(m *member) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, pm := range f.txs {
		if pm == m {
			return true
		}
	}
	return false
}

// heldBy reports whether the transaction holding the writer slot runs on m.
func (f *Failover) heldBy(m *member) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.holding != "" && f.txs[f.holding] == m
}

// checkHealth probes the protocols whose probe is due, and closes idle
// sessions, until ctx ends. It sleeps until the next thing is due: every
// Interval while a protocol is down or degraded, else until the next
// keep-alive or idle close (a failure wakes it at once). The first round
// waits a random part of the interval, so devices opened together do not
// probe together.
func (f *Failover) checkHealth(ctx context.Context) {
	iv := f.opts.Health.Interval
	if !sleepCtx(ctx, time.Duration(rand.Int64N(int64(iv)))) {
		return
	}
	for {
		for _, m := range f.members {
			f.closeIdle(m)
			if f.probeDue(m) {
				f.probe(ctx, m)
			}
		}
		f.reselect("health check")
		t := time.NewTimer(f.nextCheck())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-f.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// nextCheck is how long the health checker may sleep.
func (f *Failover) nextCheck() time.Duration {
	h := f.opts.Health
	next := h.KeepAlive
	if f.opts.IdleTimeout > 0 {
		next = min(next, f.opts.IdleTimeout)
	}
	for _, m := range f.members {
		if m.health.State() != Healthy {
			return h.Interval
		}
		m.mu.Lock()
		open, probed, used := m.dev != nil, m.lastProbe, m.lastUsed
		m.mu.Unlock()
		if !open {
			continue
		}
		next = min(next, h.KeepAlive-time.Since(probed))
		if f.opts.IdleTimeout > 0 {
			next = min(next, f.opts.IdleTimeout-time.Since(used))
		}
	}
	// Never spin, never oversleep a due probe by much.
	return max(next, h.Interval/4, time.Millisecond)
}

// probeDue: a protocol that is down or degraded is probed every Interval
// (to see it recover), but only every KeepAlive when it failed for good
// (credentials refused, host key changed: each probe would repeat the
// refusal and may lock the account), and one whose opens failed only after
// its reopen backoff; one never opened is not probed (it opens when
// failover needs it), and an open healthy one only when it has not
// answered anything for KeepAlive (an operation that succeeded counts) and
// carries no operation now.
func (f *Failover) probeDue(m *member) bool {
	m.mu.Lock()
	open, busy, backoff := m.dev != nil, m.active > 0, time.Now().Before(m.nextOpen)
	m.mu.Unlock()
	if f.heldBy(m) {
		// A transaction holds the device on m: a probe would share its
		// session, and a probe timing out would tear down the session
		// that holds the transaction's lock and candidate. The
		// transaction's own operations report m's health meanwhile.
		return false
	}
	if m.health.State() != Healthy {
		var de *DeviceError
		if err := m.health.LastError(); errors.As(err, &de) && de.Permanent() {
			m.mu.Lock()
			defer m.mu.Unlock()
			return time.Since(m.lastTry) >= f.opts.Health.KeepAlive
		}
		// A closed protocol whose opens failed is retried with backoff.
		return open || !backoff
	}
	if !open || busy {
		// Never opened: it opens when needed. Busy: the keep-alive
		// probe would queue behind the operations in flight (and time
		// out behind a slow one on a busy device); their outcomes report
		// the protocol's health.
		return false
	}
	return m.since() >= f.opts.Health.KeepAlive
}

func (f *Failover) probe(ctx context.Context, m *member) {
	d := m.device()
	limit := f.opts.Health.ProbeTimeout
	if d == nil {
		// An open is bounded by what opening takes (the target's Connect,
		// Auth and, for the hello or capabilities, RPC timeouts), not by
		// ProbeTimeout: a handshake that is slow on a busy machine is
		// finished rather than thrown away and redone.
		to := m.target.Timeouts.WithDefaults()
		limit = max(limit, to.Connect+to.Auth+to.RPC)
	}
	pctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	m.mu.Lock()
	m.lastTry = start
	m.mu.Unlock()
	var err error
	switch p, ok := d.(Pinger); {
	case d == nil:
		err = f.open(pctx, m)
	case ok:
		err = p.Ping(pctx)
	default:
		_, err = d.Query(pctx, []yang.Path{yang.InterfacePath("netagent-probe")})
	}
	if ctx.Err() != nil {
		return
	}
	if err == nil {
		m.touch()
	}
	m.health.Observe(err, time.Since(start))
}

// best returns the members to try, in order: healthy ones by preference,
// then degraded ones, then down ones (a last resort when nothing else is left).
func (f *Failover) order() []*member {
	out := make([]*member, 0, len(f.members))
	for _, want := range []HealthState{Healthy, Degraded, Down} {
		for _, m := range f.members {
			if m.health.State() == want {
				out = append(out, m)
			}
		}
	}
	return out
}

// reselect reports a switch when the preferred usable protocol changed.
// Switches are computed and reported under evMu, so OnEvent sees them in
// order (and must not call back into the device).
func (f *Failover) reselect(reason string) {
	f.evMu.Lock()
	defer f.evMu.Unlock()
	to := ""
	if o := f.order(); len(o) > 0 && o[0].health.State() != Down {
		to = o[0].name()
	}
	f.mu.Lock()
	from := f.current
	f.current = to
	f.mu.Unlock()
	if from == to {
		return
	}
	if f.opts.OnEvent != nil {
		f.opts.OnEvent(Event{Time: time.Now(), Device: f.name, From: from, To: to, Reason: reason})
		return
	}
	if from == "" {
		// First selection, or recovery from all down: not a switch.
		f.log.Info("device protocol", "protocol", to, "reason", reason)
		return
	}
	f.log.Warn("protocol switch", "from", from, "to", to, "reason", reason)
}

// Active returns the protocol currently serving the device ("" if none).
func (f *Failover) Active() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.current
}

// HealthOf returns the health state of protocol p.
func (f *Failover) HealthOf(p string) (HealthState, bool) {
	for _, m := range f.members {
		if m.name() == p {
			return m.health.State(), true
		}
	}
	return Down, false
}

// failed records that m failed at the transport level and reselects.
func (f *Failover) failed(m *member, err error) {
	m.mu.Lock()
	m.lastTry = time.Now()
	m.mu.Unlock()
	m.health.Trip(err)
	f.reselect(fmt.Sprintf("%s failed: %v", m.name(), err))
	select {
	case f.wake <- struct{}{}: // probe it from now on
	default:
	}
}

// use returns m's device, opening it if needed, and counts an operation
// in flight until done is called (an idle close waits for none).
func (f *Failover) use(ctx context.Context, m *member) (d Device, done func(), err error) {
	for {
		m.mu.Lock()
		if m.dev != nil {
			d = m.dev
			m.active++
			m.lastUsed = time.Now()
			m.mu.Unlock()
			return d, func() {
				m.mu.Lock()
				m.active--
				m.lastUsed = time.Now()
				m.mu.Unlock()
			}, nil
		}
		m.mu.Unlock()
		if err := f.open(ctx, m); err != nil {
			return nil, nil, err
		}
	}
}

func (f *Failover) acquire(ctx context.Context) error {
	select {
	case f.writer <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &DeviceError{Device: f.name, Phase: PhaseLock, Kind: ErrLocked, NotApplied: true, Err: ctx.Err(),
			Message: "another write to this device is in progress"}
	}
}

func (f *Failover) release() { <-f.writer }

// Configure applies changes through the best protocol, failing over as
// the type's documentation describes.
func (f *Failover) Configure(ctx context.Context, changes []yang.Change) error {
	if len(changes) == 0 {
		return nil
	}
	if err := f.acquire(ctx); err != nil {
		return err
	}
	defer f.release()
	remaining := changes
	ambiguous := false
	var errs []error
	giveUp := time.Now().Add(f.opts.RetryFor)
	backoff := 20 * time.Millisecond
	for round := 0; ; round++ {
		transient := true
		for _, m := range f.avoidLast(ctx, f.order()) {
			done, err := f.configureOn(ctx, m, &remaining, &ambiguous)
			if done {
				return err
			}
			errs = append(errs, err)
			if !Failed(err) && !errors.Is(err, ErrLocked) {
				transient = false
			}
		}
		if !transient || ctx.Err() != nil || time.Now().Add(backoff).After(giveUp) {
			break
		}
		f.log.Info("every protocol failed transiently; retrying", "round", round+1, "backoff", backoff)
		if !sleepCtx(ctx, backoff) {
			break
		}
		backoff = min(2*backoff, time.Second)
	}
	return f.wrap("configure", "every protocol failed", errors.Join(errs...))
}

// configureOn tries m once. done reports that Configure is over (with err,
// nil on success); otherwise err is why m did not take the change and the
// caller moves on. remaining and ambiguous carry what is left to send and
// whether an earlier attempt may have applied part of it.
func (f *Failover) configureOn(ctx context.Context, m *member, remaining *[]yang.Change, ambiguous *bool) (done bool, err error) {
	d, release, err := f.use(ctx, m)
	if err != nil {
		f.failed(m, err)
		return false, err
	}
	defer release()
	if *ambiguous {
		// An earlier attempt may have applied part or all of the change:
		// read back through this protocol and send only the rest.
		cur, err := d.Query(ctx, ChangedPaths(*remaining))
		if err != nil {
			if Failed(err) && ctx.Err() == nil {
				f.failed(m, err)
				return false, err
			}
			return true, err
		}
		var rest []yang.Change
		for _, c := range *remaining {
			if !InEffect(cur, c) {
				rest = append(rest, c)
			}
		}
		f.log.Info("read back after an ambiguous failure", "protocol", m.name(), "in_effect", len(*remaining)-len(rest), "remaining", len(rest))
		if len(rest) == 0 {
			return true, nil
		}
		*remaining = rest
		*ambiguous = false
	}
	start := time.Now()
	err = d.Configure(ctx, *remaining)
	if err == nil {
		m.touch()
		m.health.Observe(nil, time.Since(start))
		return true, nil
	}
	if errors.Is(err, ErrLocked) && Retryable(err) {
		return false, err // held by someone else for now; try the next, then again
	}
	if !Failed(err) || ctx.Err() != nil {
		// The device answered (rejected, auth) or the caller gave up:
		// failing over would not help.
		return true, err
	}
	f.failed(m, err)
	if !Retryable(err) {
		*ambiguous = true
	}
	return false, err
}

// Query reads through the best protocol, failing over on transport errors.
func (f *Failover) Query(ctx context.Context, paths []yang.Path) (*yang.Tree, error) {
	var errs []error
	for _, m := range f.order() {
		d, release, err := f.use(ctx, m)
		if err == nil {
			start := time.Now()
			var t *yang.Tree
			t, err = d.Query(ctx, paths)
			release()
			if err == nil {
				m.touch()
				m.health.Observe(nil, time.Since(start))
				return t, nil
			}
		}
		errs = append(errs, err)
		if !Failed(err) || ctx.Err() != nil {
			return nil, err
		}
		f.failed(m, err)
	}
	return nil, f.wrap("query", "every protocol failed", errors.Join(errs...))
}

// Monitor streams through the best protocol; when it fails, or a more
// preferred protocol recovers, the subscription moves. Protocols that
// cannot serve the subscription's paths (ErrUnsupported) are skipped.
func (f *Failover) Monitor(ctx context.Context, sub Subscription, emit func(Update) error) error {
	return f.monitor(ctx, false, quietFor(sub, f.opts.Health), func(mctx context.Context, d Device, alive func()) (error, error) {
		var emitErr error
		err := d.Monitor(mctx, sub, func(u Update) error {
			alive()
			if e := emit(u); e != nil {
				emitErr = e
				return e
			}
			return nil
		})
		return err, emitErr
	})
}

// MonitorRaw streams sub as the serving protocol's own wire messages (see
// RawMonitorer) while the protocol serving the device offers them; when it
// does not (after a failover to NETCONF, say) it answers ErrUnsupported
// and the caller falls back to Monitor.
func (f *Failover) MonitorRaw(ctx context.Context, sub Subscription, emit func([]byte) error) error {
	return f.monitor(ctx, true, quietFor(sub, f.opts.Health), func(mctx context.Context, d Device, alive func()) (error, error) {
		rm, ok := d.(RawMonitorer)
		if !ok {
			return fmt.Errorf("%w: no raw stream", ErrUnsupported), nil
		}
		var emitErr error
		err := rm.MonitorRaw(mctx, sub, func(b []byte) error {
			alive()
			if e := emit(b); e != nil {
				emitErr = e
				return e
			}
			return nil
		})
		return err, emitErr
	})
}

// monitor runs a subscription on the preferred usable protocol, moving to
// the next on failure and back when a preferred one recovers. run returns
// the device's error and the caller's emit error; it calls alive for every
// message the device sends: a stream that delivers is the protocol
// answering, so it needs no keep-alive probe (a probe slowed by a loaded
// machine would otherwise degrade a working stream and move it). A
// running subscription moves to a more preferred protocol that is
// healthy, and away from its own protocol only when that is no longer
// healthy and its stream was silent for quiet: never away from a
// protocol that still streams. With stopUnsupported an ErrUnsupported
// from run ends the subscription instead of skipping to the next
// protocol.
func (f *Failover) monitor(ctx context.Context, stopUnsupported bool, quiet time.Duration, run func(context.Context, Device, func()) (error, error)) error {
	var lastErr error
	skip := map[string]bool{}
	for ctx.Err() == nil {
		var m *member
		for _, c := range f.order() {
			if !skip[c.name()] {
				m = c
				break
			}
		}
		if m == nil {
			if lastErr == nil {
				lastErr = errors.New("no protocol can serve the subscription")
			}
			return f.wrap("monitor", "", lastErr)
		}
		d, release, err := f.use(ctx, m)
		if err != nil {
			f.failed(m, err)
			lastErr = err
			if f.allDown() {
				if !sleepCtx(ctx, f.opts.Health.Interval) {
					return nil
				}
			}
			continue
		}
		mctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		var lastAlive atomic.Int64 // unix ns of the stream's latest message
		lastAlive.Store(time.Now().UnixNano())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			// Move back when a more preferred protocol becomes usable.
			defer wg.Done()
			tick := time.NewTicker(f.opts.Health.Interval)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-mctx.Done():
					return
				case <-tick.C:
					o := f.order()
					if len(o) == 0 || o[0] == m || o[0].health.State() != Healthy || skip[o[0].name()] {
						continue
					}
					if f.prefers(o[0], m) || time.Since(time.Unix(0, lastAlive.Load())) > quiet {
						cancel()
						return
					}
				}
			}
		}()
		var touched time.Time
		alive := func() {
			now := time.Now()
			lastAlive.Store(now.UnixNano())
			if now.Sub(touched) >= time.Second { // at most once a second
				touched = now
				m.touch()
			}
		}
		err, emitErr := run(mctx, d, alive)
		close(done)
		cancel()
		wg.Wait()
		release()
		switch {
		case emitErr != nil:
			return emitErr
		case ctx.Err() != nil:
			return nil
		case err == nil:
			continue // moved back to a preferred protocol
		case errors.Is(err, ErrUnsupported):
			if stopUnsupported {
				return err
			}
			skip[m.name()] = true
			lastErr = err
		case Failed(err):
			f.failed(m, err)
			lastErr = err
		default:
			return err
		}
	}
	return nil
}

// quietFor is how long a subscription's stream may stay silent on a
// protocol that is no longer healthy before it moves: three sample
// intervals, or the keep-alive for on-change streams.
func quietFor(sub Subscription, h HealthConfig) time.Duration {
	if sub.Interval > 0 {
		return 3 * sub.Interval
	}
	return h.KeepAlive
}

// prefers reports whether a comes before b in the device's preference
// order.
func (f *Failover) prefers(a, b *member) bool {
	for _, m := range f.members {
		switch m {
		case a:
			return true
		case b:
			return false
		}
	}
	return false
}

func (f *Failover) allDown() bool {
	for _, m := range f.members {
		if m.health.State() != Down {
			return false
		}
	}
	return true
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Capabilities are those of the protocol currently serving the device.
// A protocol whose session was closed idle answers with what it offered
// when it was last open.
func (f *Failover) Capabilities() Caps {
	for _, m := range f.order() {
		if c, ok := m.device().(Capabler); ok {
			caps := c.Capabilities()
			m.mu.Lock()
			m.caps = &caps
			m.mu.Unlock()
			return caps
		}
		m.mu.Lock()
		caps := m.caps
		m.mu.Unlock()
		if caps != nil {
			return *caps
		}
	}
	return Caps{}
}

// Close stops the health checker and closes every protocol's adapter.
func (f *Failover) Close() error {
	if f.cancel != nil {
		f.cancel()
	}
	f.wg.Wait()
	return f.closeMembers()
}

func (f *Failover) closeMembers() error {
	var errs []error
	for _, m := range f.members {
		m.mu.Lock()
		d := m.dev
		m.dev = nil
		m.mu.Unlock()
		if d != nil {
			if err := d.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close %s %s: %w", f.name, m.name(), err))
			}
			f.opts.Sessions.Release()
		}
	}
	return errors.Join(errs...)
}

// --- transactions: pinned to the protocol that prepared them ---
//
// A transaction holds the device's writer slot from Prepare until it ends
// (Confirm, Abort, Rollback, a Commit without a confirm timeout, or a
// failure that ended it in the adapter), so no Configure through another
// protocol can interleave with it.

// Prepare prepares through the best protocol that supports transactions;
// the transaction stays on that protocol until it ends.
func (f *Failover) Prepare(ctx context.Context, tx string, changes []yang.Change) error {
	if err := f.acquire(ctx); err != nil {
		return err
	}
	var errs []error
	for _, m := range f.avoidLast(ctx, f.order()) {
		d, release, err := f.use(ctx, m)
		if err != nil {
			errs = append(errs, err)
			f.failed(m, err)
			continue
		}
		p, ok := d.(Transactional)
		if !ok {
			release()
			continue
		}
		err = p.Prepare(ctx, tx, changes)
		release() // from here the transaction pins m (pinsTx)
		if err == nil {
			f.mu.Lock()
			if _, ok := f.txs[tx]; !ok {
				f.txOrder = append(f.txOrder, tx)
			}
			f.txs[tx] = m
			f.holding = tx
			// Rollback of a confirmed transaction routes here later; keep
			// the most recent ones (the adapters keep as many).
			for len(f.txOrder) > maxTxs {
				delete(f.txs, f.txOrder[0])
				f.txOrder = f.txOrder[1:]
			}
			f.mu.Unlock()
			return nil
		}
		errs = append(errs, err)
		if !Failed(err) || !Retryable(err) || ctx.Err() != nil {
			f.release()
			return err
		}
		f.failed(m, err)
	}
	f.release()
	return f.wrap("prepare", "", errors.Join(append(errs, ErrUnsupported)...))
}

func (f *Failover) pinned(tx string, phase Phase) (Transactional, error) {
	f.mu.Lock()
	m := f.txs[tx]
	f.mu.Unlock()
	if m == nil {
		return nil, &DeviceError{Device: f.name, Phase: phase, Kind: ErrNoTransaction, NotApplied: true, Message: "transaction " + tx + " was not prepared here"}
	}
	d, _ := m.device().(Transactional)
	if d == nil {
		return nil, &DeviceError{Device: f.name, Protocol: m.name(), Phase: phase, Kind: ErrClosed, Message: "the protocol's adapter is closed"}
	}
	return d, nil
}

// maxTxs is how many transactions a Failover remembers for Rollback.
const maxTxs = 64

func (f *Failover) forget(tx string) {
	f.mu.Lock()
	delete(f.txs, tx)
	for i, id := range f.txOrder {
		if id == tx {
			f.txOrder = append(f.txOrder[:i:i], f.txOrder[i+1:]...)
			break
		}
	}
	f.mu.Unlock()
}

// holds reports whether tx holds the writer slot.
func (f *Failover) holds(tx string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.holding == tx && tx != ""
}

// endTx gives the writer slot back if tx holds it.
func (f *Failover) endTx(tx string) {
	f.mu.Lock()
	held := f.holding == tx && tx != ""
	if held {
		f.holding = ""
	}
	f.mu.Unlock()
	if held {
		f.release()
	}
}

// Commit commits on the protocol that prepared tx.
func (f *Failover) Commit(ctx context.Context, tx string, confirmTimeout time.Duration) error {
	d, err := f.pinned(tx, PhaseCommit)
	if err != nil {
		return err
	}
	err = d.Commit(ctx, tx, confirmTimeout)
	if (err == nil && confirmTimeout <= 0) || (err != nil && Retryable(err)) {
		f.endTx(tx) // the adapter ended the transaction
	}
	return err
}

// Confirm confirms on the protocol that prepared tx.
func (f *Failover) Confirm(ctx context.Context, tx string) error {
	d, err := f.pinned(tx, PhaseConfirm)
	if err != nil {
		return err
	}
	err = d.Confirm(ctx, tx)
	if err == nil || errors.Is(err, ErrRejected) || errors.Is(err, ErrNoTransaction) {
		f.endTx(tx) // confirmed, expired, or unknown to the adapter: over
	}
	return err
}

// Abort aborts on the protocol that prepared tx; an unknown tx succeeds.
func (f *Failover) Abort(ctx context.Context, tx string) error {
	d, err := f.pinned(tx, PhaseAbort)
	if errors.Is(err, ErrNoTransaction) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := d.Abort(ctx, tx); err != nil {
		// The adapter ended the transaction all the same (its writer slot
		// is free, see txbook); so does this device, keeping it known for
		// a later Rollback.
		f.endTx(tx)
		return err
	}
	f.endTx(tx)
	f.forget(tx)
	return nil
}

// Rollback rolls back on the protocol that prepared tx; an unknown tx
// succeeds. A transaction that already ended takes the writer slot again
// for its inverse.
func (f *Failover) Rollback(ctx context.Context, tx string) error {
	d, err := f.pinned(tx, PhaseRollback)
	if errors.Is(err, ErrNoTransaction) {
		return nil
	}
	if err != nil {
		return err
	}
	if !f.holds(tx) {
		if err := f.acquire(ctx); err != nil {
			return err
		}
		f.mu.Lock()
		f.holding = tx
		f.mu.Unlock()
	}
	err = d.Rollback(ctx, tx)
	f.endTx(tx)
	if err != nil {
		return err
	}
	f.forget(tx)
	return nil
}

// wrap adds what was done (and a summary) to err, naming the device only
// when err does not already (a DeviceError names it: "netconf connect r1:
// ..."), so a message says the device once.
func (f *Failover) wrap(op, summary string, err error) error {
	head := op
	if !strings.Contains(err.Error(), " "+f.name+":") {
		head += " " + f.name
	}
	if summary != "" {
		head += ": " + summary
	}
	return fmt.Errorf("%s: %w", head, err)
}

// ConfirmPending confirms the pending commit tx that an earlier process
// left on the device. A transaction this Failover holds is confirmed as
// Confirm does; otherwise each protocol that can resume is asked in turn
// (the one that committed it answers; the others have no pending commit
// under tx and reject it).
func (f *Failover) ConfirmPending(ctx context.Context, tx string) error {
	if f.holds(tx) {
		return f.Confirm(ctx, tx)
	}
	return f.resume(ctx, tx, PhaseConfirm, Resumer.ConfirmPending)
}

// CancelPending reverts the pending commit tx now, as ConfirmPending finds it.
func (f *Failover) CancelPending(ctx context.Context, tx string) error {
	if f.holds(tx) {
		return f.Abort(ctx, tx)
	}
	return f.resume(ctx, tx, PhaseAbort, Resumer.CancelPending)
}

func (f *Failover) resume(ctx context.Context, tx string, phase Phase, op func(Resumer, context.Context, string) error) error {
	if err := f.acquire(ctx); err != nil {
		return err
	}
	defer f.release()
	var rejected error
	var errs []error
	for _, m := range f.order() {
		d, done, err := f.use(ctx, m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r, ok := d.(Resumer)
		if !ok {
			done()
			continue
		}
		err = op(r, ctx, tx)
		done()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrRejected):
			rejected = err
		default:
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 && rejected != nil {
		return rejected // every protocol that can resume has nothing pending under tx
	}
	if len(errs) == 0 {
		return &DeviceError{Device: f.name, Phase: phase, Kind: ErrUnsupported, NotApplied: true,
			Message: "no protocol of the device resumes a pending commit"}
	}
	return f.wrap(string(phase), "tx "+tx, errors.Join(errs...))
}
