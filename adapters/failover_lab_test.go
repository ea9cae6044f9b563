package adapters_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/yang"
)

func registry(t *testing.T) *adapters.Registry {
	reg := adapters.NewRegistry()
	for n, o := range map[string]adapters.Opener{adapters.NETCONF: netconf.Opener, adapters.GNMI: gnmi.Opener, adapters.CLI: cli.Opener} {
		if err := reg.Register(n, o); err != nil {
			t.Fatal(err)
		}
	}
	return reg
}

// TestFailoverOnLab: NETCONF fails under a change (it hangs, or the
// device applies the commit and the reply is lost); the change still lands
// exactly once with no caller change (the device's change counter, the
// protocol that made the change, and the read-back prove it); NETCONF is
// used again once it recovers; every switch is an event.
func TestFailoverOnLab(t *testing.T) {
	tests := []struct {
		name   string
		fault  fault.Fault
		source string // the front end that must have made the change
		// strict: the events are exactly netconf, gnmi, netconf. Otherwise
		// gNMI may be marked down in between (the lab refuses its Set with
		// Aborted, a lock error, while the hung NETCONF session holds the lock).
		strict bool
	}{
		{"netconf hangs", fault.Fault{Kind: fault.Hang, Protocol: fault.NETCONF}, "gnmi", true},
		{"commit applied, reply lost", fault.Fault{Kind: fault.DropCommit, Protocol: fault.NETCONF, Count: 1000}, "netconf", true},
		// The commit hangs past the adapter's commit timeout, holding the
		// lock, and lands late: gNMI cannot write meanwhile, and each retry
		// reads back first, so the late NETCONF commit is found in effect and
		// the change is not sent again.
		{"commit hangs mid-operation and lands late", fault.Fault{Kind: fault.SlowCommit, Protocol: fault.NETCONF, Delay: 2 * time.Second}, "netconf", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { failoverOnLab(t, tc.fault, tc.source, tc.strict) })
	}
}

