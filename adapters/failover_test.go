package adapters

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/yang"
)

// store is a device's datastore shared by the fake protocol front ends, as
// in the lab: a change made through one is visible through the others.
type store struct {
	mu      sync.Mutex
	tree    *yang.Tree
	applied int // Configure calls that changed the tree
}

// fakeMode is how a fake protocol misbehaves.
type fakeMode int

const (
	fakeOK           fakeMode = iota
	fakeDown                  // unreachable: nothing sent
	fakeHang                  // hangs until ctx ends, applies nothing
	fakeApplyThenDie          // applies the change, then the reply is lost
	fakeAuth                  // refuses the credentials: a permanent failure
)

type fakeProto struct {
	name  string
	st    *store
	mu    sync.Mutex
	mode  fakeMode
	sent  [][]yang.Change
	opens int
}

func (f *fakeProto) setMode(m fakeMode) { f.mu.Lock(); f.mode = m; f.mu.Unlock() }
func (f *fakeProto) getMode() fakeMode  { f.mu.Lock(); defer f.mu.Unlock(); return f.mode }

func (f *fakeProto) err(kind error, notApplied bool) error {
	return &DeviceError{Device: "r1", Protocol: f.name, Phase: PhaseCommit, Kind: kind, NotApplied: notApplied}
}

func (f *fakeProto) Configure(ctx context.Context, changes []yang.Change) error {
	f.mu.Lock()
	f.sent = append(f.sent, changes)
	f.mu.Unlock()
	switch f.getMode() {
	case fakeDown:
		return f.err(ErrUnreachable, true)
	case fakeHang:
		// The adapter's own RPC timeout fires; the caller's ctx is still alive.
		return hang(ctx, f.err(ErrTimeout, false))
	}
	f.st.mu.Lock()
	err := yang.Apply(f.st.tree, changes)
	f.st.applied++
	f.st.mu.Unlock()
	if err != nil {
		return err
	}
	if f.getMode() == fakeApplyThenDie {
		return f.err(ErrTimeout, false)
	}
	return nil
}

func (f *fakeProto) Query(ctx context.Context, paths []yang.Path) (*yang.Tree, error) {
	switch f.getMode() {
	case fakeDown, fakeApplyThenDie:
		return nil, f.err(ErrUnreachable, true)
	case fakeHang:
		return nil, hang(ctx, f.err(ErrTimeout, true))
	}
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	return Restrict(f.st.tree.Clone(), paths), nil
}

func (f *fakeProto) Monitor(ctx context.Context, sub Subscription, emit func(Update) error) error {
	if m := f.getMode(); m != fakeOK {
		return f.err(ErrUnreachable, true)
	}
	if err := emit(Update{Device: "r1", Path: f.name}); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

func (f *fakeProto) Ping(ctx context.Context) error {
	if m := f.getMode(); m == fakeAuth {
		return &DeviceError{Device: "r1", Protocol: f.name, Phase: PhaseConnect, Kind: ErrAuth, NotApplied: true}
	} else if m != fakeOK {
		return f.err(ErrUnreachable, true)
	}
	return nil
}

func (f *fakeProto) Close() error { return nil }

func hang(ctx context.Context, err error) error {
	select {
	case <-ctx.Done():
	case <-time.After(30 * time.Millisecond):
	}
	return err
}

func (f *fakeProto) calls() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.sent) }

func fakeDevice(t *testing.T, names ...string) (*Failover, map[string]*fakeProto, *store, func() []Event) {
	t.Helper()
	st := &store{tree: yang.NewTree()}
	reg := NewRegistry()
	protos := map[string]*fakeProto{}
	var targets []Target
	for _, n := range names {
		p := &fakeProto{name: n, st: st}
		protos[n] = p
		if err := reg.Register(n, func(ctx context.Context, t Target) (Device, error) {
			p.mu.Lock()
			p.opens++
			p.mu.Unlock()
			if p.getMode() == fakeDown {
				return nil, p.err(ErrUnreachable, true)
			}
			return p, nil
		}); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, Target{Device: "r1", Protocol: ProtocolSpec{Name: n}})
	}
	var mu sync.Mutex
	events := &[]Event{}
	f, err := OpenDevice(context.Background(), reg, targets, FailoverOptions{
		Health: HealthConfig{Interval: 10 * time.Millisecond, ProbeTimeout: 50 * time.Millisecond, FailAfter: 2, RecoverAfter: 2},
		OnEvent: func(e Event) {
			mu.Lock()
			*events = append(*events, e)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	return f, protos, st, func() []Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]Event(nil), *events...)
	}
}

