package txn_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/txn"
)

// The test binary doubles as the coordinator process the crash test
// kills: with TXN_CHILD set, TestMain runs one transaction from a request
// file and SIGKILLs itself right after the write-ahead log step named by
// TXN_KILL_AT (after TXN_KILL_DELAY).
func TestMain(m *testing.M) {
	if os.Getenv("TXN_CHILD") == "participant" {
		err := runParticipant()
		fmt.Fprintln(os.Stderr, "participant: stopped without being killed:", err)
		os.Exit(3)
	}
	if os.Getenv("TXN_CHILD") != "" {
		err := runChild()
		fmt.Fprintln(os.Stderr, "child: transaction ended without being killed:", err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func runChild() error {
	ctx := context.Background()
	inv, err := adapters.LoadInventory(os.Getenv("TXN_INVENTORY"), adapters.LoadOptions{})
	if err != nil {
		return err
	}
	pool := adapters.NewPool(inv, registry(nil), adapters.TargetOptions{Timeouts: adapters.Timeouts{RPC: 3 * time.Second, Commit: 3 * time.Second}}, adapters.FailoverOptions{})
	db, err := store.Open(ctx, os.Getenv("TXN_DB"), store.Options{})
	if err != nil {
		return err
	}
	killAt := txn.Step(os.Getenv("TXN_KILL_AT"))
	delay, _ := time.ParseDuration(os.Getenv("TXN_KILL_DELAY"))
	var devices txn.Devices = poolDevices{pool}
	if d := os.Getenv("TXN_KILL_DEVICE"); d != "" {
		devices = killOn{pool: pool, device: d, phase: os.Getenv("TXN_KILL_PHASE")}
	}
	c, err := txn.New(ctx, txn.Config{Store: db, Devices: devices, AfterStep: func(id string, s txn.Step, stage string) {
		if s != killAt {
			return
		}
		kill := func() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) }
		if delay == 0 {
			kill()
		}
		time.AfterFunc(delay, kill)
	}})
	if err != nil {
		return err
	}
	body, err := os.ReadFile(os.Getenv("TXN_REQUEST"))
	if err != nil {
		return err
	}
	var req txn.Request
	if err := json.Unmarshal(body, &req); err != nil {
		return err
	}
	_, err = c.Run(ctx, req)
	return err
}

// killOn is the pool, except that committing or confirming (phase) on
// device kills the process, after the other devices had time to do the
// same: a coordinator dying half-way through the commits or the confirms.
type killOn struct {
	pool   *adapters.Pool
	device string
	phase  string
}

type killingDevice struct {
	*adapters.Failover
	phase string
}

func (k killingDevice) die() {
	time.Sleep(300 * time.Millisecond)
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

func (k killingDevice) Commit(ctx context.Context, tx string, timeout time.Duration) error {
	if k.phase == "commit" {
		k.die()
	}
	return k.Failover.Commit(ctx, tx, timeout)
}

func (k killingDevice) Confirm(ctx context.Context, tx string) error {
	if k.phase == "confirm" {
		k.die()
	}
	return k.Failover.Confirm(ctx, tx)
}

func (k killOn) Device(ctx context.Context, name string) (adapters.Device, error) {
	d, err := k.pool.Device(ctx, name)
	if err != nil || name != k.device {
		return d, err
	}
	return killingDevice{Failover: d, phase: k.phase}, nil
}

type crashCase struct {
	name   string
	at     txn.Step
	delay  time.Duration
	reject string // a device that rejects its commit, to reach the abort step
	// commitKill, confirmKill: a device whose commit (confirm) kills the
	// coordinator while the others commit (confirm).
	commitKill, confirmKill string
	held                    bool // the change must be everywhere after recovery (else nowhere)
}

var crashMatrix = []crashCase{
	{name: "killed after logging prepare", at: txn.StepPrepare},
	{name: "killed before the commits", at: txn.StepCommit},
	{name: "killed while committing", commitKill: "spine1"},
	{name: "killed after commit before verify", at: txn.StepVerify},
	{name: "killed while rolling back", at: txn.StepAbort, reject: "leaf2"},
	{name: "killed at the commit decision", at: txn.StepDecision, held: true},
	{name: "killed while confirming", confirmKill: "leaf1", held: true},
}

// TestCoordinatorSIGKILL kills the coordinator process (SIGKILL) at each
// step of a transaction over the leaf-spine lab, recovers in a new
// coordinator on the same store, and checks every device's running
// configuration: the change is on all of them or on none, as the commit
// decision says.
func TestCoordinatorSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts coordinator processes and waits for device timers; skipped with -short")
	}
	l := startLab(t, topologies.LeafSpine)
	stats := newChaosStats()
	n := 0
	for _, cc := range crashMatrix {
		t.Run(cc.name, func(t *testing.T) {
			for run := 0; run < *chaosRuns; run++ {
				n++
				ok, rec := crashOnce(t, l, cc, fmt.Sprintf("203.0.%d.0/24", n%250))
				stats.add(cc.name, ok, rec)
				if t.Failed() {
					return
				}
			}
		})
	}
	if *chaosRuns > 1 {
		names := make([]string, len(crashMatrix))
		for i, cc := range crashMatrix {
			names[i] = cc.name
		}
		stats.print(os.Stdout, "coordinator SIGKILL case", names)
	}
}

