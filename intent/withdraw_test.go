package intent_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/yang"
)

// sharedParentCase is two intents whose configuration shares a parent node
// on one device (the static protocol, a subinterface, the BGP instance),
// with configuration under that parent that predates netagent or not.
type sharedParentCase struct {
	name string
	a, b string // spec members of the two intents
	kind intent.Kind
	// pre configures the device before any intent (nil: nothing more).
	pre func(t *yang.Tree) error
}

func sharedParentCases() []sharedParentCase {
	route := func(pfx string) string {
		return fmt.Sprintf(`{"prefix":%q,"next_hops":[{"next_hop":"10.0.0.0"}]}`, pfx)
	}
	return []sharedParentCase{
		{name: "routes", kind: intent.KindStaticRoute, a: route("10.20.0.0/16"), b: route("10.30.0.0/16")},
		{name: "routes/pre-existing", kind: intent.KindStaticRoute, a: route("10.20.0.0/16"), b: route("10.30.0.0/16"),
			pre: func(t *yang.Tree) error {
				return t.Set(yang.NextHopPath("10.99.0.0/16", "0").Leaf("config", "next-hop"), "10.0.0.0")
			}},
		{name: "addresses", kind: intent.KindInterface, a: `{"name":"eth2","ipv4":["10.1.0.1/24"]}`, b: `{"name":"eth2","ipv4":["10.2.0.1/24"]}`},
		{name: "addresses/pre-existing", kind: intent.KindInterface, a: `{"name":"eth2","ipv4":["10.1.0.1/24"]}`, b: `{"name":"eth2","ipv4":["10.2.0.1/24"]}`,
			pre: func(t *yang.Tree) error {
				return t.Set(yang.AddressPath("eth2", 0, "10.3.0.1").Leaf("config", "prefix-length"), uint64(24))
			}},
		{name: "neighbours", kind: intent.KindBGPNeighbor,
			a: `{"address":"10.9.0.1","peer_as":65100,"local_as":65001}`, b: `{"address":"10.9.0.2","peer_as":65200,"local_as":65001}`,
			pre: func(t *yang.Tree) error {
				t.Delete(yang.ProtocolPath(yang.BGPProtocol, yang.BGPProtocol))
				return nil
			}},
		{name: "neighbours/pre-existing", kind: intent.KindBGPNeighbor,
			a: `{"address":"10.9.0.1","peer_as":65100}`, b: `{"address":"10.9.0.2","peer_as":65200}`,
			pre: func(t *yang.Tree) error {
				return t.Set(yang.NeighborPath("10.9.0.9").Leaf("config", "peer-as"), uint64(65300))
			}},
		{name: "mtu", kind: intent.KindInterface, a: `{"name":"eth2","mtu":9000}`, b: `{"name":"eth2","mtu":9100}`},
	}
}

// TestWithdrawKeepsSharedParents submits two intents sharing a parent and
// withdraws them in either order: after the first withdraw the device holds
// exactly the other intent's configuration on top of what was there before,
// and after the second exactly what was there before.
func TestWithdrawKeepsSharedParents(t *testing.T) {
	for _, tc := range sharedParentCases() {
		for _, order := range []string{"ab", "ba"} {
			t.Run(tc.name+"/"+order, func(t *testing.T) {
				base := intenttest.Lab().Config("leaf1")
				if tc.pre != nil {
					if err := tc.pre(base); err != nil {
						t.Fatal(err)
					}
				}
				ctx := context.Background()
				// start returns a network whose leaf1 holds base and a
				// service over it; submit applies an intent there.
				start := func() (*intenttest.Network, *harness) {
					net := intenttest.Lab()
					net.Add("leaf1", map[string]string{"role": "leaf", "pod": "1"}, base)
					return net, newHarness(t, net, "")
				}
				submit := func(h *harness, id, spec string) {
					body := fmt.Sprintf(`{"id":%q,"kind":%q,"targets":{"devices":["leaf1"]},"spec":%s}`, id, tc.kind, spec)
					if _, err := h.svc.Submit(ctx, []byte(body), intent.Source{Channel: "test"}); err != nil {
						t.Fatal(err)
					}
					if rec := h.wait(id, intent.StateApplied, intent.StateFailed, intent.StateRolledBack); rec.State != intent.StateApplied {
						t.Fatalf("%s: %s %s", id, rec.State, rec.Error)
					}
				}
				// What the device holds with only b applied.
				netB, hB := start()
				submit(hB, "b", tc.b)
				onlyB := netB.Config("leaf1")

				net, h := start()
				submit(h, "a", tc.a)
				onlyA := net.Config("leaf1")
				submit(h, "b", tc.b)
				both := net.Config("leaf1")
				if tc.name == "mtu" {
					// b changed what a set: a's withdraw keeps b's value.
					onlyB = both.Clone()
				}
				first, second, afterFirst := "a", "b", onlyB
				if order == "ba" {
					first, second, afterFirst = "b", "a", onlyA
				}
				withdraw := func(id string) *intent.Record {
					if _, err := h.svc.Withdraw(ctx, id, "test"); err != nil {
						t.Fatal(err)
					}
					rec := h.wait(id, intent.StateWithdrawn, intent.StateFailed)
					if rec.State != intent.StateWithdrawn {
						t.Fatalf("withdraw %s: %s %s", id, rec.State, rec.Error)
					}
					return rec
				}
				rec := withdraw(first)
				if got := net.Config("leaf1"); !got.Equal(afterFirst) {
					t.Errorf("after withdrawing %s (-want +got):\n%s", first, yang.Render(yang.Diff(afterFirst, got)))
				}
				if tc.name == "mtu" && order == "ab" {
					if why := rec.History[len(rec.History)-1].Reason; !strings.Contains(why, "intent b") {
						t.Errorf("withdraw reason %q does not say that intent b holds the mtu", why)
					}
				}
				withdraw(second)
				if got := net.Config("leaf1"); !got.Equal(base) {
					t.Errorf("after withdrawing both (-want +got):\n%s", yang.Render(yang.Diff(base, got)))
				}
			})
		}
	}
}
