package intent_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/yang"
)

func mustDecode(t testing.TB, s string) *intent.Intent {
	t.Helper()
	in, err := intent.Decode([]byte(s))
	if err != nil {
		t.Fatalf("Decode(%s): %v", s, err)
	}
	return in
}

func TestCompilePlans(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string // device -> rendered diff
	}{
		{
			name: "mtu",
			in:   `{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9000}}`,
			want: map[string]string{"leaf1": "~ /interfaces/interface[name=eth2]/config/mtu: 1500 -> 9000\n"},
		},
		{
			name: "shutdown by selector",
			in:   `{"kind":"interface","targets":{"selector":{"role":"leaf"}},"spec":{"name":"eth3","enabled":false}}`,
			want: map[string]string{
				"leaf1": "~ /interfaces/interface[name=eth3]/config/enabled: true -> false\n",
				"leaf2": "~ /interfaces/interface[name=eth3]/config/enabled: true -> false\n",
			},
		},
		{
			name: "address",
			in:   `{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","ipv4":["10.1.0.1/24"]}}`,
			want: map[string]string{"leaf1": "" +
				"+ /interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]\n" +
				"+ /interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/config/index = 0\n" +
				"+ /interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.1.0.1]\n" +
				"+ /interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.1.0.1]/config/ip = 10.1.0.1\n" +
				"+ /interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.1.0.1]/config/prefix-length = 24\n"},
		},
		{
			name: "new loopback",
			in:   `{"kind":"interface","targets":{"devices":["leaf2"]},"spec":{"name":"lo1","type":"softwareLoopback","description":"svc"}}`,
			want: map[string]string{"leaf2": "" +
				"+ /interfaces/interface[name=lo1]\n" +
				"+ /interfaces/interface[name=lo1]/config/name = lo1\n" +
				"+ /interfaces/interface[name=lo1]/config/type = softwareLoopback\n" +
				"+ /interfaces/interface[name=lo1]/config/description = svc\n"},
		},
		{
			name: "static route",
			in:   `{"kind":"static-route","targets":{"devices":["spine1"]},"spec":{"prefix":"192.0.2.0/24","next_hops":[{"next_hop":"10.0.2.0"}]}}`,
			want: map[string]string{"spine1": "" +
				"+ /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]\n" +
				"+ /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/config/identifier = STATIC\n" +
				"+ /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/config/name = STATIC\n" +
				"+ /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=192.0.2.0/24]\n" +
				"+ /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=192.0.2.0/24]/config/prefix = 192.0.2.0/24\n" +
				"+ /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=192.0.2.0/24]/next-hops/next-hop[index=0]\n" +
				"+ /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=192.0.2.0/24]/next-hops/next-hop[index=0]/config/index = 0\n" +
				"+ /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=192.0.2.0/24]/next-hops/next-hop[index=0]/config/next-hop = 10.0.2.0\n"},
		},
		{
			name: "bgp neighbour",
			in:   `{"kind":"bgp-neighbor","targets":{"devices":["leaf1"]},"spec":{"address":"10.0.0.0","peer_as":65003}}`,
			want: map[string]string{"leaf1": "" +
				"+ /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=10.0.0.0]\n" +
				"+ /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=10.0.0.0]/config/neighbor-address = 10.0.0.0\n" +
				"+ /network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=10.0.0.0]/config/peer-as = 65003\n"},
		},
		{
			name: "slo configures nothing",
			in:   `{"kind":"slo","targets":{"devices":["leaf1"]},"spec":{"metric":"link.latency.ms","comparison":"<=","target":5,"window":"1m"}}`,
			want: map[string]string{"leaf1": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			net := intenttest.Lab()
			c := &intent.Compiler{Inventory: net, Devices: net}
			in := mustDecode(t, tt.in)
			plan, err := c.Compile(context.Background(), in)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got := map[string]string{}
			for _, d := range plan.Devices {
				got[d.Device] = yang.Render(d.Changes)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("plan (-want +got):\n%s", diff)
			}
			// Applying the plan and compiling again plans nothing.
			for _, d := range plan.Devices {
				dev, _ := net.Device(context.Background(), d.Device)
				if err := dev.Configure(context.Background(), d.Changes); err != nil {
					t.Fatalf("Configure %s: %v", d.Device, err)
				}
			}
			again, err := c.Compile(context.Background(), in)
			if err != nil {
				t.Fatalf("Compile again: %v", err)
			}
			if n := again.Len(); n != 0 {
				t.Errorf("re-compiling a satisfied intent planned %d changes:\n%s", n, again.Diff())
			}
			// Undo restores the original configuration.
			for _, d := range plan.Devices {
				dev, _ := net.Device(context.Background(), d.Device)
				if err := dev.Configure(context.Background(), d.Undo); err != nil {
					t.Fatalf("Configure undo %s: %v", d.Device, err)
				}
				if !net.Config(d.Device).Equal(intenttest.Lab().Config(d.Device)) {
					t.Errorf("%s after undo differs from the original:\n%s", d.Device, net.Config(d.Device))
				}
			}
		})
	}
}

