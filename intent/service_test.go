package intent_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/yang"
)

type harness struct {
	t    *testing.T
	net  *intenttest.Network
	db   *store.DB
	svc  *intent.Service
	stop func()
}

// newHarness starts a service over the in-memory lab network with a store
// in a temporary directory.
func newHarness(t *testing.T, net *intenttest.Network, path string) *harness {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "netagent.db")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	h := &harness{t: t, net: net, db: db, svc: svc}
	stopped := false
	h.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		db.Close()
	}
	t.Cleanup(h.stop)
	return h
}

func (h *harness) wait(id string, states ...intent.State) *intent.Record {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := h.svc.Wait(ctx, id, states...)
	if err != nil {
		h.t.Fatalf("Wait %s for %v: %v (state %v)", id, states, err, rec)
	}
	return rec
}

func historyStates(rec *intent.Record) []intent.State {
	var out []intent.State
	for _, t := range rec.History {
		out = append(out, t.State)
	}
	return out
}

const mtuIntent = `{"id":"mtu-1","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9000},"requester":"alice"}`

func TestSubmitAppliesOnceAndIsIdempotent(t *testing.T) {
	h := newHarness(t, intenttest.Lab(), "")
	ctx := context.Background()
	rec, err := h.svc.Submit(ctx, []byte(mtuIntent), intent.Source{Channel: "rest"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != intent.StatePlanned || rec.Plan.Len() != 1 {
		t.Fatalf("submitted record: state %s, %d changes; want planned with 1", rec.State, rec.Plan.Len())
	}
	rec = h.wait("mtu-1", intent.StateApplied)
	if diff := cmp.Diff([]intent.State{"accepted", "planned", "applying", "applied"}, historyStates(rec)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	for _, tr := range rec.History {
		if tr.Reason == "" || tr.At.IsZero() {
			t.Errorf("transition %+v lacks reason or time", tr)
		}
	}
	if v, _ := h.net.Config("leaf1").Get(yang.InterfacePath("eth2").Leaf("config", "mtu")); v != uint64(9000) {
		t.Errorf("leaf1 eth2 mtu = %v, want 9000", v)
	}
	// The same id and content again: the stored record, nothing applied.
	again, err := h.svc.Submit(ctx, []byte(mtuIntent), intent.Source{Channel: "kafka"})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.State != intent.StateApplied || again.Source.Channel != "rest" {
		t.Errorf("resubmission = duplicate %v state %s source %s; want the stored applied record from rest", again.Duplicate, again.State, again.Source.Channel)
	}
	// The same id with other content is a conflict.
	_, err = h.svc.Submit(ctx, []byte(`{"id":"mtu-1","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9100}}`), intent.Source{Channel: "rest"})
	if !errors.Is(err, intent.ErrConflict) {
		t.Errorf("conflicting resubmission err = %v, want ErrConflict", err)
	}
	// A new id for the satisfied intent plans and applies nothing.
	rec2, err := h.svc.Submit(ctx, []byte(`{"id":"mtu-2","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9000}}`), intent.Source{Channel: "rest"})
	if err != nil {
		t.Fatal(err)
	}
	if rec2.Plan.Len() != 0 {
		t.Errorf("satisfied intent planned %d changes", rec2.Plan.Len())
	}
	h.wait("mtu-2", intent.StateApplied)
	if n, _ := h.net.Applied("leaf1"); n != 1 {
		t.Errorf("leaf1 configured %d times, want 1", n)
	}
}

func TestDryRunStoresNothing(t *testing.T) {
	h := newHarness(t, intenttest.Lab(), "")
	ctx := context.Background()
	rec, err := h.svc.Submit(ctx, []byte(`{"id":"dry","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9000},"options":{"dry_run":true}}`), intent.Source{Channel: "rest"})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.DryRun || rec.Plan.Len() != 1 {
		t.Errorf("dry run: DryRun %v, %d changes", rec.DryRun, rec.Plan.Len())
	}
	if _, err := h.svc.Get(ctx, "dry"); !errors.Is(err, intent.ErrNotFound) {
		t.Errorf("Get after dry run err = %v, want ErrNotFound", err)
	}
	if n, _ := h.net.Applied("leaf1"); n != 0 {
		t.Errorf("dry run configured leaf1 %d times", n)
	}
}

func TestAtomicFailureRollsBack(t *testing.T) {
	net := intenttest.Lab()
	h := newHarness(t, net, "")
	net.FailNextConfigure("leaf2", errors.New("commit refused"))
	_, err := h.svc.Submit(context.Background(), []byte(`{"id":"both","kind":"interface","targets":{"selector":{"role":"leaf"}},"spec":{"name":"eth3","description":"uplink"}}`), intent.Source{Channel: "rest"})
	if err != nil {
		t.Fatal(err)
	}
	rec := h.wait("both", intent.StateRolledBack, intent.StateFailed, intent.StateApplied)
	if rec.State != intent.StateRolledBack || rec.Error == "" {
		t.Fatalf("state %s error %q, want rolled-back with a reason", rec.State, rec.Error)
	}
	if !net.Config("leaf1").Equal(intenttest.Lab().Config("leaf1")) {
		t.Errorf("leaf1 not restored after roll back:\n%s", net.Config("leaf1"))
	}
	// Devices are configured in parallel: leaf1 was either not started
	// when leaf2 failed, or applied and then rolled back.
	if n, _ := net.Applied("leaf1"); n != 0 && n != 2 {
		t.Errorf("leaf1 configured %d times, want 0 (not started) or 2 (apply, roll back)", n)
	}
}

func TestNonAtomicFailureKeepsOthers(t *testing.T) {
	net := intenttest.Lab()
	h := newHarness(t, net, "")
	net.FailNextConfigure("leaf2", errors.New("commit refused"))
	_, err := h.svc.Submit(context.Background(), []byte(`{"id":"each","kind":"interface","targets":{"selector":{"role":"leaf"}},"spec":{"name":"eth3","description":"uplink"},"options":{"atomic":false}}`), intent.Source{Channel: "rest"})
	if err != nil {
		t.Fatal(err)
	}
	rec := h.wait("each", intent.StateFailed, intent.StateRolledBack, intent.StateApplied)
	if rec.State != intent.StateFailed {
		t.Fatalf("state %s, want failed", rec.State)
	}
	if v, _ := net.Config("leaf1").Get(yang.InterfacePath("eth3").Leaf("config", "description")); v != "uplink" {
		t.Errorf("leaf1 description = %v, want uplink kept", v)
	}
}

func TestWithdrawRemovesWhatItConfigured(t *testing.T) {
	net := intenttest.Lab()
	h := newHarness(t, net, "")
	ctx := context.Background()
	if _, err := h.svc.Submit(ctx, []byte(`{"id":"addr","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","ipv4":["10.1.0.1/24"],"description":"svc","mtu":9000}}`), intent.Source{Channel: "rest"}); err != nil {
		t.Fatal(err)
	}
	h.wait("addr", intent.StateApplied)
	// Someone else changes the MTU afterwards: withdrawing keeps theirs.
	dev, _ := net.Device(ctx, "leaf1")
	mtu := yang.InterfacePath("eth2").Leaf("config", "mtu")
	if err := dev.Configure(ctx, []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: uint64(9000), New: uint64(4000)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Withdraw(ctx, "addr", "no longer needed"); err != nil {
		t.Fatal(err)
	}
	rec := h.wait("addr", intent.StateWithdrawn, intent.StateFailed)
	if rec.State != intent.StateWithdrawn {
		t.Fatalf("state %s (%s), want withdrawn", rec.State, rec.Error)
	}
	want := intenttest.Lab().Config("leaf1")
	if err := want.Set(mtu, uint64(4000)); err != nil {
		t.Fatal(err)
	}
	if got := net.Config("leaf1"); !got.Equal(want) {
		t.Errorf("leaf1 after withdraw:\n%s\nwant:\n%s", got, want)
	}
	// Withdrawing again returns the record unchanged.
	again, err := h.svc.Withdraw(ctx, "addr", "")
	if err != nil || again.State != intent.StateWithdrawn {
		t.Errorf("second Withdraw = %v, %v", again.State, err)
	}
	if _, err := h.svc.Withdraw(ctx, "nope", ""); !errors.Is(err, intent.ErrNotFound) {
		t.Errorf("Withdraw unknown err = %v, want ErrNotFound", err)
	}
}

func TestSurvivesRestartAndResumes(t *testing.T) {
	net := intenttest.Lab()
	path := filepath.Join(t.TempDir(), "netagent.db")
	ctx := context.Background()
	// Accept intents without running the workers, as if the agent died
	// right after acknowledging them.
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net})
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 4; i++ {
		body := fmt.Sprintf(`{"id":"r%d","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth%d","mtu":9000}}`, i, i)
		if _, err := svc.Submit(ctx, []byte(body), intent.Source{Channel: "file", Ref: "x.json"}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	h := newHarness(t, net, path)
	for i := 2; i <= 4; i++ {
		rec := h.wait(fmt.Sprintf("r%d", i), intent.StateApplied)
		if rec.Source.Ref != "x.json" {
			t.Errorf("source lost across restart: %+v", rec.Source)
		}
	}
	if n, _ := net.Applied("leaf1"); n != 3 {
		t.Errorf("leaf1 configured %d times, want 3", n)
	}
}

func TestListPagingAndFilter(t *testing.T) {
	h := newHarness(t, intenttest.Lab(), "")
	ctx := context.Background()
	for i := range 5 {
		body := fmt.Sprintf(`{"id":"p%d","kind":"interface","targets":{"devices":["leaf2"]},"spec":{"name":"eth1","description":"d%d"}}`, i, i)
		if _, err := h.svc.Submit(ctx, []byte(body), intent.Source{Channel: "rest"}); err != nil {
			t.Fatal(err)
		}
		h.wait(fmt.Sprintf("p%d", i), intent.StateApplied)
	}
	if _, err := h.svc.Withdraw(ctx, "p0", ""); err != nil {
		t.Fatal(err)
	}
	h.wait("p0", intent.StateWithdrawn)
	var ids []string
	q := intent.ListQuery{Limit: 2, State: intent.StateApplied}
	for {
		page, err := h.svc.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			ids = append(ids, r.ID)
		}
		if page.NextPageToken == "" {
			break
		}
		q.PageToken = page.NextPageToken
	}
	if diff := cmp.Diff([]string{"p1", "p2", "p3", "p4"}, ids); diff != "" {
		t.Errorf("listed ids (-want +got):\n%s", diff)
	}
	if _, err := h.svc.List(ctx, intent.ListQuery{State: "sleeping"}); !errors.Is(err, intent.ErrInvalid) {
		t.Errorf("List bad state err = %v, want ErrInvalid", err)
	}
	if _, err := h.svc.List(ctx, intent.ListQuery{PageToken: "!!"}); !errors.Is(err, intent.ErrInvalid) {
		t.Errorf("List bad token err = %v, want ErrInvalid", err)
	}
}

func TestAssuranceTransitions(t *testing.T) {
	h := newHarness(t, intenttest.Lab(), "")
	ctx := context.Background()
	if _, err := h.svc.Submit(ctx, []byte(mtuIntent), intent.Source{Channel: "rest"}); err != nil {
		t.Fatal(err)
	}
	h.wait("mtu-1", intent.StateApplied)
	for _, to := range []intent.State{intent.StateAssured, intent.StateDrifted, intent.StateBreached, intent.StateAssured} {
		if _, err := h.svc.Transition(ctx, "mtu-1", to, "measured"); err != nil {
			t.Fatalf("Transition to %s: %v", to, err)
		}
	}
	if _, err := h.svc.Transition(ctx, "mtu-1", intent.StateApplying, "x"); !errors.Is(err, intent.ErrConflict) {
		t.Errorf("Transition to applying err = %v, want ErrConflict", err)
	}
	// Drift: someone resets the MTU; reconciling restores it.
	dev, _ := h.net.Device(ctx, "leaf1")
	mtu := yang.InterfacePath("eth2").Leaf("config", "mtu")
	if err := dev.Configure(ctx, []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: uint64(9000), New: uint64(1500)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Transition(ctx, "mtu-1", intent.StateDrifted, "mtu is 1500"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Reconcile(ctx, "mtu-1", "drift"); err != nil {
		t.Fatal(err)
	}
	h.wait("mtu-1", intent.StateApplied)
	if v, _ := h.net.Config("leaf1").Get(mtu); v != uint64(9000) {
		t.Errorf("mtu after reconcile = %v, want 9000", v)
	}
}

func TestLifecycleTable(t *testing.T) {
	tests := []struct {
		from, to intent.State
		ok       bool
	}{
		{intent.StateAccepted, intent.StatePlanned, true},
		{intent.StateAccepted, intent.StateApplied, false},
		{intent.StatePlanned, intent.StateApplying, true},
		{intent.StateApplying, intent.StateRolledBack, true},
		{intent.StateApplying, intent.StatePlanned, true},
		{intent.StateApplied, intent.StateAssured, true},
		{intent.StateAssured, intent.StateBreached, true},
		{intent.StateRolledBack, intent.StateApplying, false},
		{intent.StateWithdrawn, intent.StatePlanned, false},
		{intent.StateFailed, intent.StateApplied, false},
	}
	for _, tt := range tests {
		if got := intent.CanTransition(tt.from, tt.to); got != tt.ok {
			t.Errorf("CanTransition(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.ok)
		}
	}
}

// flakyDevices fails the first reads of every device, as a device that
// is restarting does.
type flakyDevices struct {
	*intenttest.Network
	mu    sync.Mutex
	fails int
}

func (f *flakyDevices) Device(ctx context.Context, name string) (intent.Device, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return nil, errUnreachable
	}
	return f.Network.Device(ctx, name)
}

func TestPlanningRetriedAfterDeviceErrors(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	net := intenttest.Lab()
	flaky := &flakyDevices{Network: net, fails: 3}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: flaky})
	if err != nil {
		t.Fatal(err)
	}
	// The first read fails at submission: accepted, planning deferred.
	rec, err := svc.Submit(ctx, []byte(mtuIntent), intent.Source{Channel: "rest"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != intent.StateAccepted {
		t.Fatalf("state %s, want accepted (planning deferred)", rec.State)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(rctx) }()
	defer func() { cancel(); <-done }()
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	rec, err = svc.Wait(wctx, "mtu-1", intent.StateApplied, intent.StateFailed)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != intent.StateApplied {
		t.Fatalf("state %s (%s), want applied after retries", rec.State, rec.Error)
	}
}
