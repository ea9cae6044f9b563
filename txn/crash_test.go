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
	if d := os.Getenv("TXN_KILL_CONFIRM"); d != "" {
		devices = killOnConfirm{pool: pool, device: d}
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

// killOnConfirm is the pool, except that confirming on device kills the
// process (after the others had time to confirm): a coordinator dying
// half-way through the confirms.
type killOnConfirm struct {
	pool   *adapters.Pool
	device string
}

type killingDevice struct{ *adapters.Failover }

func (k killingDevice) Confirm(ctx context.Context, tx string) error {
	time.Sleep(300 * time.Millisecond)
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

func (k killOnConfirm) Device(ctx context.Context, name string) (adapters.Device, error) {
	d, err := k.pool.Device(ctx, name)
	if err != nil || name != k.device {
		return d, err
	}
	return killingDevice{d}, nil
}

type crashCase struct {
	name   string
	at     txn.Step
	delay  time.Duration
	reject string // a device that rejects its commit, to reach the abort step
	// confirmKill is a device whose confirm kills the coordinator.
	confirmKill string
	held        bool // the change must be everywhere after recovery (else nowhere)
}

var crashMatrix = []crashCase{
	{name: "killed after logging prepare", at: txn.StepPrepare},
	{name: "killed before the commits", at: txn.StepCommit},
	{name: "killed while committing", at: txn.StepCommit, delay: 40 * time.Millisecond},
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
	summary := map[string][2]int{}
	n := 0
	for _, cc := range crashMatrix {
		t.Run(cc.name, func(t *testing.T) {
			for run := 0; run < *chaosRuns; run++ {
				n++
				ok := crashOnce(t, l, cc, fmt.Sprintf("203.0.%d.0/24", n%250))
				s := summary[cc.name]
				s[map[bool]int{true: 0, false: 1}[ok]]++
				summary[cc.name] = s
				if t.Failed() {
					return
				}
			}
		})
	}
	if *chaosRuns > 1 {
		fmt.Printf("\n%-45s %6s %6s\n", "coordinator SIGKILL case", "pass", "fail")
		for _, cc := range crashMatrix {
			s := summary[cc.name]
			fmt.Printf("%-45s %6d %6d\n", cc.name, s[0], s[1])
		}
	}
}

func crashOnce(t *testing.T, l *lab.Lab, cc crashCase, prefix string) bool {
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
		"TXN_KILL_AT="+string(cc.at), "TXN_KILL_DELAY="+cc.delay.String(), "TXN_KILL_CONFIRM="+cc.confirmKill)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed: %v\n%s", err, out)
	}
	_, _ = l.ClearFaults(cc.reject, fault.Any, "")

	// Restart: a new coordinator on the same store recovers.
	e := newEnvAt(t, l, dbPath)
	res, err := e.coord.Recover(context.Background())
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
	return ok
}