func mtu(v uint64) []yang.Change {
	p := yang.InterfacePath("eth1")
	return []yang.Change{{Op: yang.OpCreate, Path: p}, {Op: yang.OpCreate, Path: p.Leaf("config", "mtu"), New: v}}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFailoverAmbiguousAppliesOnce(t *testing.T) {
	tests := []struct {
		name        string
		mode        fakeMode
		wantApplied int // writes that reached the datastore
		wantGNMI    int // Configure calls that went to gnmi
	}{
		{"unreachable: sent again over gnmi", fakeDown, 1, 1},
		{"hung mid-operation: read back, sent over gnmi", fakeHang, 1, 1},
		{"applied then reply lost: read back, not re-sent", fakeApplyThenDie, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, protos, st, events := fakeDevice(t, NETCONF, GNMI)
			protos[NETCONF].setMode(tc.mode)
			if err := f.Configure(context.Background(), mtu(9000)); err != nil {
				t.Fatal(err)
			}
			st.mu.Lock()
			v, _ := st.tree.Get(yang.InterfacePath("eth1").Leaf("config", "mtu"))
			applied := st.applied
			st.mu.Unlock()
			if v != uint64(9000) || applied != tc.wantApplied {
				t.Errorf("mtu = %v after %d writes, want 9000 after %d", v, applied, tc.wantApplied)
			}
			if n := protos[GNMI].calls(); n != tc.wantGNMI {
				t.Errorf("gnmi Configure calls = %d, want %d", n, tc.wantGNMI)
			}
			if f.Active() != GNMI {
				t.Errorf("active = %q, want gnmi", f.Active())
			}
			// Recovery: netconf answers again; after RecoverAfter probes traffic returns.
			protos[NETCONF].setMode(fakeOK)
			waitFor(t, "return to netconf", func() bool { return f.Active() == NETCONF })
			if err := f.Configure(context.Background(), []yang.Change{{Op: yang.OpUpdate, Path: yang.InterfacePath("eth1").Leaf("config", "mtu"), Old: uint64(9000), New: uint64(1500)}}); err != nil {
				t.Fatal(err)
			}
			if n := protos[NETCONF].calls(); n != 2 {
				t.Errorf("netconf Configure calls = %d, want 2 (the failed one and the one after recovery)", n)
			}
			var got []string
			for _, e := range events() {
				got = append(got, e.From+">"+e.To)
			}
			want := []string{">netconf", "netconf>gnmi", "gnmi>netconf"}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("events (-want +got):\n%s", d)
			}
		})
	}
}

func TestFailoverRejectedIsNotFailedOver(t *testing.T) {
	f, protos, _, _ := fakeDevice(t, NETCONF, GNMI)
	bad := []yang.Change{{Op: yang.OpCreate, Path: yang.Path{{Name: "nope"}}, New: "x"}}
	if err := f.Configure(context.Background(), bad); err == nil {
		t.Fatal("invalid change accepted")
	}
	if protos[GNMI].calls() != 0 {
		t.Error("a change the device refused was sent over another protocol")
	}
}

func TestFailoverOpenAllDown(t *testing.T) {
	st := &store{tree: yang.NewTree()}
	reg := NewRegistry()
	p := &fakeProto{name: NETCONF, st: st, mode: fakeDown}
	_ = reg.Register(NETCONF, func(ctx context.Context, t Target) (Device, error) { return nil, p.err(ErrUnreachable, true) })
	_, err := OpenDevice(context.Background(), reg, []Target{{Device: "r1", Protocol: ProtocolSpec{Name: NETCONF}}}, FailoverOptions{})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
}

