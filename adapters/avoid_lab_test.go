package adapters_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/yang"
)

// TestAvoidSwitchesProtocol: the device's NETCONF refuses every commit
// (an answer, so failover does not move); asked to avoid NETCONF for this
// device, the same Configure lands through gNMI, and another device's
// avoidance changes nothing.
func TestAvoidSwitchesProtocol(t *testing.T) {
	l, inv := conformance.StartLab(t)
	ts, err := inv.Targets("nc", adapters.TargetOptions{Timeouts: adapters.Timeouts{RPC: 5 * time.Second, Commit: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	var only []adapters.Target // netconf, then gnmi
	for _, tg := range ts {
		if tg.Protocol.Name == adapters.NETCONF || tg.Protocol.Name == adapters.GNMI {
			only = append(only, tg)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := adapters.OpenDevice(ctx, registry(t), only, adapters.FailoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Active() != adapters.NETCONF {
		t.Fatalf("active = %s, want netconf", d.Active())
	}
	if err := l.InjectFault("nc", fault.Fault{Kind: fault.RejectCommit, Protocol: fault.NETCONF, ErrorTag: "operation-not-supported",
		Message: "candidate commit is not supported", Count: 1000}); err != nil {
		t.Fatal(err)
	}
	store, err := l.Store("nc")
	if err != nil {
		t.Fatal(err)
	}
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	change := []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: uint64(1500), New: uint64(9000)}}

	other := adapters.WithAvoid(ctx, "some-other-device", adapters.NETCONF)
	if err := d.Configure(other, change); !errors.Is(err, adapters.ErrUnsupported) {
		t.Fatalf("Configure avoiding another device's NETCONF: %v, want NETCONF's rejection", err)
	}
	if got := adapters.Avoided(adapters.WithAvoid(other, "nc", adapters.NETCONF), "nc"); len(got) != 1 || got[0] != adapters.NETCONF {
		t.Fatalf("Avoided = %v", got)
	}
	_, seq := store.Changed()
	if err := d.Configure(adapters.WithAvoid(ctx, "nc", adapters.NETCONF), change); err != nil {
		t.Fatalf("Configure avoiding NETCONF: %v", err)
	}
	if _, after := store.Changed(); after != seq+1 {
		t.Errorf("running changed %d times, want once", after-seq)
	}
	if ev := store.LastEvent(); ev.Source != adapters.GNMI {
		t.Errorf("the change landed through %q, want gnmi", ev.Source)
	}
}