// crashOnce runs one case; it reports whether every device held all of
// the change or none of it as the decision says, and the recovery time
// (from the restart to the end of Recover).
func crashOnce(t *testing.T, l *lab.Lab, cc crashCase, prefix string) (bool, time.Duration) {
	t.Helper()
	invPath := l.InventoryPath()
	dir := t.TempDir()
	req := request(t, l, leafSpine, prefix)
	req.ID = "tx-crash-" + strconv.Itoa(int(time.Now().UnixNano()%1e9))
	req.Options.ConfirmTimeout = 3 * time.Second
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	reqFile := filepath.Join(dir, "request.json")
	if err := os.WriteFile(reqFile, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if cc.reject != "" {
		if err := l.InjectFault(cc.reject, fault.Fault{Kind: fault.RejectCommit, Message: "refused by the crash test"}); err != nil {
			t.Fatal(err)
		}
		defer l.ClearFaults(cc.reject, fault.Any, "")
	}
	dbPath := filepath.Join(dir, "netagent.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TXN_CHILD=1", "TXN_INVENTORY="+invPath, "TXN_DB="+dbPath, "TXN_REQUEST="+reqFile,
		"TXN_KILL_AT="+string(cc.at), "TXN_KILL_DELAY="+cc.delay.String())
	switch {
	case cc.commitKill != "":
		cmd.Env = append(cmd.Env, "TXN_KILL_DEVICE="+cc.commitKill, "TXN_KILL_PHASE=commit")
	case cc.confirmKill != "":
		cmd.Env = append(cmd.Env, "TXN_KILL_DEVICE="+cc.confirmKill, "TXN_KILL_PHASE=confirm")
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed: %v\n%s", err, out)
	}
	_, _ = l.ClearFaults(cc.reject, fault.Any, "")

	reverts := labReverts(t, l)
	// Restart: a new coordinator on the same store recovers.
	restart := time.Now()
	e := newEnvAt(t, l, dbPath)
	res, err := e.coord.Recover(context.Background())
	recovery := time.Since(restart)
	ok := true
	if err != nil || len(res) != 1 {
		t.Errorf("recover: %v, %d results", err, len(res))
		ok = false
	}
	held := allOrNothing(t, l, leafSpine, prefix)
	want := 0
	if cc.held {
		want = len(leafSpine)
	}
	if held != want {
		t.Errorf("after recovery %d of %d devices hold the change, want %d", held, len(leafSpine), want)
		ok = false
	}
	if len(res) == 1 {
		wantState := txn.StateConfirmed
		if !cc.held {
			wantState = txn.StateRolledBack
			// Once the commit step is logged, recovery cannot tell whether
			// a commit was sent: it reports rolled-back (nothing is left).
			if cc.at == txn.StepPrepare {
				wantState = txn.StateAborted
			}
		}
		if res[0].State != wantState {
			t.Errorf("recovered state %s, want %s: %+v", res[0].State, wantState, res[0])
			ok = false
		}
		// Recovery acts at once: a decided transaction is confirmed by
		// its persist-id (nothing reverted, nothing applied again), an
		// undecided one cancelled; no device is left to its timer.
		for _, d := range res[0].Devices {
			if d.Outcome == txn.OutcomeReverted || d.Outcome == txn.OutcomeRedone || d.Outcome == txn.OutcomeFailed {
				t.Errorf("%s: recovered as %s, want it confirmed or cancelled at once: %+v", d.Device, d.Outcome, d)
				ok = false
			}
		}
		if cc.held {
			if after := labReverts(t, l); after != reverts {
				t.Errorf("reverts in the lab went from %d to %d during recovery of a decided transaction", reverts, after)
				ok = false
			}
		}
		got, err := e.coord.Get(context.Background(), req.ID)
		if err != nil || got.Result == nil || got.State != res[0].State {
			t.Errorf("stored after recovery: %+v, %v", got, err)
			ok = false
		}
	}
	if again, err := e.coord.Recover(context.Background()); err != nil || len(again) != 0 {
		t.Errorf("second recovery: %v, %d results, want none", err, len(again))
		ok = false
	}
	if held == len(leafSpine) {
		undo := txn.Request{}
		for _, p := range req.Participants {
			undo.Participants = append(undo.Participants, txn.Participant{Device: p.Device, Changes: p.Undo, Undo: p.Changes})
		}
		if _, err := e.coord.Run(context.Background(), undo); err != nil {
			t.Fatalf("clean up: %v", err)
		}
	}
	e.pool.Close()
	return ok, recovery
}

// labReverts counts the confirmed commits the lab's devices reverted
// (timer, cancel-commit, session end).
func labReverts(t *testing.T, l *lab.Lab) uint64 {
	t.Helper()
	var n uint64
	for _, d := range leafSpine {
		st, err := l.Store(d)
		if err != nil {
			t.Fatal(err)
		}
		n += st.Reverts()
	}
	return n
}