func TestFailoverMonitorMoves(t *testing.T) {
	f, protos, _, _ := fakeDevice(t, NETCONF, GNMI)
	protos[NETCONF].setMode(fakeDown)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var served []string
	stop := errors.New("stop")
	err := f.Monitor(ctx, Subscription{Paths: []string{"/interfaces"}}, func(u Update) error {
		served = append(served, u.Path)
		if u.Path == NETCONF {
			return stop
		}
		if len(served) == 1 {
			protos[NETCONF].setMode(fakeOK) // recovers: the subscription moves back
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Monitor = %v", err)
	}
	if d := cmp.Diff([]string{GNMI, NETCONF}, served); d != "" {
		t.Errorf("served by (-want +got):\n%s", d)
	}
}

// recorder is a slog.Handler that keeps the records it is given.
type recorder struct {
	mu   sync.Mutex
	recs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	s := rec.Message
	rec.Attrs(func(a slog.Attr) bool {
		s += " " + a.Key + "=" + a.Value.String()
		return true
	})
	r.mu.Lock()
	r.recs = append(r.recs, s)
	r.mu.Unlock()
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) switches() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.recs {
		if strings.HasPrefix(s, "protocol switch") || strings.HasPrefix(s, "device protocol") {
			out = append(out, s)
		}
	}
	return out
}

// TestFailoverOpenedOnce: opening a device reports its first protocol
// once: as one Event when the caller takes events (and then not again in
// the log, which the caller's handler may write to), else as one log record.
func TestFailoverOpenedOnce(t *testing.T) {
	tests := []struct {
		name       string
		onEvent    bool
		wantEvents []string
		wantLog    []string
	}{
		{"with OnEvent", true, []string{"r1: >netconf opened"}, nil},
		{"without OnEvent", false, nil, []string{"device protocol protocol=netconf reason=opened"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := NewRegistry()
			st := &store{tree: yang.NewTree()}
			var targets []Target
			for _, n := range []string{NETCONF, GNMI} {
				p := &fakeProto{name: n, st: st}
				if err := reg.Register(n, func(context.Context, Target) (Device, error) { return p, nil }); err != nil {
					t.Fatal(err)
				}
				targets = append(targets, Target{Device: "r1", Protocol: ProtocolSpec{Name: n}})
			}
			rec := &recorder{}
			var mu sync.Mutex
			var events []string
			opts := FailoverOptions{Logger: slog.New(rec), Health: HealthConfig{Interval: 5 * time.Millisecond}}
			if tc.onEvent {
				opts.OnEvent = func(e Event) {
					mu.Lock()
					events = append(events, e.Device+": "+e.From+">"+e.To+" "+e.Reason)
					mu.Unlock()
				}
			}
			f, err := OpenDevice(context.Background(), reg, targets, opts)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond) // health checks run; nothing switches
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if d := cmp.Diff(tc.wantEvents, events); d != "" {
				t.Errorf("events (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantLog, rec.switches()); d != "" {
				t.Errorf("logged switches (-want +got):\n%s", d)
			}
		})
	}
}

func (f *fakeProto) Capabilities() Caps { return Caps{Protocol: f.name, ConfirmTimer: true} }

func (f *fakeProto) openCount() int { f.mu.Lock(); defer f.mu.Unlock(); return f.opens }

// TestFailoverOpensOnNeed: only the preferred protocol opens with the
// device; health rounds leave the others closed; the next opens when the
// preferred one fails, and the change lands through it.
func TestFailoverOpensOnNeed(t *testing.T) {
	f, protos, st, _ := fakeDevice(t, NETCONF, GNMI, CLI)
	time.Sleep(50 * time.Millisecond) // several health rounds (Interval 10ms)
	if got := []int{protos[NETCONF].openCount(), protos[GNMI].openCount(), protos[CLI].openCount()}; !cmp.Equal(got, []int{1, 0, 0}) {
		t.Fatalf("opens netconf, gnmi, cli = %v, want [1 0 0]", got)
	}
	protos[NETCONF].setMode(fakeDown)
	if err := f.Configure(context.Background(), mtu(9000)); err != nil {
		t.Fatal(err)
	}
	if protos[GNMI].openCount() != 1 || protos[CLI].openCount() != 0 {
		t.Errorf("opens gnmi, cli = %d, %d, want 1, 0", protos[GNMI].openCount(), protos[CLI].openCount())
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.applied != 1 {
		t.Errorf("applied %d times, want 1", st.applied)
	}
}

// TestProbeDue: down and degraded protocols are probed every round, a
// healthy open one only after KeepAlive of silence, one never opened not.
func TestProbeDue(t *testing.T) {
	f := &Failover{opts: FailoverOptions{Health: HealthConfig{KeepAlive: time.Hour}.withDefaults()}}
	open := func() *member {
		m := &member{health: NewHealth(f.opts.Health), dev: &fakeProto{}}
		m.touch()
		return m
	}
	down, quiet, fresh, closed := open(), open(), open(), &member{health: NewHealth(f.opts.Health)}
	down.health.Trip(errors.New("x"))
	quiet.lastProbe = time.Now().Add(-2 * time.Hour)
	for _, tc := range []struct {
		name string
		m    *member
		want bool
	}{{"down", down, true}, {"healthy, silent past keep-alive", quiet, true}, {"healthy, answered lately", fresh, false}, {"never opened", closed, false}} {
		if got := f.probeDue(tc.m); got != tc.want {
			t.Errorf("%s: probeDue = %v, want %v", tc.name, got, tc.want)
		}
	}
	// A healthy protocol with an operation in flight is not probed: the
	// probe would queue behind it, and the operation reports its health.
	busy := open()
	busy.lastProbe, busy.active = time.Now().Add(-2*time.Hour), 1
	if f.probeDue(busy) {
		t.Error("probeDue of a silent protocol with an operation in flight = true, want false")
	}
	// A protocol whose opens failed is retried only once its backoff passed.
	failed := &member{health: NewHealth(f.opts.Health)}
	failed.health.Trip(errors.New("ssh: handshake failed: i/o timeout"))
	failed.nextOpen = time.Now().Add(time.Hour)
	if f.probeDue(failed) {
		t.Error("probeDue of a failed open within its backoff = true, want false")
	}
	failed.nextOpen = time.Now().Add(-time.Millisecond)
	if !f.probeDue(failed) {
		t.Error("probeDue of a failed open past its backoff = false, want true")
	}
	// A protocol a transaction holds is never probed, silent or down: a
	// probe that timed out would tear down the transaction's session.
	held, heldDown := open(), open()
	held.lastProbe = time.Now().Add(-2 * time.Hour)
	heldDown.health.Trip(errors.New("x"))
	for _, m := range []*member{held, heldDown} {
		f.txs, f.holding = map[string]*member{"tx-1": m}, "tx-1"
		if f.probeDue(m) {
			t.Errorf("probeDue of the member transaction tx-1 holds = true, want false")
		}
		f.holding = "" // the transaction ended: probed again as before
		if !f.probeDue(m) {
			t.Errorf("probeDue after the transaction ended = false, want true")
		}
	}
}

// TestReopenBackoff: the wait before retrying a failed open starts at
// Interval, doubles with each failure up to KeepAlive, and adds at most a
// quarter at random.
func TestReopenBackoff(t *testing.T) {
	f := &Failover{opts: FailoverOptions{Health: HealthConfig{Interval: 5 * time.Second, KeepAlive: 30 * time.Second}.withDefaults()}}
	for _, tc := range []struct {
		fails int
		base  time.Duration
	}{{1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second}, {4, 30 * time.Second}, {50, 30 * time.Second}} {
		for range 20 {
			if got := f.reopenBackoff(tc.fails); got < tc.base || got > tc.base+tc.base/4 {
				t.Errorf("reopenBackoff(%d) = %s, want %s to %s", tc.fails, got, tc.base, tc.base+tc.base/4)
			}
		}
	}
}

// TestFailoverIdleClose: a session that carried nothing for IdleTimeout is
// closed (its slot of the pool-wide limit freed) and reopens on the next
// operation; an operation in flight keeps it open.
func TestFailoverIdleClose(t *testing.T) {
	st := &store{tree: yang.NewTree()}
	p := &fakeProto{name: NETCONF, st: st}
	reg := NewRegistry()
	_ = reg.Register(NETCONF, func(context.Context, Target) (Device, error) {
		p.mu.Lock()
		p.opens++
		p.mu.Unlock()
		return p, nil
	})
	limit := NewSessionLimit(1)
	f, err := OpenDevice(context.Background(), reg, []Target{{Device: "r1", Protocol: ProtocolSpec{Name: NETCONF}}}, FailoverOptions{
		Health:      HealthConfig{Interval: 5 * time.Millisecond},
		IdleTimeout: 30 * time.Millisecond,
		Sessions:    limit,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if limit.Open() != 1 {
		t.Fatalf("open slots = %d, want 1", limit.Open())
	}
	deadline := time.Now().Add(2 * time.Second)
	for limit.Open() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if limit.Open() != 0 || f.members[0].device() != nil {
		t.Fatal("idle session not closed")
	}
	if c := f.Capabilities(); c.Protocol != NETCONF || !c.ConfirmTimer {
		t.Errorf("capabilities of the idle-closed protocol = %+v, want what it offered when open", c)
	}
	if err := f.Configure(context.Background(), mtu(9000)); err != nil {
		t.Fatal(err)
	}
	if p.openCount() != 2 || limit.Open() != 1 {
		t.Errorf("after reuse: opens %d, slots %d, want 2, 1", p.openCount(), limit.Open())
	}
	// In flight (a Monitor) for longer than IdleTimeout: stays open.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = f.Monitor(ctx, Subscription{Paths: []string{"/interfaces"}}, func(Update) error { return nil })
	if p.openCount() != 2 {
		t.Errorf("closed under a running Monitor: opens %d, want 2", p.openCount())
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if limit.Open() != 0 {
		t.Errorf("slots after Close = %d, want 0", limit.Open())
	}
}

// TestFailoverDoesNotRepeatRefusedCredentials: a protocol whose
// credentials were refused is not probed every Interval (each probe would
// repeat the refusal and may lock the account on a real device), only
// every KeepAlive; one that is merely unreachable is probed every Interval.
func TestFailoverDoesNotRepeatRefusedCredentials(t *testing.T) {
	tests := []struct {
		name       string
		mode       fakeMode
		wantProbes bool
	}{
		{"credentials refused", fakeAuth, false},
		{"unreachable", fakeDown, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := NewRegistry()
			st := &store{tree: yang.NewTree()}
			nc := &fakeProto{name: NETCONF, st: st, mode: tc.mode}
			gn := &fakeProto{name: GNMI, st: st}
			for _, p := range []*fakeProto{nc, gn} {
				if err := reg.Register(p.name, func(context.Context, Target) (Device, error) {
					p.mu.Lock()
					p.opens++
					p.mu.Unlock()
					switch p.getMode() {
					case fakeAuth:
						return nil, &DeviceError{Device: "r1", Protocol: p.name, Phase: PhaseConnect, Kind: ErrAuth, NotApplied: true}
					case fakeDown:
						return nil, p.err(ErrUnreachable, true)
					}
					return p, nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			targets := []Target{{Device: "r1", Protocol: ProtocolSpec{Name: NETCONF}}, {Device: "r1", Protocol: ProtocolSpec{Name: GNMI}}}
			f, err := OpenDevice(context.Background(), reg, targets, FailoverOptions{
				Health: HealthConfig{Interval: 5 * time.Millisecond, KeepAlive: time.Hour, FailAfter: 1, RecoverAfter: 1}})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Configure(context.Background(), mtu(9000)); err != nil {
				t.Fatal(err)
			}
			if f.Active() != GNMI {
				t.Fatalf("active = %q, want gnmi after netconf failed", f.Active())
			}
			before := nc.openCount()
			if tc.wantProbes {
				// Probed every interval: three probes come soon, even on a
				// loaded machine.
				for deadline := time.Now().Add(10 * time.Second); nc.openCount() < before+3 && time.Now().Before(deadline); {
					time.Sleep(10 * time.Millisecond)
				}
			} else {
				time.Sleep(time.Second) // 200 probe intervals
			}
			probes := nc.openCount() - before
			if tc.wantProbes && probes < 3 {
				t.Errorf("unreachable netconf probed %d times, want it probed every interval", probes)
			}
			if !tc.wantProbes && probes != 0 {
				t.Errorf("netconf with refused credentials probed %d times within KeepAlive, want 0", probes)
			}
		})
	}
}