func TestCompileSemanticProblems(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // pointers
	}{
		{"unknown device", `{"kind":"interface","targets":{"devices":["leaf1","leaf9"]},"spec":{"name":"eth1","mtu":9000}}`, []string{"/targets/devices/1"}},
		{"selector matches none", `{"kind":"interface","targets":{"selector":{"role":"border"}},"spec":{"name":"eth1","mtu":9000}}`, []string{"/targets/selector"}},
		{"missing interface", `{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth9","mtu":9000}}`, []string{"/spec/name"}},
		{"address conflict", `{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","ipv4":["10.0.0.1/31"]}}`, []string{"/spec/ipv4/0"}},
		{"subnet overlap", `{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","ipv4":["10.0.0.5/24"]}}`, []string{"/spec/ipv4/0"}},
		{"network address", `{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","ipv4":["10.9.0.0/24"]}}`, []string{"/spec/ipv4/0"}},
		{"host bits in route", `{"kind":"static-route","targets":{"devices":["leaf1"]},"spec":{"prefix":"192.0.2.1/24","next_hops":[{"next_hop":"10.0.0.0"}]}}`, []string{"/spec/prefix"}},
		{"next hop is own address", `{"kind":"static-route","targets":{"devices":["leaf1"]},"spec":{"prefix":"192.0.2.0/24","next_hops":[{"next_hop":"10.0.0.1"}]}}`, []string{"/spec/next_hops/0/next_hop"}},
		{"next hop without target", `{"kind":"static-route","targets":{"devices":["leaf1"]},"spec":{"prefix":"192.0.2.0/24","next_hops":[{"index":"a"}]}}`, []string{"/spec/next_hops/0"}},
		{"duplicate next hop index", `{"kind":"static-route","targets":{"devices":["leaf1"]},"spec":{"prefix":"192.0.2.0/24","next_hops":[{"index":"a","next_hop":"DROP"},{"index":"a","next_hop":"DROP"}]}}`, []string{"/spec/next_hops/1/index"}},
		{"next hop interface missing", `{"kind":"static-route","targets":{"devices":["leaf1"]},"spec":{"prefix":"192.0.2.0/24","next_hops":[{"interface":"eth7"}]}}`, []string{"/spec/next_hops/0/interface"}},
		{"neighbour is own address", `{"kind":"bgp-neighbor","targets":{"devices":["leaf1"]},"spec":{"address":"10.0.0.1","peer_as":65009}}`, []string{"/spec/address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			net := intenttest.Lab()
			c := &intent.Compiler{Inventory: net, Devices: net}
			_, err := c.Compile(context.Background(), mustDecode(t, tt.in))
			var ie *intent.InvalidError
			if !errors.As(err, &ie) || ie.Stage != intent.StageSemantic {
				t.Fatalf("Compile err = %v, want a semantic *InvalidError", err)
			}
			var got []string
			for _, p := range ie.Problems {
				got = append(got, p.Pointer)
				if p.Reason == "" {
					t.Errorf("problem at %s has no reason", p.Pointer)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pointers (-want +got):\n%s\n%v", diff, err)
			}
		})
	}
}

func TestCompileDeviceErrorNamesDevice(t *testing.T) {
	net := intenttest.Lab()
	c := &intent.Compiler{Inventory: net, Devices: failingDevices{}}
	_, err := c.Compile(context.Background(), mustDecode(t, `{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth1","mtu":9000}}`))
	if !errors.Is(err, errUnreachable) {
		t.Fatalf("err = %v, want errUnreachable", err)
	}
}

var errUnreachable = errors.New("unreachable")

type failingDevices struct{}

func (failingDevices) Device(ctx context.Context, name string) (intent.Device, error) {
	return nil, errUnreachable
}

// TestConcurrentCompiles plans intents on the same device from many
// goroutines (run with -race): shared device snapshots are only read.
func TestConcurrentCompiles(t *testing.T) {
	net := intenttest.Lab()
	c := &intent.Compiler{Inventory: net, Devices: net}
	bodies := []string{
		`{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9000}}`,
		`{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"lo7","type":"softwareLoopback"}}`,
		`{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth3","ipv4":["10.3.0.1/24"]}}`,
		`{"kind":"static-route","targets":{"selector":{"pod":"1"}},"spec":{"prefix":"192.0.2.0/24","next_hops":[{"next_hop":"DROP"}]}}`,
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				in, err := intent.Decode([]byte(bodies[(g+i)%len(bodies)]))
				if err != nil {
					errs <- err
					return
				}
				if _, err := c.Compile(context.Background(), in); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
