package cli

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/yang"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// labLike is a device's configuration as the lab starts it.
func labLike() *yang.Tree {
	t := yang.NewTree()
	p := yang.InterfacePath("eth1")
	must(t.Set(p.Leaf("config", "name"), "eth1"))
	must(t.Set(p.Leaf("config", "type"), "ethernetCsmacd"))
	must(t.Set(p.Leaf("config", "description"), "to r2:eth1"))
	must(t.Set(p.Leaf("config", "enabled"), true))
	must(t.Set(p.Leaf("config", "mtu"), uint64(1500)))
	must(t.Set(yang.AddressPath("eth1", 0, "10.0.0.0").Leaf("config", "prefix-length"), uint64(31)))
	return t
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
}

// TestRender renders every conformance construct on every platform, then
// checks the commands against a golden file and the meaning: the running
// configuration the platform would print after them parses to the wanted tree.
func TestRender(t *testing.T) {
	for _, pname := range []string{"frr", "eos"} {
		p := Platforms[pname]
		var all strings.Builder
		cur := labLike()
		for _, c := range conformance.Constructs {
			want := cur.Clone()
			c.Apply(want)
			changes := yang.Diff(cur, want)
			cmds, err := Render(p, cur, changes)
			if err != nil {
				t.Fatalf("%s %s: %v", pname, c.Name, err)
			}
			all.WriteString("# " + c.Name + "\n" + strings.Join(cmds, "\n") + "\n")
			got, err := ParseConfig(p, Format(p, want))
			if err != nil {
				t.Fatalf("%s %s: parse: %v", pname, c.Name, err)
			}
			if !got.Equal(want) {
				t.Errorf("%s %s: Format/ParseConfig round trip (-want +got):\n%s", pname, c.Name, cmp.Diff(want.String(), got.String()))
			}
			// The inverse renders too (rollback).
			inv, err := yang.Invert(cur, changes)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Render(p, want, inv); err != nil {
				t.Errorf("%s %s: inverse: %v", pname, c.Name, err)
			}
			cur = want
		}
		golden(t, "TestRender_"+pname, all.String())
	}
}

func TestRenderUnsupported(t *testing.T) {
	p := Platforms["frr"]
	before := labLike()
	after := before.Clone()
	must(after.Set(yang.AddressPath("eth1", 5, "10.9.0.1").Leaf("config", "prefix-length"), uint64(24)))
	_, err := Render(p, before, yang.Diff(before, after))
	var ue *UnsupportedError
	if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "subinterface 0") {
		t.Fatalf("err = %v, want an UnsupportedError about subinterfaces", err)
	}
	if _, err := Lookup("junos"); err == nil || !strings.Contains(err.Error(), "eos, frr") {
		t.Errorf("Lookup(junos) = %v", err)
	}
}

func TestParseConfigFRR(t *testing.T) {
	text := `Building configuration...

Current configuration:
!
frr version 8.4
hostname r1
!
ip route 198.51.100.0/24 blackhole
ip route 10.1.0.0/16 10.0.0.1
ip route 10.1.0.0/16 10.0.0.3 eth1
!
interface eth1
 description to r2:eth1
 ip address 10.0.0.0/31
 shutdown
exit
!
interface lo
exit
!
router bgp 65001
 bgp router-id 192.0.2.1
 neighbor 10.0.0.1 remote-as 65002
 neighbor 10.0.0.1 shutdown
exit
!
line vty
!
end
`
	got, err := ParseConfig(Platforms["frr"], text)
	if err != nil {
		t.Fatal(err)
	}
	want := yang.NewTree()
	e := yang.InterfacePath("eth1")
	must(want.Set(e.Leaf("config", "name"), "eth1"))
	must(want.Set(e.Leaf("config", "type"), "ethernetCsmacd"))
	must(want.Set(e.Leaf("config", "description"), "to r2:eth1"))
	must(want.Set(e.Leaf("config", "enabled"), false))
	must(want.Set(yang.AddressPath("eth1", 0, "10.0.0.0").Leaf("config", "prefix-length"), uint64(31)))
	lo := yang.InterfacePath("lo")
	must(want.Set(lo.Leaf("config", "name"), "lo"))
	must(want.Set(lo.Leaf("config", "type"), "softwareLoopback"))
	must(want.Set(lo.Leaf("config", "enabled"), true))
	must(want.Set(yang.NextHopPath("198.51.100.0/24", "0").Leaf("config", "next-hop"), "DROP"))
	must(want.Set(yang.NextHopPath("10.1.0.0/16", "0").Leaf("config", "next-hop"), "10.0.0.1"))
	must(want.Set(yang.NextHopPath("10.1.0.0/16", "1").Leaf("config", "next-hop"), "10.0.0.3"))
	must(want.Set(yang.NextHopPath("10.1.0.0/16", "1").Leaf("interface-ref", "config", "interface"), "eth1"))
	must(want.Set(yang.BGPPath().Leaf("global", "config", "as"), uint64(65001)))
	must(want.Set(yang.BGPPath().Leaf("global", "config", "router-id"), "192.0.2.1"))
	n := yang.NeighborPath("10.0.0.1")
	must(want.Set(n.Leaf("config", "peer-as"), uint64(65002)))
	must(want.Set(n.Leaf("config", "enabled"), false))
	if !got.Equal(want) {
		t.Errorf("(-want +got):\n%s", cmp.Diff(want.String(), got.String()))
	}
}

