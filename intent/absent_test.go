package intent_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/yang"
)

// TestDecodeRemovalForm: "ensure": "absent" is the removal form of static
// routes, BGP neighbours and interface addresses; what it does not need is
// refused with a reason that says so.
func TestDecodeRemovalForm(t *testing.T) {
	good := []struct {
		in   string
		want any
	}{
		{`{"kind":"static-route","targets":{"devices":["a"]},"spec":{"prefix":"10.20.0.0/16","ensure":"absent"}}`,
			&intent.StaticRouteSpec{Prefix: "10.20.0.0/16", Ensure: intent.EnsureAbsent}},
		{`{"kind":"bgp-neighbor","targets":{"devices":["a"]},"spec":{"address":"10.0.0.2","ensure":"absent"}}`,
			&intent.BGPNeighborSpec{Address: "10.0.0.2", Ensure: intent.EnsureAbsent}},
		{`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"e1-1","ipv4":["10.0.0.1/31"],"ensure":"absent"}}`,
			&intent.InterfaceSpec{Name: "e1-1", IPv4: []string{"10.0.0.1/31"}, Ensure: intent.EnsureAbsent}},
		// present is the default and is not kept, so both spellings are one intent.
		{`{"kind":"static-route","targets":{"devices":["a"]},"spec":{"prefix":"10.20.0.0/16","next_hops":[{"next_hop":"DROP"}],"ensure":"present"}}`,
			&intent.StaticRouteSpec{Prefix: "10.20.0.0/16", NextHops: []intent.NextHop{{NextHop: "DROP"}}}},
	}
	for _, tt := range good {
		in, err := intent.Decode([]byte(tt.in))
		if err != nil {
			t.Errorf("Decode(%s): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, in.Spec); diff != "" {
			t.Errorf("Decode(%s) spec (-want +got):\n%s", tt.in, diff)
		}
		// The canonical form decodes again to the same intent.
		again, err := intent.Decode(in.Canonical())
		if err != nil || !cmp.Equal(in, again) {
			t.Errorf("canonical %s does not decode to itself: %v", in.Canonical(), err)
		}
	}
	bad := []struct {
		in      string
		pointer string
		reason  string
	}{
		{`{"kind":"static-route","targets":{"devices":["a"]},"spec":{"prefix":"10.20.0.0/16","ensure":"absent","next_hops":[{"next_hop":"DROP"}]}}`,
			"/spec/next_hops", "not allowed when ensure is absent"},
		{`{"kind":"static-route","targets":{"devices":["a"]},"spec":{"prefix":"10.20.0.0/16"}}`,
			"/spec/next_hops", "is required"},
		{`{"kind":"bgp-neighbor","targets":{"devices":["a"]},"spec":{"address":"10.0.0.2"}}`,
			"/spec/peer_as", "is required"},
		{`{"kind":"bgp-neighbor","targets":{"devices":["a"]},"spec":{"address":"10.0.0.2","ensure":"absent","local_as":65001}}`,
			"/spec/local_as", "not allowed when ensure is absent"},
		{`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"e1-1","ensure":"absent"}}`,
			"/spec/ipv4", "is required"},
		{`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"e1-1","ipv4":["10.0.0.1/31"],"mtu":9000,"ensure":"absent"}}`,
			"/spec/mtu", "not allowed when ensure is absent"},
		{`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"e1-1","ipv4":["10.0.0.1/31"],"ensure":"gone"}}`,
			"/spec/ensure", "not one of"},
	}
	for _, tt := range bad {
		_, err := intent.Decode([]byte(tt.in))
		var ie *intent.InvalidError
		if !errors.As(err, &ie) {
			t.Errorf("Decode(%s) = %v, want an InvalidError", tt.in, err)
			continue
		}
		found := false
		for _, p := range ie.Problems {
			found = found || (p.Pointer == tt.pointer && strings.Contains(p.Reason, tt.reason))
		}
		if !found || len(ie.Problems) != 1 {
			t.Errorf("Decode(%s) problems %+v, want just %s %q", tt.in, ie.Problems, tt.pointer, tt.reason)
		}
	}
}

// TestCompileRemovalForm: an absent intent plans the deletion, says in the
// plan that it removes configuration netagent did not create, and plans
// nothing when the configuration is already gone.
func TestCompileRemovalForm(t *testing.T) {
	net := intenttest.Lab()
	dev, _ := net.Device(context.Background(), "leaf1")
	route := yang.NextHopPath("10.99.0.0/16", "0").Leaf("config", "next-hop")
	nbr := yang.NeighborPath("10.9.0.9").Leaf("config", "peer-as")
	if err := dev.Configure(context.Background(), []yang.Change{
		{Op: yang.OpCreate, Path: route, New: "10.0.0.0"},
		{Op: yang.OpCreate, Path: nbr, New: uint64(65300)},
		{Op: yang.OpCreate, Path: yang.AddressPath("eth2", 0, "10.3.0.1").Leaf("config", "prefix-length"), New: uint64(24)},
	}); err != nil {
		t.Fatal(err)
	}
	c := &intent.Compiler{Inventory: net, Devices: net}
	tests := []struct {
		name, spec string
		kind       intent.Kind
		want       []string // rendered changes
	}{
		{"route", `{"prefix":"10.99.0.0/16","ensure":"absent"}`, intent.KindStaticRoute,
			[]string{"- /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=10.99.0.0/16]"}},
		{"route already gone", `{"prefix":"10.98.0.0/16","ensure":"absent"}`, intent.KindStaticRoute, nil},
		{"neighbour", `{"address":"10.9.0.9","ensure":"absent"}`, intent.KindBGPNeighbor,
			[]string{"- /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=10.9.0.9]"}},
		{"address", `{"name":"eth2","ipv4":["10.3.0.1/24"],"ensure":"absent"}`, intent.KindInterface,
			[]string{"- /interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.3.0.1]"}},
		{"address already gone", `{"name":"eth2","ipv4":["10.4.0.1/24"],"ensure":"absent"}`, intent.KindInterface, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := intent.Decode([]byte(`{"kind":"` + string(tt.kind) + `","targets":{"devices":["leaf1"]},"spec":` + tt.spec + `}`))
			if err != nil {
				t.Fatal(err)
			}
			plan, err := c.Compile(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ch := range plan.Devices[0].Changes {
				got = append(got, ch.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if len(tt.want) > 0 && !strings.Contains(plan.Diff(), "netagent did not create") {
				t.Errorf("plan does not say it removes configuration netagent did not create:\n%s", plan.Diff())
			}
		})
	}
	// A neighbour to remove whose peer AS is not the one given is refused.
	in, _ := intent.Decode([]byte(`{"kind":"bgp-neighbor","targets":{"devices":["leaf1"]},"spec":{"address":"10.9.0.9","peer_as":65001,"ensure":"absent"}}`))
	if _, err := c.Compile(context.Background(), in); !errors.Is(err, intent.ErrInvalid) || !strings.Contains(err.Error(), "65300") {
		t.Errorf("absent neighbour with another peer AS: %v, want a refusal naming 65300", err)
	}
}

// TestDecodeRefusesZeroDurations: SLO windows, soak and confirm timeouts
// must be longer than zero; zero or negative is refused naming the member.
func TestDecodeRefusesZeroDurations(t *testing.T) {
	tests := []struct{ in, pointer string }{
		{`{"kind":"slo","targets":{"devices":["a"]},"spec":{"metric":"link.loss.pct","comparison":"<","target":1,"window":"0s"}}`, "/spec/window"},
		{`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"eth1","mtu":9000},"options":{"soak":"0ms"}}`, "/options/soak"},
		{`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"eth1","mtu":9000},"options":{"confirm_timeout":"0h0m0s"}}`, "/options/confirm_timeout"},
		{`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"eth1","mtu":9000},"options":{"confirm_timeout":"-5s"}}`, "/options/confirm_timeout"},
		{`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"eth1","mtu":9000},"assure":[{"metric":"if.in.bps","comparison":">","target":0,"window":"0.0s"}]}`, "/assure/0/window"},
	}
	for _, tt := range tests {
		_, err := intent.Decode([]byte(tt.in))
		var ie *intent.InvalidError
		if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Pointer != tt.pointer {
			t.Errorf("Decode(%s) = %v, want one problem at %s", tt.in, err, tt.pointer)
		}
	}
	if _, err := intent.Decode([]byte(`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"eth1","mtu":9000},"options":{"soak":"1ms","confirm_timeout":"30s"}}`)); err != nil {
		t.Errorf("positive durations refused: %v", err)
	}
}
