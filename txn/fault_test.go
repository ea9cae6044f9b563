package txn_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
)

// chaosRuns is how often each fault case runs (make chaos sets 20).
var chaosRuns = flag.Int("chaos", 1, "runs of each fault-matrix case")

// faultCase is one row of the fault matrix: a fault injected at a step,
// the outcome expected, and whether the change must be everywhere (true)
// or nowhere (false) afterwards.
type faultCase struct {
	name string
	// at is the step after whose log write the fault is injected ("" before Run).
	at    txn.Step
	dev   string
	fault fault.Fault
	// clearAfter clears the fault that long after injecting it (0: at the end).
	clearAfter time.Duration
	// badChange replaces dev's change by one the device's validation refuses.
	badChange bool
	wantErr   error
	wantHeld  bool
}

var faultMatrix = []faultCase{
	{name: "device rejects prepare", dev: "spine1", badChange: true, wantErr: txn.ErrRolledBack},
	{name: "device unreachable at prepare", dev: "leaf2", fault: fault.Fault{Kind: fault.Down}, wantErr: txn.ErrRolledBack},
	{name: "device rejects commit", at: txn.StepCommit, dev: "leaf1", fault: fault.Fault{Kind: fault.RejectCommit, ErrorTag: "operation-failed", Message: "commit refused by test"}, wantErr: txn.ErrRolledBack},
	{name: "cli device rejects commit", at: txn.StepCommit, dev: "leaf4", fault: fault.Fault{Kind: fault.RejectCommit, Message: "commit refused by test"}, wantErr: txn.ErrRolledBack},
	// A commit that gets no answer within the commit timeout (the lab's hang
	// fault parks new connections only, so the open session is held with a
	// latency longer than every timeout).
	{name: "device hangs during commit", at: txn.StepCommit, dev: "leaf2", fault: fault.Fault{Kind: fault.Latency, Delay: time.Minute}, clearAfter: 2 * time.Second, wantErr: txn.ErrRolledBack},
	{name: "commit dropped after it applied", at: txn.StepCommit, dev: "spine2", fault: fault.Fault{Kind: fault.DropCommit}, wantErr: txn.ErrRolledBack},
	{name: "slow commit within the timeouts", at: txn.StepCommit, dev: "leaf1", fault: fault.Fault{Kind: fault.SlowCommit, Delay: 300 * time.Millisecond}, wantHeld: true},
	{name: "slow commit beyond the commit timeout", at: txn.StepCommit, dev: "leaf1", fault: fault.Fault{Kind: fault.SlowCommit, Delay: 4 * time.Second}, wantErr: txn.ErrRolledBack},
	{name: "session drops after commit before confirm", at: txn.StepVerify, dev: "spine1", fault: fault.Fault{Kind: fault.Down}, clearAfter: time.Second, wantErr: txn.ErrRolledBack},
	{name: "session drops at the confirm", at: txn.StepDecision, dev: "leaf1", fault: fault.Fault{Kind: fault.Down}, clearAfter: time.Second, wantHeld: true},
}

// TestFaultMatrix runs each fault case against the leaf-spine lab (NETCONF,
// gNMI and CLI devices) and checks, by reading every device's running
// configuration in the lab afterwards, that the change is on every device
// or on none.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for device confirm timers; skipped with -short")
	}
	l := startLab(t, topologies.LeafSpine)
	var hook struct {
		sync.Mutex
		fn func(step txn.Step, stage string)
	}
	e := newEnv(t, l, txn.Config{RollbackTimeout: 5 * time.Second, AfterStep: func(id string, s txn.Step, stage string) {
		hook.Lock()
		fn := hook.fn
		hook.Unlock()
		if fn != nil {
			fn(s, stage)
		}
	}})
	stats := newChaosStats()
	n := 0
	for _, fc := range faultMatrix {
		t.Run(fc.name, func(t *testing.T) {
			for run := 0; run < *chaosRuns; run++ {
				n++
				prefix := fmt.Sprintf("198.51.%d.0/24", n%250)
				ok, rec := runFaultCase(t, e, fc, prefix, func(fn func(txn.Step, string)) { hook.Lock(); hook.fn = fn; hook.Unlock() })
				stats.add(fc.name, ok, rec)
				if t.Failed() {
					return
				}
			}
		})
	}
	if *chaosRuns > 1 {
		names := make([]string, len(faultMatrix))
		for i, fc := range faultMatrix {
			names[i] = fc.name
		}
		stats.print(os.Stdout, "fault case", names)
	}
}

// chaosStats gathers, per case, the runs, those after which every device
// held all of the change or none of it, and the recovery times (from the
// fault to the outcome).
type chaosStats struct {
	mu    sync.Mutex
	cases map[string]*caseStats
}

type caseStats struct {
	runs, held int
	recovery   []time.Duration
}

func newChaosStats() *chaosStats { return &chaosStats{cases: map[string]*caseStats{}} }

