//go:build interop

package gnmi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/internal/interop"
	"github.com/netagent/netagent/yang"
)

const gnxiConfig = `{
  "openconfig-interfaces:interfaces": {
    "interface": [
      {"name": "eth1", "config": {"name": "eth1", "mtu": 1500, "enabled": true, "description": "start"}}
    ]
  }
}`

// TestInteropGnxi runs Capabilities, Get, Set and Subscribe against gnxi's
// gnmi_target, a gNMI server netagent did not write.
func TestInteropGnxi(t *testing.T) {
	srv := interop.GNMITarget(t, gnxiConfig)
	tg := adapters.Target{Device: "gnxi", Address: srv.Host,
		Protocol:    adapters.ProtocolSpec{Name: adapters.GNMI, Port: srv.Port},
		Credentials: adapters.Credentials{Username: srv.User, Password: adapters.Secret(srv.Password)},
		Timeouts:    adapters.Timeouts{RPC: 10 * time.Second, Commit: 10 * time.Second}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := gnmi.Open(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	desc := yang.InterfacePath("eth1").Leaf("config", "description")
	got, err := a.Query(ctx, []yang.Path{yang.InterfacePath("eth1")})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Get(mtu); v != uint64(1500) {
		t.Fatalf("Get mtu = %v, want 1500:\n%s", v, got)
	}
	changes := []yang.Change{
		{Op: yang.OpUpdate, Path: mtu, Old: uint64(1500), New: uint64(9000)},
		{Op: yang.OpUpdate, Path: desc, Old: "start", New: "netagent interop"},
	}
	if err := a.Configure(ctx, changes); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err = a.Query(ctx, []yang.Path{yang.InterfacePath("eth1")})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Get(mtu); v != uint64(9000) {
		t.Fatalf("after Set mtu = %v, want 9000", v)
	}
	if v, _ := got.Get(desc); v != "netagent interop" {
		t.Fatalf("after Set description = %v", v)
	}
	// Subscribe: the first sample carries the value, then the sync marker.
	sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
	defer scancel()
	var seen any
	synced := false
	stop := errors.New("done")
	err = a.Monitor(sctx, adapters.Subscription{Paths: []string{"/interfaces/interface[name=eth1]/config/mtu"}, Interval: time.Second},
		func(u adapters.Update) error {
			if u.Sync {
				synced = true
			}
			if u.Path == "/interfaces/interface[name=eth1]/config/mtu" {
				seen = u.Value
			}
			if synced && seen != nil {
				return stop
			}
			return nil
		})
	if !errors.Is(err, stop) {
		t.Fatalf("Monitor = %v (synced %v, value %v)", err, synced, seen)
	}
	if seen != uint64(9000) {
		t.Errorf("subscribed mtu = %#v, want 9000", seen)
	}
	// Wrong password: refused with ErrAuth.
	bad := tg
	bad.Credentials.Password = "wrong"
	if _, err := gnmi.Open(ctx, bad); !errors.Is(err, adapters.ErrAuth) {
		t.Errorf("wrong password: err = %v, want ErrAuth", err)
	}
}
