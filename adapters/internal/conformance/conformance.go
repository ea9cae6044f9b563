package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/yang"
)

// Topology is the suite's lab: one device per protocol personality.
const Topology = `name: conformance
topology:
  nodes:
    nc:
      kind: nokia_srlinux
      labels: {netagent.protocols: "netconf,gnmi,cli", netagent.cli-platform: frr}
    gn:
      kind: nokia_srlinux
      labels: {netagent.protocols: "gnmi,netconf"}
    frr:
      kind: linux
      labels: {netagent.protocols: "cli,netconf", netagent.cli-platform: frr}
    eos:
      kind: arista_ceos
      labels: {netagent.protocols: "cli,gnmi", netagent.cli-platform: eos}
  links:
    - endpoints: ["nc:eth1", "gn:eth1"]
    - endpoints: ["frr:eth1", "eos:eth1"]
`

// StartLab starts the suite's lab in a temporary directory and loads its
// inventory; both are cleaned up with t.
func StartLab(t testing.TB) (*lab.Lab, *adapters.Inventory) {
	t.Helper()
	return startLab(t, []byte(Topology), lab.Options{})
}

// startLab starts topology in a temporary directory and loads its
// inventory; both are cleaned up with t.
func startLab(t testing.TB, topology []byte, opts lab.Options) (*lab.Lab, *adapters.Inventory) {
	t.Helper()
	tp, err := topo.Parse(topology)
	if err != nil {
		t.Fatal(err)
	}
	opts.Dir = t.TempDir()
	l, err := lab.Start(context.Background(), tp, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("lab close: %v", err)
		}
	})
	inv, err := adapters.LoadInventory(l.InventoryPath(), adapters.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l, inv
}

