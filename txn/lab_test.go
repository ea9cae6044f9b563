package txn_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
)

// env is a coordinator over the simulated leaf-spine lab.
type env struct {
	lab   *lab.Lab
	pool  *adapters.Pool
	db    *store.DB
	coord *txn.Coordinator
	dir   string
}

type poolDevices struct{ p *adapters.Pool }

func (d poolDevices) Device(ctx context.Context, name string) (adapters.Device, error) {
	return d.p.Device(ctx, name)
}

func registry(t testing.TB) *adapters.Registry {
	reg := adapters.NewRegistry()
	for n, o := range map[string]adapters.Opener{adapters.NETCONF: netconf.Opener, adapters.GNMI: gnmi.Opener, adapters.CLI: cli.Opener} {
		if err := reg.Register(n, o); err != nil {
			panic(err)
		}
	}
	return reg
}

func startLab(t testing.TB, src []byte) *lab.Lab {
	t.Helper()
	tp, err := topo.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(context.Background(), tp, lab.Options{Dir: filepath.Join(t.TempDir(), "lab"), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func newEnv(t testing.TB, l *lab.Lab, cfg txn.Config) *env {
	t.Helper()
	return newEnvCfg(t, l, filepath.Join(t.TempDir(), "netagent.db"), cfg)
}

// newEnvAt is a coordinator on the store at dbPath (a restart).
func newEnvAt(t testing.TB, l *lab.Lab, dbPath string) *env {
	t.Helper()
	return newEnvCfg(t, l, dbPath, txn.Config{})
}

func newEnvCfg(t testing.TB, l *lab.Lab, dbPath string, cfg txn.Config) *env {
	t.Helper()
	ctx := context.Background()
	inv, err := adapters.LoadInventory(l.InventoryPath(), adapters.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pool := adapters.NewPool(inv, registry(t), adapters.TargetOptions{Timeouts: adapters.Timeouts{RPC: 3 * time.Second, Commit: 3 * time.Second}}, adapters.FailoverOptions{})
	t.Cleanup(func() { pool.Close() })
	dir := filepath.Dir(dbPath)
	db, err := store.Open(ctx, dbPath, store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg.Store, cfg.Devices = db, poolDevices{pool}
	c, err := txn.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{lab: l, pool: pool, db: db, coord: c, dir: dir}
}

const testPrefix = "198.51.100.0/24"

// routeChange returns the changes that add a static route on device (and
// their undo), computed against its running configuration in the lab.
func routeChange(t testing.TB, l *lab.Lab, device, prefix, nextHop string) txn.Participant {
	t.Helper()
	cur, err := l.Running(device)
	if err != nil {
		t.Fatal(err)
	}
	want := cur.Clone()
	if err := want.Set(yang.NextHopPath(prefix, "0").Leaf("config", "next-hop"), nextHop); err != nil {
		t.Fatal(err)
	}
	return txn.Participant{Device: device, Changes: yang.Diff(cur, want), Undo: yang.Diff(want, cur)}
}

// hasRoute reads device's running configuration in the lab.
func hasRoute(t testing.TB, l *lab.Lab, device, prefix string) bool {
	t.Helper()
	cur, err := l.Running(device)
	if err != nil {
		t.Fatal(err)
	}
	return cur.Has(yang.StaticRoutePath(prefix))
}

// allOrNothing checks every device's running configuration holds the
// route, or none does; it returns how many do.
func allOrNothing(t testing.TB, l *lab.Lab, devices []string, prefix string) int {
	t.Helper()
	n := 0
	for _, d := range devices {
		if hasRoute(t, l, d, prefix) {
			n++
		}
	}
	if n != 0 && n != len(devices) {
		t.Errorf("%d of %d devices hold %s: a mix", n, len(devices), prefix)
	}
	return n
}

var leafSpine = []string{"leaf1", "leaf2", "leaf3", "leaf4", "spine1", "spine2"}

func request(t testing.TB, l *lab.Lab, devices []string, prefix string) txn.Request {
	var req txn.Request
	for _, d := range devices {
		req.Participants = append(req.Participants, routeChange(t, l, d, prefix, "192.0.2.1"))
	}
	return req
}

func TestConfirmEverywhere(t *testing.T) {
	l := startLab(t, topologies.LeafSpine)
	e := newEnv(t, l, txn.Config{})
	req := request(t, l, leafSpine, testPrefix)
	req.Options.ConfirmTimeout = 10 * time.Second
	res, err := e.coord.Run(context.Background(), req)
	if err != nil {
		t.Fatalf("run: %v (%+v)", err, res)
	}
	if res.State != txn.StateConfirmed || res.Phase != adapters.PhaseConfirm {
		t.Fatalf("state %s phase %s, want confirmed at confirm", res.State, res.Phase)
	}
	for _, d := range res.Devices {
		if d.Outcome != txn.OutcomeConfirmed {
			t.Errorf("%s: outcome %s (%v)", d.Device, d.Outcome, d.Error)
		}
	}
	// leaf4 is CLI only: no confirm timer, the inverse is kept.
	if d, _ := res.Device("leaf4"); d.UndoBy != txn.UndoByInverse {
		t.Errorf("leaf4 undo by %q, want %q", d.UndoBy, txn.UndoByInverse)
	}
	if d, _ := res.Device("spine1"); d.UndoBy != txn.UndoByTimer {
		t.Errorf("spine1 undo by %q, want %q", d.UndoBy, txn.UndoByTimer)
	}
	if n := allOrNothing(t, l, leafSpine, testPrefix); n != len(leafSpine) {
		t.Fatalf("%d devices hold the route, want all", n)
	}
	// Past the confirm timeout nothing reverts: it was confirmed.
	got, err := e.coord.Get(context.Background(), res.ID)
	if err != nil || got.State != txn.StateConfirmed || got.Result == nil {
		t.Fatalf("stored: %+v, %v", got, err)
	}
}

func TestStagesRunInOrder(t *testing.T) {
	l := startLab(t, topologies.LeafSpine)
	var order []string
	e := newEnv(t, l, txn.Config{AfterStep: func(id string, s txn.Step, stage string) {
		if s == txn.StepCommit {
			order = append(order, stage)
		}
	}})
	req := request(t, l, []string{"spine1", "leaf1", "leaf2"}, testPrefix)
	req.Participants[0].Stage = "core"
	req.Participants[1].Stage = "edge"
	req.Participants[2].Stage = "edge"
	req.Stages = []txn.Stage{{Name: "edge", After: []string{"core"}}, {Name: "core"}}
	if _, err := e.coord.Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(order) != "[core edge]" {
		t.Fatalf("commit order %v, want [core edge]", order)
	}
	bad := req
	bad.ID = ""
	bad.Stages = []txn.Stage{{Name: "edge", After: []string{"core"}}, {Name: "core", After: []string{"edge"}}}
	if _, err := e.coord.Run(context.Background(), bad); !errors.Is(err, txn.ErrInvalid) {
		t.Fatalf("cyclic stages: %v, want ErrInvalid", err)
	}
}

// TestOneWriterPerDevice holds a transaction on leaf1 and starts two more
// on it: one with NoWait is refused naming the holder, the other queues
// and runs once the first has confirmed.
func TestOneWriterPerDevice(t *testing.T) {
	l := startLab(t, topologies.LeafSpine)
	hold := make(chan struct{})
	held := make(chan struct{}, 1)
	e := newEnv(t, l, txn.Config{AfterStep: func(id string, s txn.Step, stage string) {
		if id == "tx-holder" && s == txn.StepVerify {
			held <- struct{}{}
			<-hold
		}
	}})
	first := request(t, l, []string{"leaf1", "leaf2"}, testPrefix)
	first.ID = "tx-holder"
	errc := make(chan error, 1)
	go func() { _, err := e.coord.Run(context.Background(), first); errc <- err }()
	<-held
	if h := e.coord.Holder("leaf1"); h != "tx-holder" {
		t.Fatalf("holder of leaf1: %q", h)
	}
	refused := request(t, l, []string{"leaf1"}, "198.51.99.0/24")
	refused.Options.NoWait = true
	_, err := e.coord.Run(context.Background(), refused)
	var be *txn.BusyError
	if !errors.As(err, &be) || be.Device != "leaf1" || be.Holder != "tx-holder" || !errors.Is(err, txn.ErrBusy) {
		t.Fatalf("NoWait: %v, want busy naming tx-holder", err)
	}
	queued := request(t, l, []string{"leaf1", "spine1"}, "198.51.98.0/24")
	qerr := make(chan error, 1)
	go func() { _, err := e.coord.Run(context.Background(), queued); qerr <- err }()
	select {
	case err := <-qerr:
		t.Fatalf("the queued transaction ran beside the holder: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(hold)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if err := <-qerr; err != nil {
		t.Fatal(err)
	}
	if !hasRoute(t, l, "leaf1", "198.51.98.0/24") || !hasRoute(t, l, "leaf1", testPrefix) || hasRoute(t, l, "leaf1", "198.51.99.0/24") {
		t.Fatal("leaf1 does not hold what the two transactions that ran set")
	}
}

// TestCancelBeforeConfirm cancels the caller's ctx during the soak: every
// device is rolled back.
func TestCancelBeforeConfirm(t *testing.T) {
	l := startLab(t, topologies.LeafSpine)
	e := newEnv(t, l, txn.Config{})
	req := request(t, l, leafSpine, testPrefix)
	req.Options.ConfirmTimeout = 3 * time.Second
	req.Options.Soak = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := e.coord.Run(ctx, req)
	if !errors.Is(err, txn.ErrRolledBack) {
		t.Fatalf("run: %v, want rolled back", err)
	}
	if res.State != txn.StateRolledBack || !strings.Contains(res.Reason, "deadline") {
		t.Fatalf("result %s: %s", res.State, res.Reason)
	}
	if n := allOrNothing(t, l, leafSpine, testPrefix); n != 0 {
		t.Fatalf("%d devices hold the change", n)
	}
}
