//go:build interop

package netconf_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/internal/interop"
	"github.com/netagent/netagent/yang"
)

// TestInteropNetconfd runs the adapter against yuma123's netconfd, which
// speaks only the IETF models: interfaces and their IPv4 addresses are
// configured, read back, and checked through an independent client
// (ncclient), then rolled back.
func TestInteropNetconfd(t *testing.T) {
	srv := interop.Netconfd(t)
	tg := conformance.ServerTarget("netconfd", srv, adapters.ProtocolSpec{Name: adapters.NETCONF})
	tg.Timeouts = adapters.Timeouts{RPC: 20 * time.Second, Commit: 20 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, err := netconf.Open(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if c := a.Capabilities(); !c.Candidate {
		t.Errorf("capabilities = %+v, want a candidate", c)
	}
	before, err := a.Query(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := before.Clone()
	p := yang.InterfacePath("eth9")
	for _, s := range []struct {
		p yang.Path
		v any
	}{
		{p.Leaf("config", "name"), "eth9"},
		{p.Leaf("config", "type"), "ethernetCsmacd"},
		{p.Leaf("config", "description"), "netagent interop"},
		{p.Leaf("config", "enabled"), true},
		{yang.AddressPath("eth9", 0, "192.0.2.9").Leaf("config", "prefix-length"), uint64(24)},
	} {
		if err := want.Set(s.p, s.v); err != nil {
			t.Fatal(err)
		}
	}
	changes := yang.Diff(before, want)
	tx := "interop-1"
	if err := a.Prepare(ctx, tx, changes); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if err := a.Commit(ctx, tx, 60*time.Second); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := a.Confirm(ctx, tx); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	got, err := a.Query(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Fatalf("read back (-want +got):\n%s", cmp.Diff(want.String(), got.String()))
	}
	// An independent client sees it too.
	out := interop.Python(ctx, t, `
import sys
from ncclient import manager
with manager.connect(host=sys.argv[1], port=int(sys.argv[2]), username=sys.argv[3], password=sys.argv[4],
                     hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=30) as m:
    print(m.get_config(source="running").data_xml)
`, srv.Host, strconv.Itoa(srv.Port), srv.User, srv.Password)
	if !strings.Contains(out, "eth9") || !strings.Contains(out, "192.0.2.9") {
		t.Fatalf("ncclient does not see the change:\n%s", out)
	}
	if err := a.Rollback(ctx, tx); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if got, err = a.Query(ctx, nil); err != nil || !got.Equal(before) {
		t.Fatalf("after rollback (err %v) (-want +got):\n%s", err, cmp.Diff(before.String(), got.String()))
	}
}
