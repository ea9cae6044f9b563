package yang_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/netagent/netagent/yang"
)

// TestValidateRefusesAddressesNoOneMeans: addresses a device would take but
// an operator never means are refused on interfaces, as next hops and as
// BGP neighbours, naming the path and the reason; so is router-id 0.0.0.0.
func TestValidateRefusesAddressesNoOneMeans(t *testing.T) {
	base := func() *yang.Tree {
		tr := yang.NewTree()
		must(t, tr.Set(yang.InterfacePath("eth1").Leaf("config", "type"), "ethernetCsmacd"))
		must(t, tr.Set(yang.AddressPath("eth1", 0, "10.0.0.1").Leaf("config", "prefix-length"), uint64(31)))
		must(t, tr.Set(yang.BGPPath().Leaf("global", "config", "as"), uint64(65001)))
		return tr
	}
	bad := map[string]string{
		"224.0.0.5":       "multicast",
		"239.1.1.1":       "multicast",
		"127.0.0.1":       "loopback",
		"127.9.9.9":       "loopback",
		"0.0.0.0":         "unspecified",
		"255.255.255.255": "limited broadcast",
		"240.0.0.1":       "class E",
		"250.1.2.3":       "class E",
	}
	for addr, why := range bad {
		cases := map[string]func(*yang.Tree) (yang.Path, error){
			"interface address": func(tr *yang.Tree) (yang.Path, error) {
				p := yang.AddressPath("eth1", 0, addr)
				return p, tr.Set(p.Leaf("config", "prefix-length"), uint64(24))
			},
			"route destination": func(tr *yang.Tree) (yang.Path, error) {
				p := yang.NextHopPath(addr+"/32", "0").Leaf("config", "next-hop")
				return yang.StaticRoutePath(addr + "/32"), tr.Set(p, "10.0.0.0")
			},
			"next hop": func(tr *yang.Tree) (yang.Path, error) {
				p := yang.NextHopPath("192.0.2.0/24", "0").Leaf("config", "next-hop")
				return p, tr.Set(p, addr)
			},
			"bgp neighbour": func(tr *yang.Tree) (yang.Path, error) {
				p := yang.NeighborPath(addr)
				return p, tr.Set(p.Leaf("config", "peer-as"), uint64(65002))
			},
		}
		for where, set := range cases {
			tr := base()
			p, err := set(tr)
			if err != nil {
				t.Fatalf("%s %s: %v", where, addr, err)
			}
			err = yang.Validate(tr)
			var ve *yang.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s %s: Validate = %v, want refused as %s", where, addr, err, why)
				continue
			}
			found := false
			for _, f := range ve.Errors {
				found = found || (strings.HasPrefix(f.Path, p.String()) || strings.HasPrefix(p.String(), f.Path)) && strings.Contains(f.Reason, why)
			}
			if !found {
				t.Errorf("%s %s: %v, want a problem at %s saying %s", where, addr, err, p, why)
			}
		}
	}
	tr := base()
	must(t, tr.Set(yang.BGPPath().Leaf("global", "config", "router-id"), "0.0.0.0"))
	if err := yang.Validate(tr); err == nil || !strings.Contains(err.Error(), "router-id") {
		t.Errorf("router-id 0.0.0.0: %v, want refused", err)
	}
	// Ordinary unicast addresses stay valid.
	tr = base()
	must(t, tr.Set(yang.NextHopPath("192.0.2.0/24", "0").Leaf("config", "next-hop"), "10.0.0.0"))
	must(t, tr.Set(yang.NextHopPath("0.0.0.0/0", "0").Leaf("config", "next-hop"), "10.0.0.0"))
	must(t, tr.Set(yang.NeighborPath("10.0.0.0").Leaf("config", "peer-as"), uint64(65002)))
	must(t, tr.Set(yang.BGPPath().Leaf("global", "config", "router-id"), "10.255.0.1"))
	if err := yang.Validate(tr); err != nil {
		t.Errorf("unicast configuration refused: %v", err)
	}
}

// TestLengthCountsCharacters: a string's length restriction counts
// characters, not bytes, as YANG's length does.
func TestLengthCountsCharacters(t *testing.T) {
	tr := yang.NewTree()
	desc := yang.InterfacePath("eth1").Leaf("config", "description")
	must(t, tr.Set(desc, strings.Repeat("接", 255)))
	if err := yang.Validate(tr); err != nil {
		t.Errorf("255 CJK characters: %v", err)
	}
	must(t, tr.Set(desc, strings.Repeat("é", 256)))
	if err := yang.Validate(tr); err == nil || !strings.Contains(err.Error(), "256 characters") {
		t.Errorf("256 characters: %v, want refused as 256 characters", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