func TestErrorLine(t *testing.T) {
	p := Platforms["eos"]
	out := "ip route 10.0.0.0/8 foo\n% Invalid input detected at '^' marker.\n"
	if l, ok := p.errorLine(out); !ok || !strings.HasPrefix(l, "% Invalid input") {
		t.Errorf("errorLine = %q %v", l, ok)
	}
	if _, ok := p.errorLine("interface eth1\n"); ok {
		t.Error("clean output flagged")
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, name := range []string{"frr", "eos"} {
		f.Add(name == "eos", Format(Platforms[name], labLike()))
	}
	f.Add(false, "interface eth1\n mtu 99999999\nexit\n")
	f.Add(true, "router bgp 1\n   router-id 1.1.1.1\n   neighbor 1.2.3.4 remote-as 5\n")
	f.Fuzz(func(t *testing.T, eos bool, text string) {
		p := Platforms["frr"]
		if eos {
			p = Platforms["eos"]
		}
		tr, err := ParseConfig(p, text)
		if err != nil {
			return
		}
		// parse, print, parse again: the same tree
		again, err := ParseConfig(p, Format(p, tr))
		if err != nil {
			t.Fatalf("reparse: %v\n%s", err, Format(p, tr))
		}
		if !again.Equal(tr) {
			t.Fatalf("round trip differs (-first +second):\n%s", cmp.Diff(tr.String(), again.String()))
		}
	})
}

// TestPartialBefore: rendering from the changes' old values gives the same
// commands as rendering from the full configuration, where it applies.
func TestPartialBefore(t *testing.T) {
	full := labLike()
	must(full.Set(yang.NextHopPath("10.9.0.0/16", "0").Leaf("config", "next-hop"), "10.0.0.1"))
	want := full.Clone()
	must(want.Set(yang.InterfacePath("eth1").Leaf("config", "mtu"), uint64(9100)))
	must(want.Set(yang.NextHopPath("10.9.0.0/16", "0").Leaf("config", "next-hop"), "10.0.0.3"))
	must(want.Set(yang.NextHopPath("10.10.0.0/16", "0").Leaf("config", "next-hop"), "DROP"))
	must(want.Set(yang.AddressPath("eth1", 0, "10.0.0.0").Leaf("config", "prefix-length"), uint64(30)))
	changes := yang.Diff(full, want)
	for _, pname := range []string{"frr", "eos"} {
		p := Platforms[pname]
		fromFull, err := Render(p, full, changes)
		if err != nil {
			t.Fatal(err)
		}
		partial, ok := partialBefore(changes)
		if !ok {
			t.Fatal("partialBefore refused leaf changes")
		}
		fromPartial, err := Render(p, partial, changes)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(fromFull, fromPartial); d != "" {
			t.Errorf("%s (-full +partial):\n%s", pname, d)
		}
	}
	del := labLike()
	del.Delete(yang.InterfacePath("eth1"))
	if _, ok := partialBefore(yang.Diff(labLike(), del)); ok {
		t.Error("partialBefore accepted an entry deletion")
	}
}

// TestPartialBeforeUndo: the inverse computed on a partial configuration
// undoes only what the changes touched (a leaf created on an existing
// interface must not delete the interface).
func TestPartialBeforeUndo(t *testing.T) {
	full := labLike()
	bad := full.Clone()
	must(bad.Set(yang.InterfacePath("eth1").Leaf("config", "mtu"), uint64(68)))
	must(bad.Set(yang.InterfacePath("eth1").Leaf("config", "description"), "x"))
	changes := yang.Diff(full, bad)
	partial, ok := partialBefore(changes)
	if !ok {
		t.Fatal("refused")
	}
	inv, err := yang.Invert(partial, changes)
	if err != nil {
		t.Fatal(err)
	}
	got := bad.Clone()
	if err := yang.Apply(got, inv); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(full) {
		t.Errorf("undo from the partial configuration (-want +got):\n%s", cmp.Diff(full.String(), got.String()))
	}
}