func failoverOnLab(t *testing.T, f fault.Fault, source string, strict bool) {
	l, inv := conformance.StartLab(t)
	ts, err := inv.Targets("nc", adapters.TargetOptions{Timeouts: adapters.Timeouts{RPC: time.Second, Commit: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	var only []adapters.Target // netconf, then gnmi
	for _, tg := range ts {
		if tg.Protocol.Name == adapters.NETCONF || tg.Protocol.Name == adapters.GNMI {
			only = append(only, tg)
		}
	}
	var mu sync.Mutex
	var events []string
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := adapters.OpenDevice(ctx, registry(t), only, adapters.FailoverOptions{
		Health: adapters.HealthConfig{Interval: 50 * time.Millisecond, ProbeTimeout: 500 * time.Millisecond, FailAfter: 2, RecoverAfter: 3},
		OnEvent: func(e adapters.Event) {
			mu.Lock()
			events = append(events, e.From+">"+e.To)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Active() != adapters.NETCONF {
		t.Fatalf("active = %s, want netconf", d.Active())
	}
	store, err := l.Store("nc")
	if err != nil {
		t.Fatal(err)
	}
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	change := func(from, to uint64) []yang.Change {
		return []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: from, New: to}}
	}
	if err := l.InjectFault("nc", f); err != nil {
		t.Fatal(err)
	}
	_, seq := store.Changed()
	if err := d.Configure(ctx, change(1500, 9000)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	_, after := store.Changed()
	if after != seq+1 {
		t.Errorf("running changed %d times, want exactly once", after-seq)
	}
	if ev := store.LastEvent(); ev.Source != source {
		t.Errorf("the change landed through %q, want %s", ev.Source, source)
	}
	got, err := d.Query(ctx, []yang.Path{mtu})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Get(mtu); v != uint64(9000) {
		t.Fatalf("read back mtu = %v, want 9000", v)
	}
	if _, err := l.ClearFaults("nc", fault.NETCONF, ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for d.Active() != adapters.NETCONF {
		if time.Now().After(deadline) {
			t.Fatal("did not return to NETCONF after recovery")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := d.Configure(ctx, change(9000, 1500)); err != nil {
		t.Fatal(err)
	}
	if ev := store.LastEvent(); ev.Source != "netconf" {
		t.Errorf("after recovery the change landed through %q, want netconf", ev.Source)
	}
	mu.Lock()
	defer mu.Unlock()
	if strict {
		if d := cmp.Diff([]string{">netconf", "netconf>gnmi", "gnmi>netconf"}, events); d != "" {
			t.Errorf("events (-want +got):\n%s", d)
		}
	} else if len(events) < 3 || events[0] != ">netconf" || events[1] != "netconf>gnmi" || !strings.HasSuffix(events[len(events)-1], ">netconf") {
		t.Errorf("events = %v, want >netconf, netconf>gnmi, ..., >netconf", events)
	}
}

// TestFailoverConformance runs the conformance suite through the failover
// device (NETCONF preferred, then gNMI), and checks that a prepared
// transaction keeps other writers out.
func TestFailoverConformance(t *testing.T) {
	l, inv := conformance.StartLab(t)
	open := func(ctx context.Context, _ adapters.Target) (adapters.Device, error) {
		ts, err := inv.Targets("nc", adapters.TargetOptions{})
		if err != nil {
			return nil, err
		}
		var only []adapters.Target
		for _, tg := range ts {
			if tg.Protocol.Name != adapters.CLI {
				only = append(only, tg)
			}
		}
		return adapters.OpenDevice(ctx, registry(t), only, adapters.FailoverOptions{})
	}
	rs := conformance.Run(t, l, inv, conformance.Options{Device: "nc", Protocol: adapters.NETCONF, Label: "failover", ConfirmTimer: true}, open)
	conformance.WriteTable(t, rs)

	d, err := open(t.Context(), adapters.Target{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tx := d.(adapters.Transactional)
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	cur, _ := l.Running("nc")
	old, _ := cur.Get(mtu)
	if err := tx.Prepare(t.Context(), "held", []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: old, New: uint64(7000)}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	err = d.Configure(ctx, []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: old, New: uint64(7100)}})
	cancel()
	if !errors.Is(err, adapters.ErrLocked) || !adapters.Retryable(err) {
		t.Fatalf("Configure during a prepared transaction: %v, want a retryable ErrLocked", err)
	}
	if err := tx.Abort(t.Context(), "held"); err != nil {
		t.Fatal(err)
	}
	if err := d.Configure(t.Context(), []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: old, New: uint64(7100)}}); err != nil {
		t.Fatalf("Configure after the transaction ended: %v", err)
	}
}

// retryLog counts the failover's "retrying" records (every protocol failed
// transiently, a new round follows).
type retryLog struct {
	mu     sync.Mutex
	rounds int
}

func (h *retryLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *retryLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *retryLog) WithGroup(string) slog.Handler            { return h }
func (h *retryLog) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "retrying") {
		h.mu.Lock()
		h.rounds++
		h.mu.Unlock()
	}
	return nil
}

func (h *retryLog) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rounds
}

// TestFailoverWaitsForNETCONFLock: while a NETCONF session holds the
// device's locks, the lab refuses a gNMI Set with Aborted; the gNMI
// adapter reports it as a retryable ErrLocked (nothing was applied), so a
// Configure through the failover device retries instead of giving up, and
// the change lands through gNMI, exactly once, when the lock is released.
func TestFailoverWaitsForNETCONFLock(t *testing.T) {
	l, inv := conformance.StartLab(t)
	store, err := l.Store("nc")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	nc := conformance.Open(t, inv, "nc", adapters.NETCONF, netconf.Open)
	// A prepared transaction holds the NETCONF locks until it ends.
	if err := nc.Prepare(ctx, "hold", []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: uint64(1500), New: uint64(7000)}}); err != nil {
		t.Fatal(err)
	}
	if store.LockHolder(datastore.Running) == 0 && store.LockHolder(datastore.Candidate) == 0 {
		t.Fatal("the NETCONF transaction holds no lock")
	}
	log := &retryLog{}
	d, err := adapters.OpenDevice(ctx, registry(t), []adapters.Target{conformance.Target(t, inv, "nc", adapters.GNMI)},
		adapters.FailoverOptions{RetryFor: 30 * time.Second, Logger: slog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, seq := store.Changed()
	done := make(chan error, 1)
	go func() {
		done <- d.Configure(ctx, []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: uint64(1500), New: uint64(9000)}})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for log.count() < 2 {
		select {
		case err := <-done:
			t.Fatalf("Configure ended while NETCONF holds the lock: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the failover device did not retry")
		}
	}
	if _, now := store.Changed(); now != seq {
		t.Fatalf("running changed %d times while NETCONF held the lock", now-seq)
	}
	if err := nc.Abort(ctx, "hold"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Configure after the lock was released: %v", err)
	}
	if _, now := store.Changed(); now != seq+1 {
		t.Errorf("running changed %d times, want exactly once", now-seq)
	}
	if ev := store.LastEvent(); ev.Source != "gnmi" {
		t.Errorf("the change landed through %q, want gnmi", ev.Source)
	}
	if v, _ := store.Running().Get(mtu); v != uint64(9000) {
		t.Errorf("mtu = %v, want 9000", v)
	}
}
