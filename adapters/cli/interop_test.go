//go:build interop

package cli_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/internal/interop"
	"github.com/netagent/netagent/yang"
)

// TestInteropFRR drives FRR's vtysh through OpenSSH: interface settings and
// static routes are configured, read back with show running-config, checked
// through vtysh directly, and rolled back; a refused command is reported
// with the device's "% ..." line and leaves nothing behind.
func TestInteropFRR(t *testing.T) {
	srv := interop.FRR(t)
	tg := conformance.ServerTarget("frr", srv, adapters.ProtocolSpec{Name: adapters.CLI, Platform: "frr"})
	tg.Timeouts = adapters.Timeouts{RPC: 20 * time.Second, Commit: 20 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, err := cli.Open(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	before, err := a.Query(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := before.Clone()
	e := yang.InterfacePath("eth1")
	for _, s := range []struct {
		p yang.Path
		v any
	}{
		{e.Leaf("config", "name"), "eth1"},
		{e.Leaf("config", "type"), "ethernetCsmacd"},
		{e.Leaf("config", "enabled"), true},
		{e.Leaf("config", "description"), "netagent interop"},
		{yang.AddressPath("eth1", 0, "192.0.2.1").Leaf("config", "prefix-length"), uint64(24)},
		{yang.NextHopPath("198.51.100.0/24", "0").Leaf("config", "next-hop"), "192.0.2.254"},
		{yang.NextHopPath("203.0.113.0/24", "0").Leaf("config", "next-hop"), "DROP"},
	} {
		if err := want.Set(s.p, s.v); err != nil {
			t.Fatal(err)
		}
	}
	changes := yang.Diff(before, want)
	const tx = "interop-frr"
	if err := a.Prepare(ctx, tx, changes); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if err := a.Commit(ctx, tx, time.Minute); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := a.Confirm(ctx, tx); err != nil {
		t.Fatal(err)
	}
	got, err := a.Query(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Fatalf("read back (-want +got):\n%s", cmp.Diff(want.String(), got.String()))
	}
	rt := interop.Vtysh(t, "show ip route static")
	if !strings.Contains(rt, "198.51.100.0/24") {
		t.Errorf("vtysh does not show the static route:\n%s", rt)
	}
	// A command FRR refuses: a next hop that is one of the device's own addresses.
	bad := want.Clone()
	if err := bad.Set(yang.InterfacePath("eth1").Leaf("config", "mtu"), uint64(1)); err != nil {
		t.Fatal(err)
	}
	err = a.Configure(ctx, yang.Diff(want, bad))
	var de *adapters.DeviceError
	if err == nil || !errorsAs(err, &de) || de.Tag != "%" || !adapters.Retryable(err) {
		t.Fatalf("refused command: err = %v (%+v), want a retryable rejection with the device's %% line", err, de)
	}
	if got, _ := a.Query(ctx, nil); !got.Equal(want) {
		t.Fatalf("a refused change left something behind (-want +got):\n%s", cmp.Diff(want.String(), got.String()))
	}
	// Interface state from FRR's own show interface output (FRR 8.4 on
	// Linux prints no counters there; the lab's rendering does).
	mctx, mcancel := context.WithTimeout(ctx, 10*time.Second)
	state := map[string]any{}
	err = a.Monitor(mctx, adapters.Subscription{Paths: []string{"/interfaces/interface[name=eth1]/state"}, Interval: 100 * time.Millisecond},
		func(u adapters.Update) error {
			if u.Sync {
				mcancel()
			} else {
				state[u.Path] = u.Value
			}
			return nil
		})
	mcancel()
	if err != nil {
		t.Fatal(err)
	}
	for _, leaf := range []string{"oper-status", "admin-status"} {
		if v := state["/interfaces/interface[name=eth1]/state/"+leaf]; v != "UP" {
			t.Errorf("FRR show interface: %s = %v, want UP (%v)", leaf, v, state)
		}
	}
	if err := a.Rollback(ctx, tx); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if got, err = a.Query(ctx, nil); err != nil || !got.Equal(before) {
		t.Fatalf("after rollback (err %v) (-want +got):\n%s", err, cmp.Diff(before.String(), got.String()))
	}
}

func errorsAs(err error, target **adapters.DeviceError) bool { return errors.As(err, target) }
