package fleet_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/yang"
)

// onlyProtocol writes a copy of the lab's inventory in which device keeps
// only protocol, and returns its path.
func onlyProtocol(t *testing.T, l *lab.Lab, device, protocol string) string {
	t.Helper()
	b, err := os.ReadFile(l.InventoryPath())
	if err != nil {
		t.Fatal(err)
	}
	var inv map[string]any
	if err := yaml.Unmarshal(b, &inv); err != nil {
		t.Fatal(err)
	}
	for _, d := range inv["devices"].([]any) {
		dm := d.(map[string]any)
		if dm["name"] != device {
			continue
		}
		var keep []any
		for _, p := range dm["protocols"].([]any) {
			if p.(map[string]any)["name"] == protocol {
				keep = append(keep, p)
			}
		}
		if len(keep) == 0 {
			t.Fatalf("%s has no %s in the lab inventory", device, protocol)
		}
		dm["protocols"] = keep
	}
	out, err := yaml.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(l.Dir(), "inventory-"+device+"-"+protocol+".yml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWithdrawSharedParentsOnTheLab applies two intents that share a parent
// (two routes, two addresses on one interface, two BGP neighbours) on every
// protocol of the lab (r1 over gNMI only and over NETCONF only, r2 over its
// FRR CLI) and withdraws them in either order. After the first withdraw the
// device holds what the other intent alone would have made of it; after the
// second, exactly what it held before, including configuration that was
// there before netagent.
func TestWithdrawSharedParentsOnTheLab(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the lab")
	}
	tp, err := topo.Parse(topologies.TwoNode)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(context.Background(), tp, lab.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("lab close: %v", err)
		}
	})
	type target struct {
		device, protocol, iface, peer string
	}
	targets := []target{
		{"r1", adapters.GNMI, "e1-1", "10.0.0.1"},
		{"r1", adapters.NETCONF, "e1-1", "10.0.0.1"},
		{"r2", adapters.CLI, "eth1", "10.0.0.0"},
	}
	n := 0
	for _, tg := range targets {
		t.Run(tg.device+"-"+tg.protocol, func(t *testing.T) {
			svc, _ := startService(t, onlyProtocol(t, l, tg.device, tg.protocol), adapters.TargetOptions{}, nil)
			st, err := l.Store(tg.device)
			if err != nil {
				t.Fatal(err)
			}
			route := func(pfx string) string {
				return fmt.Sprintf(`{"prefix":%q,"next_hops":[{"next_hop":%q}]}`, pfx, tg.peer)
			}
			cases := []struct {
				name string
				kind intent.Kind
				a, b string
				pre  func(*yang.Tree) error
			}{
				{name: "routes", kind: intent.KindStaticRoute, a: route("10.20.0.0/16"), b: route("10.30.0.0/16")},
				{name: "routes-pre-existing", kind: intent.KindStaticRoute, a: route("10.20.0.0/16"), b: route("10.30.0.0/16"),
					pre: func(t *yang.Tree) error {
						return t.Set(yang.NextHopPath("10.99.0.0/16", "0").Leaf("config", "next-hop"), tg.peer)
					}},
				{name: "addresses", kind: intent.KindInterface,
					a: fmt.Sprintf(`{"name":%q,"ipv4":["10.50.0.1/24"]}`, tg.iface), b: fmt.Sprintf(`{"name":%q,"ipv4":["10.51.0.1/24"]}`, tg.iface)},
				// A loopback that does not exist yet: both create it, the
				// last withdraw deletes it.
				{name: "new-loopback", kind: intent.KindInterface,
					a: `{"name":"lo98","type":"softwareLoopback","ipv4":["10.98.0.1/32"]}`, b: `{"name":"lo98","type":"softwareLoopback","ipv4":["10.98.0.2/32"]}`},
				{name: "neighbours", kind: intent.KindBGPNeighbor,
					a: `{"address":"10.9.0.1","peer_as":65100,"local_as":65001}`, b: `{"address":"10.9.0.2","peer_as":65200,"local_as":65001}`},
				{name: "neighbours-pre-existing", kind: intent.KindBGPNeighbor,
					a: `{"address":"10.9.0.1","peer_as":65100}`, b: `{"address":"10.9.0.2","peer_as":65200}`,
					pre: func(t *yang.Tree) error {
						if err := t.Set(yang.BGPPath().Leaf("global", "config", "as"), uint64(65001)); err != nil {
							return err
						}
						return t.Set(yang.NeighborPath("10.9.0.9").Leaf("config", "peer-as"), uint64(65300))
					}},
			}
			for _, tc := range cases {
				for _, order := range []string{"ab", "ba"} {
					t.Run(tc.name+"/"+order, func(t *testing.T) {
						ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
						defer cancel()
						original, err := l.Running(tg.device)
						if err != nil {
							t.Fatal(err)
						}
						if tc.pre != nil {
							if err := st.Edit(datastore.Running, 0, "test", tc.pre); err != nil {
								t.Fatal(err)
							}
							t.Cleanup(func() {
								_ = st.Edit(datastore.Running, 0, "test", func(t *yang.Tree) error {
									*t = *original.Clone()
									return nil
								})
							})
						}
						base, _ := l.Running(tg.device)
						running := func() *yang.Tree {
							tr, err := l.Running(tg.device)
							if err != nil {
								t.Fatal(err)
							}
							return tr
						}
						submit := func(id, spec string) {
							body := fmt.Sprintf(`{"id":%q,"kind":%q,"targets":{"devices":[%q]},"spec":%s}`, id, tc.kind, tg.device, spec)
							if _, err := svc.Submit(ctx, []byte(body), intent.Source{Channel: "test"}); err != nil {
								t.Fatal(err)
							}
							if rec, err := svc.Wait(ctx, id, intent.StateApplied, intent.StateFailed, intent.StateRolledBack); err != nil || rec.State != intent.StateApplied {
								t.Fatalf("%s: %v %s %s", id, err, rec.State, rec.Error)
							}
						}
						withdraw := func(id string, want *yang.Tree, what string) {
							if _, err := svc.Withdraw(ctx, id, "test"); err != nil {
								t.Fatal(err)
							}
							if rec, err := svc.Wait(ctx, id, intent.StateWithdrawn, intent.StateFailed); err != nil || rec.State != intent.StateWithdrawn {
								t.Fatalf("withdraw %s: %v %s %s", id, err, rec.State, rec.Error)
							}
							if got := running(); !got.Equal(want) {
								t.Errorf("after withdrawing %s, want %s (-want +got):\n%s", id, what, yang.Render(yang.Diff(want, got)))
							}
						}
						n++
						id := func(s string) string { return fmt.Sprintf("%s-%d", s, n) }
						// What b alone makes of the device.
						submit(id("solo"), tc.b)
						onlyB := running()
						withdraw(id("solo"), base, "the configuration before")

						submit(id("a"), tc.a)
						onlyA := running()
						submit(id("b"), tc.b)
						if order == "ab" {
							withdraw(id("a"), onlyB, "b's configuration")
							withdraw(id("b"), base, "the configuration before")
						} else {
							withdraw(id("b"), onlyA, "a's configuration")
							withdraw(id("a"), base, "the configuration before")
						}
						if tc.pre != nil {
							for _, l := range base.Leaves() {
								if strings.Contains(l.Path.String(), "10.99.0.0") || strings.Contains(l.Path.String(), "10.9.0.9") {
									if v, ok := running().Get(l.Path); !ok || v != l.Value {
										t.Errorf("configuration from before netagent lost: %s", l.Path)
									}
								}
							}
						}
					})
				}
			}
		})
	}
}