// Target returns device's target for protocol from the lab inventory.
func Target(t testing.TB, inv *adapters.Inventory, device, protocol string) adapters.Target {
	t.Helper()
	ts, err := inv.Targets(device, adapters.TargetOptions{Timeouts: adapters.Timeouts{RPC: 10 * time.Second, Commit: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range ts {
		if tg.Protocol.Name == protocol {
			return tg
		}
	}
	t.Fatalf("device %s has no %s", device, protocol)
	return adapters.Target{}
}

// Constructs are the model's constructs, each as a desired state built on
// top of the device's current configuration.
var Constructs = []struct {
	Name  string
	Apply func(t *yang.Tree)
}{
	{"interface settings", func(t *yang.Tree) {
		p := yang.InterfacePath("eth1")
		must(t.Set(p.Leaf("config", "mtu"), uint64(9000)))
		must(t.Set(p.Leaf("config", "description"), "conformance uplink"))
		must(t.Set(p.Leaf("config", "enabled"), false))
	}},
	{"new loopback with address", func(t *yang.Tree) {
		p := yang.InterfacePath("lo10")
		must(t.Set(p.Leaf("config", "name"), "lo10"))
		must(t.Set(p.Leaf("config", "type"), "softwareLoopback"))
		must(t.Set(p.Leaf("config", "enabled"), true))
		must(t.Set(yang.AddressPath("lo10", 0, "192.0.2.1").Leaf("config", "prefix-length"), uint64(32)))
	}},
	{"static route", func(t *yang.Tree) {
		must(t.Set(yang.NextHopPath("198.51.100.0/24", "0").Leaf("config", "next-hop"), "DROP"))
	}},
	{"bgp", func(t *yang.Tree) {
		must(t.Set(yang.BGPPath().Leaf("global", "config", "as"), uint64(65001)))
		must(t.Set(yang.BGPPath().Leaf("global", "config", "router-id"), "192.0.2.1"))
		n := yang.NeighborPath("203.0.113.2")
		must(t.Set(n.Leaf("config", "peer-as"), uint64(65002)))
		must(t.Set(n.Leaf("config", "description"), "spine"))
		must(t.Set(n.Leaf("config", "enabled"), true))
	}},
	{"delete interface address", func(t *yang.Tree) {
		// The whole subinterface: a CLI has no empty subinterface to keep.
		t.Delete(yang.SubinterfacePath("eth1", 0))
	}},
}

// normalize drops subinterfaces that hold nothing but their index: they
// carry no configuration, a CLI cannot show them, and devices differ on
// whether removing the last address removes the subinterface too.
func normalize(t *yang.Tree) *yang.Tree {
	for _, l := range t.Leaves() {
		p := l.Path
		if len(p) == 5 && p[2].Name == "subinterfaces" && p[4].Name == "index" {
			entry := p[:4]
			if len(t.Subtree(entry)) == 2 {
				t.Delete(entry)
			}
		}
	}
	return t
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// Result is one row of the suite's table.
type Result struct {
	Adapter, Check string
	Pass           bool
	Note           string
}

// Options says what the suite may expect of an adapter.
type Options struct {
	Device   string // lab device to run against
	Protocol string
	Label    string // the adapter column of the table (default Protocol)
	// Skip lists constructs the protocol's platform cannot express, with why.
	Skip map[string]string
	// ConfirmTimer: the adapter's commits revert by themselves.
	ConfirmTimer bool
}

// Run runs the suite. open opens a fresh adapter on the target.
func Run(t *testing.T, l *lab.Lab, inv *adapters.Inventory, o Options, open adapters.Opener) []Result {
	var results []Result
	label := o.Label
	if label == "" {
		label = o.Protocol
	}
	record := func(check string, pass bool, note string) {
		results = append(results, Result{Adapter: label, Check: check, Pass: pass, Note: note})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tg := Target(t, inv, o.Device, o.Protocol)
	d, err := open(ctx, tg)
	if err != nil {
		t.Fatalf("open %s: %v", o.Protocol, err)
	}
	defer func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	running := func(t *testing.T) *yang.Tree {
		r, err := l.Running(o.Device)
		if err != nil {
			t.Fatal(err)
		}
		return normalize(r)
	}
	// configure and read back every construct
	for _, c := range Constructs {
		t.Run("configure/"+c.Name, func(t *testing.T) {
			if why, ok := o.Skip[c.Name]; ok {
				record("configure+read back: "+c.Name, false, "n/a: "+why)
				t.Skip(why)
			}
			before := running(t)
			want := before.Clone()
			c.Apply(want)
			changes := yang.Diff(before, want)
			if err := d.Configure(ctx, changes); err != nil {
				record("configure+read back: "+c.Name, false, err.Error())
				t.Fatalf("Configure: %v\n%s", err, yang.Render(changes))
			}
			if got := running(t); !got.Equal(want) {
				record("configure+read back: "+c.Name, false, "device differs")
				t.Fatalf("device running config differs:\n%s", cmp.Diff(want.String(), got.String()))
			}
			got, err := d.Query(ctx, nil)
			if err != nil {
				record("configure+read back: "+c.Name, false, err.Error())
				t.Fatalf("Query: %v", err)
			}
			got = normalize(got)
			if !got.Equal(want) {
				record("configure+read back: "+c.Name, false, "Query differs")
				t.Fatalf("Query differs from the device (-want +got):\n%s", cmp.Diff(want.String(), got.String()))
			}
			// Query of one subtree returns exactly that subtree.
			sub := []yang.Path{yang.InterfacePath("eth1")}
			part, err := d.Query(ctx, sub)
			if err != nil {
				record("configure+read back: "+c.Name, false, err.Error())
				t.Fatalf("Query(%s): %v", sub[0], err)
			}
			if wantPart := normalize(adapters.Restrict(want, sub)); !normalize(part).Equal(wantPart) {
				record("configure+read back: "+c.Name, false, "Query of a subtree differs")
				t.Fatalf("Query(%s) (-want +got):\n%s", sub[0], cmp.Diff(wantPart.String(), normalize(part).String()))
			}
			record("configure+read back: "+c.Name, true, "")
		})
	}
	tx, ok := d.(adapters.Transactional)
	if !ok {
		record("transactions", false, "adapter has no phase interfaces")
		return results
	}
	mtuChange := func(t *testing.T, mtu uint64) ([]yang.Change, *yang.Tree, *yang.Tree) {
		before := running(t)
		want := before.Clone()
		must(want.Set(yang.InterfacePath("eth1").Leaf("config", "mtu"), mtu))
		return yang.Diff(before, want), before, want
	}
	t.Run("prepare commit confirm", func(t *testing.T) {
		changes, before, want := mtuChange(t, 1400)
		id := "tx-confirm"
		if err := tx.Prepare(ctx, id, changes); err != nil {
			record("prepare/commit/confirm", false, err.Error())
			t.Fatal(err)
		}
		if !running(t).Equal(before) {
			record("prepare/commit/confirm", false, "prepare changed running")
			t.Fatal("Prepare changed the running configuration")
		}
		if err := tx.Commit(ctx, id, 30*time.Second); err != nil {
			record("prepare/commit/confirm", false, err.Error())
			t.Fatal(err)
		}
		if err := tx.Confirm(ctx, id); err != nil {
			record("prepare/commit/confirm", false, err.Error())
			t.Fatal(err)
		}
		if !running(t).Equal(want) {
			record("prepare/commit/confirm", false, "not applied")
			t.Fatal("not applied after confirm")
		}
		record("prepare/commit/confirm", true, "")
	})
	t.Run("abort", func(t *testing.T) {
		changes, before, _ := mtuChange(t, 1300)
		id := "tx-abort"
		if err := tx.Prepare(ctx, id, changes); err != nil {
			record("abort", false, err.Error())
			t.Fatal(err)
		}
		if err := tx.Abort(ctx, id); err != nil {
			record("abort", false, err.Error())
			t.Fatal(err)
		}
		if !running(t).Equal(before) {
			record("abort", false, "changed")
			t.Fatal("abort left a change")
		}
		// The writer slot is free again.
		if err := d.Configure(ctx, nil); err != nil {
			t.Fatal(err)
		}
		record("abort", true, "")
	})
	t.Run("rollback", func(t *testing.T) {
		changes, before, want := mtuChange(t, 1200)
		id := "tx-rollback"
		if err := tx.Prepare(ctx, id, changes); err != nil {
			record("rollback after commit", false, err.Error())
			t.Fatal(err)
		}
		if err := tx.Commit(ctx, id, 30*time.Second); err != nil {
			record("rollback after commit", false, err.Error())
			t.Fatal(err)
		}
		if !running(t).Equal(want) {
			t.Fatal("commit not applied")
		}
		if err := tx.Rollback(ctx, id); err != nil {
			record("rollback after commit", false, err.Error())
			t.Fatal(err)
		}
		if !running(t).Equal(before) {
			record("rollback after commit", false, "not restored")
			t.Fatalf("rollback did not restore:\n%s", cmp.Diff(before.String(), running(t).String()))
		}
		record("rollback after commit", true, "")
	})
	t.Run("rollback after confirm", func(t *testing.T) {
		changes, before, _ := mtuChange(t, 1100)
		id := "tx-rollback-confirmed"
		if err := tx.Prepare(ctx, id, changes); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx, id, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := tx.Confirm(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx, id); err != nil {
			record("rollback after confirm", false, err.Error())
			t.Fatal(err)
		}
		if !running(t).Equal(before) {
			record("rollback after confirm", false, "not restored")
			t.Fatal("rollback after confirm did not restore")
		}
		record("rollback after confirm", true, "")
	})
	t.Run("confirm timer expires", func(t *testing.T) {
		if !o.ConfirmTimer {
			record("confirm timer expiry", false, "n/a: no device-side timer; participant rollback instead")
			t.Skip("no device-side confirm timer")
		}
		changes, before, want := mtuChange(t, 1000)
		id := "tx-expire"
		if err := tx.Prepare(ctx, id, changes); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx, id, time.Second); err != nil {
			record("confirm timer expiry", false, err.Error())
			t.Fatal(err)
		}
		if !running(t).Equal(want) {
			t.Fatal("commit not applied")
		}
		deadline := time.Now().Add(10 * time.Second)
		for !running(t).Equal(before) {
			if time.Now().After(deadline) {
				record("confirm timer expiry", false, "device did not revert")
				t.Fatal("the device did not revert after its confirm timer")
			}
			time.Sleep(100 * time.Millisecond)
		}
		err := tx.Confirm(ctx, id)
		if err == nil || !errors.Is(err, adapters.ErrRejected) {
			record("confirm timer expiry", false, fmt.Sprint("late confirm: ", err))
			t.Fatalf("late Confirm = %v, want ErrRejected", err)
		}
		record("confirm timer expiry", true, "")
	})
	return results
}

// Table renders results as a Markdown table for the package doc.
func Table(rs []Result) string {
	s := "| adapter | check | result |\n|---|---|---|\n"
	for _, r := range rs {
		res := "pass"
		if !r.Pass {
			res = "FAIL " + r.Note
			if len(r.Note) > 3 && r.Note[:3] == "n/a" {
				res = r.Note
			}
		}
		s += fmt.Sprintf("| %s | %s | %s |\n", r.Adapter, r.Check, res)
	}
	return s
}

// WriteTable writes the table to the file named by NETAGENT_CONFORMANCE_OUT, if set.
func WriteTable(t testing.TB, rs []Result) {
	if p := os.Getenv("NETAGENT_CONFORMANCE_OUT"); p != "" {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		_, _ = f.WriteString(Table(rs))
	}
	t.Log("\n" + Table(rs))
}

// Open opens an adapter with open on the lab device's target for protocol
// (failing t if it cannot); it is closed when t ends.
func Open[D adapters.Device](t testing.TB, inv *adapters.Inventory, device, protocol string, open func(context.Context, adapters.Target) (D, error)) D {
	t.Helper()
	d, err := open(context.Background(), Target(t, inv, device, protocol))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}
