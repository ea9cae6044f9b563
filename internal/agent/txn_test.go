package agent

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
)

// TestRecoveryBeforeIntents starts the agent on a store whose log holds a
// transaction committed (device timers pending) but not decided, as a
// coordinator that died leaves it. The agent recovers it (presumed abort:
// the devices revert) before it plans the intent submitted at once over
// REST: the intent's record is created after the recovery ended.
func TestRecoveryBeforeIntents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tp, err := topo.Parse(topologies.TwoNode)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l, err := lab.Start(ctx, tp, lab.Options{Dir: filepath.Join(dir, "lab"), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	// A coordinator that stops for good after logging the read-back step.
	inv, err := adapters.LoadInventory(l.InventoryPath(), adapters.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	pool := adapters.NewPool(inv, reg, adapters.TargetOptions{}, adapters.FailoverOptions{})
	defer pool.Close()
	old, err := store.Open(ctx, filepath.Join(dir, "old.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	hung := make(chan struct{})
	// Never released: this coordinator is dead as far as the test goes.
	release := make(chan struct{})
	coord, err := txn.New(ctx, txn.Config{Store: old, Devices: txnDevices{pool: pool}, AfterStep: func(id string, s txn.Step, stage string) {
		if s == txn.StepVerify {
			close(hung)
			<-release
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	prefix := "203.0.113.0/24"
	req := txn.Request{ID: txn.NewID()}
	req.Options.ConfirmTimeout = 3 * time.Second
	for _, d := range []string{"r1", "r2"} {
		cur, _ := l.Running(d)
		want := cur.Clone()
		if err := want.Set(yang.NextHopPath(prefix, "0").Leaf("config", "next-hop"), "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		req.Participants = append(req.Participants, txn.Participant{Device: d, Changes: yang.Diff(cur, want), Undo: yang.Diff(want, cur)})
	}
	go func() { _, _ = coord.Run(context.Background(), req) }()
	<-hung
	for _, d := range []string{"r1", "r2"} {
		if cur, _ := l.Running(d); !cur.Has(yang.StaticRoutePath(prefix)) {
			t.Fatalf("%s does not hold the committed route", d)
		}
	}
	// The agent's store is a snapshot of that log.
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := old.ExecContext(ctx, `VACUUM INTO ?`, filepath.Join(data, "netagent.db")); err != nil {
		t.Fatal(err)
	}

	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = data
	cfg.Inventory = l.InventoryPath()
	cfg.Txn.Enabled = true
	a, err := New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	addr, err := a.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"id":"after-recovery","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":9000}}`
	resp, err := bearerClient(t, cfg.AdminTokenPath()).Post("http://"+addr+"/v1/intents", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %s", resp.Status)
	}
	sum, err := a.net.txn.Get(ctx, req.ID)
	if err != nil || sum.Result == nil {
		t.Fatalf("recovered transaction: %+v %v", sum, err)
	}
	if sum.State != txn.StateRolledBack {
		t.Fatalf("recovered state %s, want rolled-back: %+v", sum.State, sum.Result)
	}
	rec, err := a.net.intent.Get(ctx, "after-recovery")
	if err != nil {
		t.Fatal(err)
	}
	if rec.CreatedAt.Before(sum.Result.Ended) {
		t.Fatalf("intent accepted at %v, before recovery ended at %v", rec.CreatedAt, sum.Result.Ended)
	}
	for _, d := range []string{"r1", "r2"} {
		if cur, _ := l.Running(d); cur.Has(yang.StaticRoutePath(prefix)) {
			t.Errorf("%s still holds the route of the abandoned transaction", d)
		}
	}
}