func (s *chaosStats) add(name string, held bool, recovery time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cases[name]
	if c == nil {
		c = &caseStats{}
		s.cases[name] = c
	}
	c.runs++
	if held {
		c.held++
	}
	c.recovery = append(c.recovery, recovery)
}

// print writes the summary table make chaos shows (and README quotes).
func (s *chaosStats) print(w io.Writer, title string, names []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(w, "\n| %-45s | %4s | %17s | %15s |\n", title, "runs", "all-or-none held", "median recovery")
	fmt.Fprintf(w, "|%s|%s|%s|%s|\n", strings.Repeat("-", 47), strings.Repeat("-", 6), strings.Repeat("-", 19), strings.Repeat("-", 17))
	for _, n := range names {
		c := s.cases[n]
		if c == nil {
			continue
		}
		d := append([]time.Duration(nil), c.recovery...)
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		med := time.Duration(0)
		if len(d) > 0 {
			med = d[len(d)/2]
		}
		fmt.Fprintf(w, "| %-45s | %4d | %17s | %15s |\n", n, c.runs, fmt.Sprintf("%d/%d", c.held, c.runs), med.Round(10*time.Millisecond))
	}
}

// runFaultCase runs one case; it reports whether every device held all of
// the change or none of it as the case wants, and how long the
// transaction took from the fault to its outcome.
func runFaultCase(t *testing.T, e *env, fc faultCase, prefix string, setHook func(func(txn.Step, string))) (bool, time.Duration) {
	t.Helper()
	l := e.lab
	ctx := context.Background()
	failed := false
	check := func(cond bool, format string, args ...any) {
		if !cond {
			failed = true
			t.Errorf(format, args...)
		}
	}
	req := request(t, l, leafSpine, prefix)
	req.Options.ConfirmTimeout = 3 * time.Second
	var bad *txn.Participant
	if fc.badChange {
		// An address another interface already has: the device's
		// validation refuses it at prepare.
		cur, _ := l.Running(fc.dev)
		want := cur.Clone()
		_ = want.Set(yang.AddressPath("e1-2", 0, "10.0.0.0").Leaf("config", "prefix-length"), uint64(31))
		for i := range req.Participants {
			if req.Participants[i].Device == fc.dev {
				req.Participants[i].Changes = append(req.Participants[i].Changes, yang.Diff(cur, want)...)
				bad = &req.Participants[i]
			}
		}
	}
	var wg sync.WaitGroup
	var faultAt atomic.Int64
	inject := func() {
		faultAt.Store(time.Now().UnixNano())
		if fc.fault.Kind == "" {
			return
		}
		if err := l.InjectFault(fc.dev, fc.fault); err != nil {
			t.Error(err)
			return
		}
		if fc.clearAfter > 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(fc.clearAfter)
				_, _ = l.ClearFaults(fc.dev, fault.Any, "")
			}()
		}
	}
	var once sync.Once
	if fc.at == "" {
		inject()
	} else {
		setHook(func(s txn.Step, stage string) {
			if s == fc.at {
				once.Do(inject)
			}
		})
	}
	res, err := e.coord.Run(ctx, req)
	recovery := time.Since(time.Unix(0, faultAt.Load()))
	setHook(nil)
	wg.Wait()
	_, _ = l.ClearFaults(fc.dev, fault.Any, "")
	if fc.wantErr == nil {
		check(err == nil, "run: %v", err)
	} else {
		check(errors.Is(err, fc.wantErr), "run: %v, want %v", err, fc.wantErr)
	}
	if res != nil {
		for _, d := range res.Devices {
			if d.Outcome == txn.OutcomeFailed || d.Outcome == "" {
				check(false, "%s: outcome %q at %s: %+v", d.Device, d.Outcome, d.Phase, d.Error)
			}
		}
		got, gerr := e.coord.Get(ctx, res.ID)
		check(gerr == nil && got.State == res.State, "stored state: %+v %v, want %s", got, gerr, res.State)
	}
	held := allOrNothing(t, l, leafSpine, prefix)
	check(held == 0 || held == len(leafSpine), "mix")
	if fc.wantHeld {
		check(held == len(leafSpine), "the change is on %d of %d devices, want all", held, len(leafSpine))
	} else {
		check(held == 0, "the change is on %d of %d devices, want none", held, len(leafSpine))
	}
	if bad != nil {
		cur, _ := l.Running(fc.dev)
		check(!cur.Has(yang.AddressPath("e1-2", 0, "10.0.0.0")), "the refused address is on %s", fc.dev)
	}
	if held == len(leafSpine) {
		// Take the route away again for the next case.
		undo := txn.Request{}
		for _, p := range req.Participants {
			undo.Participants = append(undo.Participants, txn.Participant{Device: p.Device, Changes: p.Undo, Undo: p.Changes})
		}
		if _, err := e.coord.Run(ctx, undo); err != nil {
			t.Fatalf("clean up: %v", err)
		}
	}
	if t.Failed() && res != nil {
		t.Logf("result: %+v", res)
	}
	return !failed, recovery
}
