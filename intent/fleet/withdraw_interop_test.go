//go:build interop

package fleet_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/interop"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/yang"
)

// realDevices is one real server (yuma123 netconfd or FRR through OpenSSH)
// seen by the intent service.
type realDevices struct {
	name string
	dev  *adapters.Failover
}

func (r realDevices) Devices() []intent.DeviceInfo { return []intent.DeviceInfo{{Name: r.name}} }

func (r realDevices) Device(_ context.Context, name string) (intent.Device, error) {
	if name != r.name {
		return nil, fmt.Errorf("no device %s", name)
	}
	return r.dev, nil
}

// TestInteropWithdraw applies two intents that share a parent on real
// servers, FRR's vtysh over OpenSSH (two static routes, two addresses on
// eth1) and yuma123 netconfd (two addresses on one interface), and
// withdraws them in either order: configuration from before netagent and
// the other intent's survive each withdraw; after both, the device holds
// exactly what it held before.
func TestInteropWithdraw(t *testing.T) {
	servers := []struct {
		name  string
		start func(testing.TB) interop.Server
		proto adapters.ProtocolSpec
		iface string
		pre   func(*yang.Tree) error
		cases [][2]string // kind, then the two specs joined by |
	}{
		{name: "frr", start: interop.FRR, proto: adapters.ProtocolSpec{Name: adapters.CLI, Platform: "frr"}, iface: "eth1",
			// An address from before netagent; no static route yet, so the
			// first route intent creates the routes' shared parent.
			pre: func(t *yang.Tree) error {
				return t.Set(yang.AddressPath("eth1", 0, "192.0.2.1").Leaf("config", "prefix-length"), uint64(24))
			},
			cases: [][2]string{
				{"static-route", `{"prefix":"10.20.0.0/16","next_hops":[{"next_hop":"192.0.2.254"}]}|{"prefix":"10.30.0.0/16","next_hops":[{"next_hop":"192.0.2.254"}]}`},
				{"interface", `{"name":"eth1","ipv4":["10.50.0.1/24"]}|{"name":"eth1","ipv4":["10.51.0.1/24"]}`},
			}},
		{name: "netconfd", start: interop.Netconfd, proto: adapters.ProtocolSpec{Name: adapters.NETCONF}, iface: "eth9",
			pre: func(t *yang.Tree) error {
				if err := t.Set(yang.InterfacePath("eth9").Leaf("config", "type"), "ethernetCsmacd"); err != nil {
					return err
				}
				return t.Set(yang.AddressPath("eth9", 0, "192.0.2.9").Leaf("config", "prefix-length"), uint64(24))
			},
			cases: [][2]string{
				{"interface", `{"name":"eth9","ipv4":["10.50.0.1/24"]}|{"name":"eth9","ipv4":["10.51.0.1/24"]}`},
				// An interface the first intent creates and the second shares.
				{"interface", `{"name":"eth8","type":"ethernetCsmacd","ipv4":["10.60.0.1/24"]}|{"name":"eth8","type":"ethernetCsmacd","ipv4":["10.61.0.1/24"]}`},
			}},
	}
	for _, sv := range servers {
		t.Run(sv.name, func(t *testing.T) {
			srv := sv.start(t)
			p := sv.proto
			p.Port = srv.Port
			tg := adapters.Target{Device: sv.name, Address: srv.Host, Protocol: p,
				Credentials: adapters.Credentials{Username: srv.User, Password: adapters.Secret(srv.Password)},
				HostKeys:    adapters.NewHostKeys(srv.KnownHosts, false, nil)}
			tg.Timeouts = adapters.Timeouts{RPC: 20 * time.Second, Commit: 20 * time.Second}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			reg := adapters.NewRegistry()
			for n, o := range map[string]adapters.Opener{adapters.NETCONF: netconf.Opener, adapters.CLI: cli.Opener} {
				if err := reg.Register(n, o); err != nil {
					t.Fatal(err)
				}
			}
			dev, err := adapters.OpenDevice(ctx, reg, []adapters.Target{tg}, adapters.FailoverOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer dev.Close()
			running := func() *yang.Tree {
				tr, err := dev.Query(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				return tr
			}
			// Configuration that predates netagent.
			cur := running()
			pre := cur.Clone()
			if err := sv.pre(pre); err != nil {
				t.Fatal(err)
			}
			if err := dev.Configure(ctx, yang.Diff(cur, pre)); err != nil {
				t.Fatal(err)
			}
			base := running()

			db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			devs := realDevices{name: sv.name, dev: dev}
			svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: devs, Devices: devs})
			if err != nil {
				t.Fatal(err)
			}
			rctx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); _ = svc.Run(rctx) }()
			defer func() { stop(); <-done }()

			n := 0
			for _, c := range sv.cases {
				specs := strings.SplitN(c[1], "|", 2)
				for _, order := range []string{"ab", "ba"} {
					n++
					id := func(s string) string { return fmt.Sprintf("%s-%s-%d", sv.name, s, n) }
					submit := func(id, spec string) {
						body := fmt.Sprintf(`{"id":%q,"kind":%q,"targets":{"devices":[%q]},"spec":%s}`, id, c[0], sv.name, spec)
						if _, err := svc.Submit(ctx, []byte(body), intent.Source{Channel: "interop"}); err != nil {
							t.Fatal(err)
						}
						if rec, err := svc.Wait(ctx, id, intent.StateApplied, intent.StateFailed, intent.StateRolledBack); err != nil || rec.State != intent.StateApplied {
							t.Fatalf("%s: %v %s %s", id, err, rec.State, rec.Error)
						}
					}
					withdraw := func(id string, want *yang.Tree, what string) {
						if _, err := svc.Withdraw(ctx, id, "interop"); err != nil {
							t.Fatal(err)
						}
						if rec, err := svc.Wait(ctx, id, intent.StateWithdrawn, intent.StateFailed); err != nil || rec.State != intent.StateWithdrawn {
							t.Fatalf("withdraw %s: %v %s %s", id, err, rec.State, rec.Error)
						}
						if got := running(); !got.Equal(want) {
							t.Errorf("%s %s: after withdrawing %s, want %s (-want +got):\n%s", c[0], order, id, what, yang.Render(yang.Diff(want, got)))
						}
					}
					submit(id("solo"), specs[1])
					onlyB := running()
					withdraw(id("solo"), base, "the configuration before")
					submit(id("a"), specs[0])
					onlyA := running()
					submit(id("b"), specs[1])
					if order == "ab" {
						withdraw(id("a"), onlyB, "b's configuration")
						withdraw(id("b"), base, "the configuration before")
					} else {
						withdraw(id("b"), onlyA, "a's configuration")
						withdraw(id("a"), base, "the configuration before")
					}
				}
			}
		})
	}
}

