package intent_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/yang"
)

// countingAdvisor matches every failure to one case with remediation r and
// counts what the service tells it. before runs at each consultation.
type countingAdvisor struct {
	r      *intent.Remediation
	before func(n int)

	mu       sync.Mutex // protects following fields
	advised  int
	observed []intent.Failure
	outcomes []bool
}

func (a *countingAdvisor) Advise(_ context.Context, f intent.Failure) ([]intent.Advice, error) {
	a.mu.Lock()
	a.advised++
	n := a.advised
	a.mu.Unlock()
	if a.before != nil {
		a.before(n)
	}
	return []intent.Advice{{Case: "test-case", Title: "test", ErrorType: "lock", Fix: "wait for it", Score: 1, Remediation: a.r}}, nil
}

func (a *countingAdvisor) Observe(_ string, _ intent.Kind, f intent.Failure) {
	a.mu.Lock()
	a.observed = append(a.observed, f)
	a.mu.Unlock()
}

func (a *countingAdvisor) Outcome(_ string, worked bool) {
	a.mu.Lock()
	a.outcomes = append(a.outcomes, worked)
	a.mu.Unlock()
}

func (a *countingAdvisor) counts() (observed int, outcomes []bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.observed), append([]bool(nil), a.outcomes...)
}

func startWith(t *testing.T, devices intent.Devices, inv intent.Inventory, adv intent.Advisor) *intent.Service {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: inv, Devices: devices, Advisor: adv})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		db.Close()
	})
	return svc
}

func waitFor(t *testing.T, svc *intent.Service, id string, states ...intent.State) *intent.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rec, err := svc.Wait(ctx, id, states...)
	if err != nil {
		t.Fatalf("Wait %s for %v: %v (record %+v)", id, states, err, rec)
	}
	return rec
}

var lockedErr = &adapters.DeviceError{Device: "leaf1", Protocol: adapters.NETCONF, Phase: adapters.PhaseLock, Kind: adapters.ErrLocked,
	Tag: "lock-denied", Message: "lock held by session 7", NotApplied: true}

// TestRetriesAreOneSighting: a lock that outlasts every retry is one
// failure of the intent, observed once, however many attempts met it;
// each attempt's outcome is reported.
func TestRetriesAreOneSighting(t *testing.T) {
	net := intenttest.Lab()
	adv := &countingAdvisor{r: &intent.Remediation{Kind: intent.RemediationRetryAfterLock, Auto: true, MaxAttempts: 3}}
	// The lock is still held at every retry: re-armed before each.
	adv.before = func(int) { net.FailNextConfigure("leaf1", lockedErr) }
	net.FailNextConfigure("leaf1", lockedErr)
	svc := startWith(t, net, net, adv)
	if _, err := svc.Submit(context.Background(), []byte(mtuIntent), intent.Source{Channel: "rest"}); err != nil {
		t.Fatal(err)
	}
	rec := waitFor(t, svc, "mtu-1", intent.StateFailed, intent.StateApplied, intent.StateRolledBack)
	observed, outcomes := adv.counts()
	if observed != 1 {
		t.Errorf("the same lock failure was observed %d times over 4 attempts, want once", observed)
	}
	if len(outcomes) != 3 || outcomes[0] || outcomes[1] || outcomes[2] {
		t.Errorf("outcomes %v, want three failed retries", outcomes)
	}
	if len(rec.Advice) != 1 || len(rec.Advice[0].Applied) != 3 {
		t.Fatalf("advice %+v, want one case with three attempts", rec.Advice)
	}
}

// queryFlaky fails the first queries of every device with an
// unreachable error, as a device that is down while the intent is planned.
type queryFlaky struct {
	net   *intenttest.Network
	fails atomic.Int32
}

func (f *queryFlaky) Device(ctx context.Context, name string) (intent.Device, error) {
	d, err := f.net.Device(ctx, name)
	if err != nil {
		return nil, err
	}
	return queryFlakyDevice{Device: d, f: f, name: name}, nil
}

type queryFlakyDevice struct {
	intent.Device
	f    *queryFlaky
	name string
}

func (d queryFlakyDevice) Query(ctx context.Context, paths []yang.Path) (*yang.Tree, error) {
	if d.f.fails.Add(-1) >= 0 {
		return nil, &adapters.DeviceError{Device: d.name, Protocol: adapters.NETCONF, Phase: adapters.PhaseConnect, Kind: adapters.ErrUnreachable,
			Message: "dial tcp 192.0.2.1:830: connect: connection refused", NotApplied: true}
	}
	return d.Device.Query(ctx, paths)
}

// TestPlanningRetriesAreOneSighting: planning that meets the same device
// failure on each of its attempts counts it once.
func TestPlanningRetriesAreOneSighting(t *testing.T) {
	net := intenttest.Lab()
	flaky := &queryFlaky{net: net}
	adv := &countingAdvisor{}
	svc := startWith(t, flaky, net, adv)
	flaky.fails.Store(3)
	if _, err := svc.Submit(context.Background(), []byte(mtuIntent), intent.Source{Channel: "rest"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, svc, "mtu-1", intent.StateApplied)
	if left := flaky.fails.Load(); left >= 0 {
		t.Fatalf("%d failing queries left: planning did not meet them all", left+1)
	}
	if observed, _ := adv.counts(); observed != 1 {
		t.Errorf("three planning attempts that met the same failure were observed %d times, want once", observed)
	}
}
