package txnplan_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/fleet"
	"github.com/netagent/netagent/intent/txnplan"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
)

func TestRequest(t *testing.T) {
	no := false
	in := &intent.Intent{ID: "i1", Options: intent.Options{ConfirmTimeout: intent.Duration(7 * time.Second), Soak: intent.Duration(time.Second), Atomic: &no}}
	ch := []yang.Change{{Op: yang.OpUpdate, Path: yang.InterfacePath("eth1").Leaf("config", "mtu"), Old: uint64(1500), New: uint64(9000)}}
	plan := &intent.Plan{IntentID: "i1", Devices: []intent.DevicePlan{{Device: "a", Changes: ch, Undo: ch}, {Device: "b"}}}
	req := txnplan.Request(in, plan)
	if req.Intent != "i1" || req.ID == "" || len(req.Participants) != 1 || req.Participants[0].Device != "a" {
		t.Fatalf("request %+v", req)
	}
	if o := req.Options; o.ConfirmTimeout != 7*time.Second || o.Soak != time.Second || !o.NotAtomic {
		t.Fatalf("options %+v", o)
	}
	if _, err := req.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestIntentThroughCoordinator applies an intent through the coordinator
// on the leaf-spine lab, then one that a device refuses at commit: the
// first is on every device and linked to its transaction, the second on
// none, and the intent is rolled back with the transaction's outcome.
func TestIntentThroughCoordinator(t *testing.T) {
	ctx := context.Background()
	tp, err := topo.Parse(topologies.LeafSpine)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(ctx, tp, lab.Options{Dir: filepath.Join(t.TempDir(), "lab"), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	inv, err := adapters.LoadInventory(l.InventoryPath(), adapters.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg := adapters.NewRegistry()
	for n, o := range map[string]adapters.Opener{adapters.NETCONF: netconf.Opener, adapters.GNMI: gnmi.Opener, adapters.CLI: cli.Opener} {
		if err := reg.Register(n, o); err != nil {
			t.Fatal(err)
		}
	}
	pool := adapters.NewPool(inv, reg, adapters.TargetOptions{}, adapters.FailoverOptions{})
	defer pool.Close()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := fleet.New(inv, pool)
	coord, err := txn.New(ctx, txn.Config{Store: db, Devices: poolDevices{pool, f}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: f, Devices: f, Executor: txnplan.New(coord)})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(rctx) }()
	defer func() { cancel(); <-done }()

	route := func(id, prefix string) []byte {
		return []byte(`{"id":"` + id + `","kind":"static-route","targets":{"selector":{"pod":"1"}},"spec":{"prefix":"` + prefix + `","next_hops":[{"next_hop":"192.0.2.1"}]},"options":{"confirm_timeout":"3s"}}`)
	}
	has := func(prefix string) int {
		n := 0
		for _, d := range inv.Names() {
			cur, err := l.Running(d)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Has(yang.StaticRoutePath(prefix)) {
				n++
			}
		}
		return n
	}
	if _, err := svc.Submit(ctx, route("ok", "198.51.100.0/24"), intent.Source{Channel: "test"}); err != nil {
		t.Fatal(err)
	}
	if rec, err := svc.Wait(ctx, "ok"); err != nil || rec.State != intent.StateApplied {
		t.Fatalf("ok: %v %v", rec.State, err)
	}
	rec, err := svc.Get(ctx, "ok")
	if err != nil || rec.Txn == "" {
		t.Fatalf("no transaction linked: %+v %v", rec, err)
	}
	if sum, err := coord.Get(ctx, rec.Txn); err != nil || sum.State != txn.StateConfirmed || sum.Devices != 6 {
		t.Fatalf("transaction %+v %v", sum, err)
	}
	if n := has("198.51.100.0/24"); n != 6 {
		t.Fatalf("%d devices hold the route", n)
	}

	if err := l.InjectFault("leaf2", fault.Fault{Kind: fault.RejectCommit, Message: "refused by test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, route("bad", "198.51.101.0/24"), intent.Source{Channel: "test"}); err != nil {
		t.Fatal(err)
	}
	rec, err = svc.Wait(ctx, "bad")
	if err != nil || rec.State != intent.StateRolledBack {
		t.Fatalf("bad: %v %v (%s)", rec.State, err, rec.Error)
	}
	if n := has("198.51.101.0/24"); n != 0 {
		t.Fatalf("%d devices hold the refused route", n)
	}
	if rec.Error == "" {
		t.Fatal("no reason recorded")
	}
}

// TestStages: an address is configured before the BGP neighbour of
// another device that peers with it, and when both go, the neighbour goes
// first; devices that depend on nothing stay in the first stage, and a
// plan without such dependencies is one stage.
func TestStages(t *testing.T) {
	addr := func(op yang.Op, ip string) yang.Change {
		return yang.Change{Op: op, Path: yang.AddressPath("e1-1", 0, ip)}
	}
	nb := func(op yang.Op, ip string) yang.Change { return yang.Change{Op: op, Path: yang.NeighborPath(ip)} }
	mtu := yang.Change{Op: yang.OpUpdate, Path: yang.InterfacePath("e1-1").Leaf("config", "mtu"), Old: uint64(1500), New: uint64(9000)}
	for _, tc := range []struct {
		name   string
		parts  map[string][]yang.Change
		want   map[string]string // device -> stage
		stages []txn.Stage
	}{
		{"no dependency", map[string][]yang.Change{"a": {mtu}, "b": {mtu}}, map[string]string{"a": "", "b": ""}, nil},
		{"address before the neighbour peering with it",
			map[string][]yang.Change{"a": {addr(yang.OpCreate, "10.0.0.1")}, "b": {nb(yang.OpCreate, "10.0.0.1")}, "c": {mtu}},
			map[string]string{"a": txnplan.StageAddresses, "b": txnplan.StageNeighbors, "c": ""},
			[]txn.Stage{{Name: txnplan.StageAddresses}, {Name: txnplan.StageNeighbors, After: []string{txnplan.StageAddresses}}}},
		{"a neighbour of an address on its own device is one device's order",
			map[string][]yang.Change{"a": {addr(yang.OpCreate, "10.0.0.1"), nb(yang.OpCreate, "10.0.0.1")}},
			map[string]string{"a": ""}, nil},
		{"a neighbour of an address nobody configures here", map[string][]yang.Change{"b": {nb(yang.OpCreate, "10.9.9.9")}},
			map[string]string{"b": ""}, nil},
		{"neighbour removed before the address it peers with",
			map[string][]yang.Change{"a": {addr(yang.OpDelete, "10.0.0.1")}, "b": {nb(yang.OpDelete, "10.0.0.1")}},
			map[string]string{"a": txnplan.StageAddressesGone, "b": txnplan.StageNeighborsGone},
			[]txn.Stage{{Name: txnplan.StageNeighborsGone}, {Name: txnplan.StageAddressesGone, After: []string{txnplan.StageNeighborsGone}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &intent.Intent{ID: "i1"}
			plan := &intent.Plan{IntentID: "i1"}
			for _, d := range []string{"a", "b", "c"} {
				if ch, ok := tc.parts[d]; ok {
					plan.Devices = append(plan.Devices, intent.DevicePlan{Device: d, Changes: ch})
				}
			}
			req := txnplan.Request(in, plan)
			got := map[string]string{}
			for _, p := range req.Participants {
				got[p.Device] = p.Stage
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("stages of the devices (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.stages, req.Stages); d != "" {
				t.Errorf("stages (-want +got):\n%s", d)
			}
			waves, err := req.Validate()
			if err != nil {
				t.Fatal(err)
			}
			// The providers' wave comes before the users'.
			pos := map[string]int{}
			for w, idx := range waves {
				for _, i := range idx {
					pos[req.Participants[i].Device] = w
				}
			}
			if tc.want["a"] == txnplan.StageAddresses && pos["a"] >= pos["b"] {
				t.Errorf("the address's device runs in wave %d, the neighbour's in %d", pos["a"], pos["b"])
			}
			if tc.want["b"] == txnplan.StageNeighborsGone && pos["b"] >= pos["a"] {
				t.Errorf("the neighbour's removal runs in wave %d, the address's in %d", pos["b"], pos["a"])
			}
		})
	}
}