// TestInteropBareInterface: on FRR, an interface that exists but carries no
// configuration (show running-config omits it) is known to the CLI
// adapter, so an intent configures it without being told its type.
func TestInteropBareInterface(t *testing.T) {
	srv := interop.FRR(t)
	tg := adapters.Target{Device: "frr", Address: srv.Host, Protocol: adapters.ProtocolSpec{Name: adapters.CLI, Platform: "frr", Port: srv.Port},
		Credentials: adapters.Credentials{Username: srv.User, Password: adapters.Secret(srv.Password)},
		HostKeys:    adapters.NewHostKeys(srv.KnownHosts, false, nil),
		Timeouts:    adapters.Timeouts{RPC: 20 * time.Second, Commit: 20 * time.Second}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reg := adapters.NewRegistry()
	if err := reg.Register(adapters.CLI, cli.Opener); err != nil {
		t.Fatal(err)
	}
	dev, err := adapters.OpenDevice(ctx, reg, []adapters.Target{tg}, adapters.FailoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	cur, err := dev.Query(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cur.Has(yang.InterfacePath("eth1")) {
		t.Fatalf("the CLI adapter does not see eth1, which FRR has without configuration:\n%s", cur)
	}
	devs := realDevices{name: "frr", dev: dev}
	c := &intent.Compiler{Inventory: devs, Devices: devs}
	in, err := intent.Decode([]byte(`{"kind":"interface","targets":{"devices":["frr"]},"spec":{"name":"eth1","description":"netagent"}}`))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := c.Compile(ctx, in)
	if err != nil || plan.Len() != 1 {
		t.Fatalf("plan a description on the bare eth1: %v %s", err, plan.Diff())
	}
}
