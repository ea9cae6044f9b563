package yang

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func changeLines(cs []Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()
	}
	return out
}

func TestDiffOrdering(t *testing.T) {
	withRoute := []string{
		ifaceBase,
		addr1 + "/config/prefix-length = 24",
		route1 + "/next-hops/next-hop[index=0]/config/next-hop = 10.0.0.254",
		route1 + "/next-hops/next-hop[index=0]/interface-ref/config/interface = eth1",
	}
	tests := []struct {
		name     string
		from, to []string
		want     []string
	}{
		{
			name: "dependants deleted before the interface they use",
			from: withRoute,
			to:   nil,
			want: []string{
				"- /network-instances/network-instance[name=DEFAULT]",
				"- /interfaces/interface[name=eth1]",
			},
		},
		{
			name: "route deleted before the address its next hop reaches",
			from: withRoute,
			to:   []string{ifaceBase},
			want: []string{
				"- /network-instances/network-instance[name=DEFAULT]",
				"- /interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]",
			},
		},
		{
			name: "parents created before children, interfaces before routes",
			from: nil,
			to:   []string{route1 + "/next-hops/next-hop[index=0]/config/next-hop = 10.0.0.254", addr1 + "/config/prefix-length = 24"},
			want: []string{
				"+ /interfaces/interface[name=eth1]",
				"+ /interfaces/interface[name=eth1]/config/name = eth1",
				"+ /interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]",
				"+ /interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/config/index = 0",
				"+ " + addr1,
				"+ " + addr1 + "/config/ip = 10.0.0.1",
				"+ " + addr1 + "/config/prefix-length = 24",
				"+ " + defaultNI,
				"+ " + defaultNI + "/config/name = DEFAULT",
				"+ " + staticNI,
				"+ " + staticNI + "/config/identifier = STATIC",
				"+ " + staticNI + "/config/name = STATIC",
				"+ " + route1,
				"+ " + route1 + "/config/prefix = 10.1.0.0/16",
				"+ " + route1 + "/next-hops/next-hop[index=0]",
				"+ " + route1 + "/next-hops/next-hop[index=0]/config/index = 0",
				"+ " + route1 + "/next-hops/next-hop[index=0]/config/next-hop = 10.0.0.254",
			},
		},
		{
			name: "an address moves: deleted on the old interface first",
			from: []string{addr1 + "/config/prefix-length = 24", "/interfaces/interface[name=eth2]/config/mtu = 1500"},
			to:   []string{eth1 + "/config/mtu = 1500", "/interfaces/interface[name=eth2]/config/mtu = 1500", "/interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]/config/prefix-length = 24"},
			want: []string{
				"- /interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]",
				"+ /interfaces/interface[name=eth1]/config/mtu = 1500",
				"+ /interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]",
				"+ /interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/config/index = 0",
				"+ /interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]",
				"+ /interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]/config/ip = 10.0.0.1",
				"+ /interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]/config/prefix-length = 24",
			},
		},
		{
			name: "natural order of names: eth2 before eth10",
			from: nil,
			to:   []string{"/interfaces/interface[name=eth10]/config/mtu = 9000", "/interfaces/interface[name=eth2]/config/mtu = 9000"},
			want: []string{
				"+ /interfaces/interface[name=eth2]",
				"+ /interfaces/interface[name=eth2]/config/name = eth2",
				"+ /interfaces/interface[name=eth2]/config/mtu = 9000",
				"+ /interfaces/interface[name=eth10]",
				"+ /interfaces/interface[name=eth10]/config/name = eth10",
				"+ /interfaces/interface[name=eth10]/config/mtu = 9000",
			},
		},
		{
			name: "leaf deletions in reverse order, updates in order",
			from: []string{eth1 + "/config/mtu = 1500", eth1 + "/config/description = a", eth1 + "/config/enabled = true"},
			to:   []string{eth1 + "/config/mtu = 9000"},
			want: []string{
				"- /interfaces/interface[name=eth1]/config/enabled (was true)",
				"- /interfaces/interface[name=eth1]/config/description (was a)",
				"~ /interfaces/interface[name=eth1]/config/mtu: 1500 -> 9000",
			},
		},
		{name: "equal trees: nothing", from: withRoute, to: withRoute, want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := changeLines(Diff(tree(t, tc.from...), tree(t, tc.to...)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []string // every error, in order
	}{
		{name: "valid", lines: []string{ifaceMTU, addr1 + "/config/prefix-length = 24", route1 + "/next-hops/next-hop[index=0]/config/next-hop = 10.0.0.254"}},
		{name: "mtu above maximum", lines: []string{eth1 + "/config/mtu = 99999"},
			want: []string{"/interfaces/interface[name=eth1]/config/mtu: 99999 is above the maximum 65535"}},
		{name: "mtu below minimum", lines: []string{eth1 + "/config/mtu = 10"},
			want: []string{"/interfaces/interface[name=eth1]/config/mtu: 10 is below the minimum 68"}},
		{name: "every error at once", lines: []string{eth1 + "/config/mtu = 99999", addr1 + "/config/prefix-length = 40"},
			want: []string{
				"/interfaces/interface[name=eth1]/config/mtu: 99999 is above the maximum 65535",
				addr1 + "/config/prefix-length: 40 is above the maximum 32",
			}},
		{name: "address on two interfaces", lines: []string{addr1 + "/config/prefix-length = 24",
			"/interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]/config/prefix-length = 24"},
			want: []string{"/interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]: address 10.0.0.1 is already configured on eth1"}},
		{name: "overlapping subnets", lines: []string{addr1 + "/config/prefix-length = 24",
			"/interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.9]/config/prefix-length = 25"},
			want: []string{"/interfaces/interface[name=eth2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.9]: subnet 10.0.0.0/25 overlaps 10.0.0.0/24 on eth1"}},
		{name: "network address", lines: []string{"/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.0]/config/prefix-length = 24"},
			want: []string{"/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.0]: 10.0.0.0 is the network address of 10.0.0.0/24"}},
		{name: "address without prefix length", lines: []string{addr1 + "/config/ip = 10.0.0.1"},
			want: []string{addr1 + "/config/prefix-length: is required for address 10.0.0.1"}},
		{name: "next hop inside its own prefix", lines: []string{route1 + "/next-hops/next-hop[index=0]/config/next-hop = 10.1.2.3"},
			want: []string{route1 + "/next-hops/next-hop[index=0]/config/next-hop: next hop 10.1.2.3 lies inside the route's own prefix 10.1.0.0/16"}},
		{name: "next hop is own address", lines: []string{addr1 + "/config/prefix-length = 24", route1 + "/next-hops/next-hop[index=0]/config/next-hop = 10.0.0.1"},
			want: []string{route1 + "/next-hops/next-hop[index=0]/config/next-hop: next hop 10.0.0.1 is one of this device's own addresses"}},
		{name: "route without next hop", lines: []string{route1 + "/config/prefix = 10.1.0.0/16"},
			want: []string{route1 + ": a static route needs at least one next hop"}},
		{name: "prefix with host bits", lines: []string{staticNI + "/static-routes/static[prefix=10.1.0.1/16]/next-hops/next-hop[index=0]/config/next-hop = DROP"},
			want: []string{staticNI + "/static-routes/static[prefix=10.1.0.1/16]/config/prefix: \"10.1.0.1/16\" has host bits set; did you mean 10.1.0.0/16?",
				staticNI + "/static-routes/static[prefix=10.1.0.1/16]/prefix: \"10.1.0.1/16\" has host bits set; did you mean 10.1.0.0/16?"}},
		{name: "bad next hop", lines: []string{route1 + "/next-hops/next-hop[index=0]/config/next-hop = nowhere"},
			want: []string{route1 + "/next-hops/next-hop[index=0]/config/next-hop: \"nowhere\" is neither an IPv4 address nor one of DROP, LOCAL_LINK"}},
		{name: "neighbour without AS numbers", lines: []string{neighbor1 + "/config/description = x"},
			want: []string{bgpNI + "/global/config/as: the local AS is required when BGP neighbours are configured",
				neighbor1 + "/config/peer-as: is required for neighbour 192.0.2.2"}},
		{name: "bad address", lines: []string{"/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.300]/config/prefix-length = 24"},
			want: []string{"/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.300]/config/ip: \"10.0.0.300\" is not an IPv4 address",
				"/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.300]/ip: \"10.0.0.300\" is not an IPv4 address"}},
		{name: "description with control character", lines: []string{eth1 + "/config/description = a\x01b"},
			want: []string{eth1 + "/config/description: \"a\\x01b\" contains a control character"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tree(t, tc.lines...))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate: got %v, want a *ValidationError", err)
			}
			got := make([]string, len(ve.Errors))
			for i, e := range ve.Errors {
				got[i] = e.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeRefusesInvalid(t *testing.T) {
	x := `<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><interfaces xmlns="http://openconfig.net/yang/interfaces">
<interface><name>eth1</name><config><name>eth1</name><mtu>99999</mtu></config></interface></interfaces></data>`
	tr, err := DecodeConfigXML([]byte(x))
	if tr != nil || !errors.Is(err, ErrInvalid) {
		t.Fatalf("DecodeConfigXML = %v, %v; want no tree and ErrInvalid", tr, err)
	}
	if want := "/interfaces/interface[name=eth1]/config/mtu: 99999 is above the maximum 65535"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "/interfaces/interface[name=eth1]/config/mtu", want: "/interfaces/interface[name=eth1]/config/mtu"},
		{in: "/interfaces/interface[name=a\\]b]/config/mtu", want: "/interfaces/interface[name=a\\]b]/config/mtu"},
		{in: "/network-instances/network-instance[name=DEFAULT]/protocols/protocol[name=STATIC][identifier=STATIC]",
			want: "/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]"},
		{in: "/", want: "/"},
		{in: "interfaces", err: "must start with /"},
		{in: "/interfaces/interface/config", err: "needs keys"},
		{in: "/interfaces/bogus", err: "unknown element"},
		{in: "/interfaces[name=x]", err: "takes no keys"},
		{in: "/interfaces/interface[name=eth1", err: "unterminated"},
		{in: "/interfaces//interface", err: "empty element"},
		{in: "/interfaces/", err: "trailing"},
		{in: "/interfaces/interface[mtu=1]", err: "needs key"},
		{in: "/interfaces/interface[name=a][name=b]", err: "given twice"},
	}
	for _, tc := range tests {
		p, err := ParsePath(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParsePath(%q) error = %v, want it to contain %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tc.in, err)
			continue
		}
		if got := p.String(); got != tc.want {
			t.Errorf("ParsePath(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		q, err := ParsePath(p.String())
		if err != nil || !q.Equal(p) {
			t.Errorf("reparse of %q: %v, %v", p, q, err)
		}
	}
}

func TestSetRefusesKeyMismatchAndWrongType(t *testing.T) {
	tr := NewTree()
	if err := tr.SetPath(eth1+"/config/name", "eth2"); err == nil || !strings.Contains(err.Error(), "must equal the list key") {
		t.Errorf("config/name mismatch: got %v", err)
	}
	if err := tr.SetPath(eth1+"/config/mtu", "big"); err == nil || !strings.Contains(err.Error(), "is not a uint16") {
		t.Errorf("wrong type: got %v", err)
	}
	if err := tr.SetPath(eth1+"/config", "x"); err == nil || !strings.Contains(err.Error(), "not a leaf") {
		t.Errorf("container: got %v", err)
	}
	if tr.Len() != 0 {
		t.Errorf("failed Sets left %d leaves", tr.Len())
	}
}

func TestInterfaceType(t *testing.T) {
	for name, want := range map[string]string{
		"lo0": "softwareLoopback", "Loopback1": "softwareLoopback", "Port-Channel10": "ieee8023adLag",
		"po1": "ieee8023adLag", "bond0": "ieee8023adLag", "Vlan100": "l3ipvlan",
		"eth1": "ethernetCsmacd", "Ethernet1/1": "ethernetCsmacd", "e1-1": "ethernetCsmacd",
	} {
		if got := InterfaceType(name); got != want {
			t.Errorf("InterfaceType(%q) = %q, want %q", name, got, want)
		}
	}
}
