package yang

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/prototext"
)

var protoSpace = regexp.MustCompile(`:[ \t]+`)

var update = flag.Bool("update", false, "rewrite golden files")

// tree builds a tree from "path = value" lines; values are parsed by the
// leaf's type.
func tree(t testing.TB, lines ...string) *Tree {
	t.Helper()
	tr := NewTree()
	for _, l := range lines {
		path, val, ok := strings.Cut(l, " = ")
		if !ok {
			t.Fatalf("bad fixture line %q", l)
		}
		p, err := ParsePath(path)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := p.Schema()
		v, err := ParseValue(s, val)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Set(p, v); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

const (
	eth1       = "/interfaces/interface[name=eth1]"
	addr1      = eth1 + "/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]"
	defaultNI  = "/network-instances/network-instance[name=DEFAULT]"
	staticNI   = defaultNI + "/protocols/protocol[identifier=STATIC][name=STATIC]"
	route1     = staticNI + "/static-routes/static[prefix=10.1.0.0/16]"
	bgpNI      = defaultNI + "/protocols/protocol[identifier=BGP][name=BGP]/bgp"
	neighbor1  = bgpNI + "/neighbors/neighbor[neighbor-address=192.0.2.2]"
	ifaceBase  = eth1 + "/config/type = ethernetCsmacd"
	ifaceMTU   = eth1 + "/config/mtu = 1500"
	ifaceDescr = eth1 + "/config/description = uplink to spine1"
)

// goldenCase is one construct and operation: the tree before and after.
type goldenCase struct {
	name     string
	from, to []string
	ietf     bool // expressible in the IETF modules
}

func goldenCases() []goldenCase {
	iface := []string{ifaceBase, ifaceMTU, ifaceDescr, eth1 + "/config/enabled = true"}
	addr := append(append([]string{}, iface...), addr1+"/config/prefix-length = 24")
	route := append(append([]string{}, addr...), route1+"/next-hops/next-hop[index=0]/config/next-hop = 10.0.0.254")
	bgp := append(append([]string{}, addr...), bgpNI+"/global/config/as = 65001",
		neighbor1+"/config/peer-as = 65002", neighbor1+"/config/description = spine1", neighbor1+"/config/enabled = true")
	with := func(base []string, extra ...string) []string { return append(append([]string{}, base...), extra...) }
	replace := func(base []string, old, new string) []string {
		out := append([]string{}, base...)
		for i, l := range out {
			if l == old {
				out[i] = new
			}
		}
		return out
	}
	return []goldenCase{
		{name: "interface-create", from: nil, to: iface, ietf: true},
		{name: "interface-update", from: iface, to: replace(replace(iface, ifaceMTU, eth1+"/config/mtu = 9000"), ifaceDescr, eth1+"/config/description = uplink <spine2> & more"), ietf: true},
		{name: "interface-delete", from: iface, to: nil, ietf: true},
		{name: "address-create", from: iface, to: addr, ietf: true},
		{name: "address-update", from: addr, to: replace(addr, addr1+"/config/prefix-length = 24", addr1+"/config/prefix-length = 25"), ietf: true},
		{name: "address-delete", from: addr, to: iface, ietf: true},
		{name: "static-route-create", from: addr, to: route, ietf: true},
		{name: "static-route-update", from: route, to: replace(route, route1+"/next-hops/next-hop[index=0]/config/next-hop = 10.0.0.254", route1+"/next-hops/next-hop[index=0]/config/next-hop = 10.0.0.253"), ietf: true},
		{name: "static-route-delete", from: route, to: addr, ietf: true},
		{name: "static-route-blackhole", from: addr, to: with(addr, "/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=192.0.2.0/24]/next-hops/next-hop[index=0]/config/next-hop = DROP"), ietf: true},
		{name: "static-route-interface", from: addr, to: with(addr, route1+"/next-hops/next-hop[index=0]/interface-ref/config/interface = eth1"), ietf: true},
		{name: "bgp-neighbor-create", from: addr, to: bgp},
		{name: "bgp-neighbor-update", from: bgp, to: replace(replace(bgp, neighbor1+"/config/peer-as = 65002", neighbor1+"/config/peer-as = 65003"), neighbor1+"/config/enabled = true", neighbor1+"/config/enabled = false")},
		{name: "bgp-neighbor-delete", from: bgp, to: with(addr, bgpNI+"/global/config/as = 65001")},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// indentXML makes golden XML readable; the encoders write it compact.
func indentXML(b []byte) []byte {
	var out strings.Builder
	depth := 0
	s := string(b)
	for len(s) > 0 {
		i := strings.IndexByte(s[1:], '<')
		var tok string
		if i < 0 {
			tok, s = s, ""
		} else {
			tok, s = s[:i+1], s[i+1:]
		}
		closing := strings.HasPrefix(tok, "</")
		if closing {
			depth--
		}
		// Keep <leaf>text</leaf> on one line.
		if !closing && !strings.HasSuffix(tok, "/>") && !strings.HasSuffix(tok, ">") {
			tok += s[:strings.IndexByte(s, '>')+1]
			s = s[strings.IndexByte(s, '>')+1:]
			out.WriteString(strings.Repeat("  ", depth) + tok + "\n")
			continue
		}
		out.WriteString(strings.Repeat("  ", depth) + tok + "\n")
		if !closing && !strings.HasSuffix(tok, "/>") {
			depth++
		}
	}
	return []byte(out.String())
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			from, to := tree(t, tc.from...), tree(t, tc.to...)
			changes := Diff(from, to)
			if len(changes) == 0 {
				t.Fatal("no changes")
			}
			golden(t, tc.name+".diff", []byte(Render(changes)))

			oc, err := EncodeEditConfig(changes)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".oc.xml", indentXML(oc))

			req, err := EncodeSetRequest(changes)
			if err != nil {
				t.Fatal(err)
			}
			txt, err := prototext.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			// prototext randomises spacing between runs; normalise it.
			golden(t, tc.name+".gnmi.txt", protoSpace.ReplaceAll(txt, []byte(": ")))

			ietf, err := EncodeEditConfigIETF(from, changes)
			if !tc.ietf {
				if !errors.Is(err, ErrNotMappable) {
					t.Fatalf("EncodeEditConfigIETF: got %v, want ErrNotMappable", err)
				}
				golden(t, tc.name+".ietf.err", []byte(err.Error()+"\n"))
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".ietf.xml", indentXML(ietf))
		})
	}
}

// TestRoundTrip checks that every encoding of every golden case, decoded or
// applied by the matching decoder, gives back exactly the target tree.
func TestRoundTrip(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			from, to := tree(t, tc.from...), tree(t, tc.to...)
			changes := Diff(from, to)

			t.Run("apply", func(t *testing.T) {
				got := from.Clone()
				if err := Apply(got, changes); err != nil {
					t.Fatal(err)
				}
				assertTree(t, to, got)
			})
			t.Run("invert", func(t *testing.T) {
				inv, err := Invert(from, changes)
				if err != nil {
					t.Fatal(err)
				}
				got := to.Clone()
				if err := Apply(got, inv); err != nil {
					t.Fatal(err)
				}
				assertTree(t, from, got)
			})
			t.Run("netconf-edit", func(t *testing.T) {
				x, err := EncodeEditConfig(changes)
				if err != nil {
					t.Fatal(err)
				}
				e, err := DecodeEdit(x)
				if err != nil {
					t.Fatal(err)
				}
				got := from.Clone()
				if err := got.ApplyEdit(e, "merge"); err != nil {
					t.Fatal(err)
				}
				assertTree(t, to, got)
			})
			t.Run("netconf-data", func(t *testing.T) {
				got, err := DecodeConfigXML(EncodeTreeXML(to))
				if err != nil {
					t.Fatal(err)
				}
				assertTree(t, to, got)
			})
			t.Run("gnmi-set", func(t *testing.T) {
				req, err := EncodeSetRequest(changes)
				if err != nil {
					t.Fatal(err)
				}
				got := from.Clone()
				if err := ApplySetRequest(got, req); err != nil {
					t.Fatal(err)
				}
				assertTree(t, to, got)
			})
			t.Run("gnmi-json", func(t *testing.T) {
				b, err := EncodeJSONIETF(to, Path{})
				if err != nil {
					t.Fatal(err)
				}
				got := NewTree()
				if len(b) > 0 {
					if err := setTyped(got, Path{}, jsonIETF(b), true); err != nil {
						t.Fatalf("%v\n%s", err, b)
					}
				}
				assertTree(t, to, got)
			})
			if !tc.ietf {
				return
			}
			t.Run("ietf-data", func(t *testing.T) {
				x, err := EncodeEditConfigIETF(nil, Diff(NewTree(), to))
				if err != nil {
					t.Fatal(err)
				}
				got, err := DecodeConfigXMLIETF(x)
				if err != nil {
					t.Fatal(err)
				}
				assertTree(t, to, got)
			})
		})
	}
}

func assertTree(t *testing.T, want, got *Tree) {
	t.Helper()
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("tree mismatch (-want +got):\n%s", diff)
	}
}

// TestTreeText: String (and AppendText, which digests hash) renders one
// "path = value" line per leaf in canonical order, values as FormatValue
// writes them, and AppendText appends to what it is given.
func TestTreeText(t *testing.T) {
	lines := []string{
		"/interfaces/interface[name=eth2]/config/mtu = 9000",
		"/interfaces/interface[name=eth2]/config/enabled = false",
		"/interfaces/interface[name=eth10]/config/description = uplink ] \\ = x",
		"/interfaces/interface[name=eth2]/config/description = a",
	}
	tr := tree(t, lines...)
	// Keys become leaves of their own; leaves in schema order.
	want := "/interfaces/interface[name=eth2]/name = eth2\n" +
		"/interfaces/interface[name=eth2]/config/name = eth2\n" +
		"/interfaces/interface[name=eth2]/config/mtu = 9000\n" +
		"/interfaces/interface[name=eth2]/config/description = a\n" +
		"/interfaces/interface[name=eth2]/config/enabled = false\n" +
		"/interfaces/interface[name=eth10]/name = eth10\n" +
		"/interfaces/interface[name=eth10]/config/name = eth10\n" +
		"/interfaces/interface[name=eth10]/config/description = uplink ] \\ = x\n"
	var manual strings.Builder
	for _, l := range tr.Leaves() {
		manual.WriteString(l.Path.String() + " = " + FormatValue(l.Value) + "\n")
	}
	if d := cmp.Diff(manual.String(), tr.String()); d != "" {
		t.Errorf("String differs from the leaves as FormatValue writes them (-leaves +String):\n%s", d)
	}
	if got := string(tr.AppendText([]byte("x\n"))); got != "x\n"+tr.String() {
		t.Errorf("AppendText = %q", got)
	}
	if NewTree().String() != "" {
		t.Errorf("empty tree: %q", NewTree().String())
	}
	if tr.String() != want {
		t.Errorf("String =\n%s\nwant\n%s", tr.String(), want)
	}
}

// TestDecodeKeys: the decoder builds each leaf's path string and sort key
// on its way down; they must be what Path.String and orderKey give, or
// lookups and the canonical order break.
func TestDecodeKeys(t *testing.T) {
	src := NewTree()
	for _, l := range []struct {
		p string
		v any
	}{
		{"/interfaces/interface[name=e1-10]/config/mtu", uint64(9000)},
		{"/interfaces/interface[name=e1-2]/config/description", "x]y\\z"},
		{"/interfaces/interface[name=e1-2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]/config/prefix-length", uint64(31)},
		{"/network-instances/network-instance[name=default]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=10.1.0.0/24]/next-hops/next-hop[index=0]/config/next-hop", "192.0.2.1"},
	} {
		if err := src.SetPath(l.p, l.v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := DecodeConfigXML(EncodeTreeXML(src))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(src) {
		t.Fatalf("decoded tree differs:\n%s\nwant\n%s", got, src)
	}
	for k, e := range got.leaves {
		if k != e.path.String() || e.str != k {
			t.Errorf("leaf %s stored as %q", e.path, k)
		}
		if e.order != orderKey(e.path) {
			t.Errorf("leaf %s: sort key %q, want %q", e.path, e.order, orderKey(e.path))
		}
	}
}

// TestRestrict: a restricted tree holds exactly the leaves at or below the
// paths, as setting each of them into an empty tree gives (entries above
// them included).
func TestRestrict(t *testing.T) {
	src := NewTree()
	for _, l := range []struct {
		p string
		v any
	}{
		{"/interfaces/interface[name=e1-1]/config/mtu", uint64(9000)},
		{"/interfaces/interface[name=e1-2]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]/config/prefix-length", uint64(31)},
		{"/network-instances/network-instance[name=default]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=10.1.0.0/24]/next-hops/next-hop[index=0]/config/next-hop", "192.0.2.1"},
		{"/network-instances/network-instance[name=default]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=10.2.0.0/24]/next-hops/next-hop[index=0]/config/next-hop", "192.0.2.2"},
	} {
		if err := src.SetPath(l.p, l.v); err != nil {
			t.Fatal(err)
		}
	}
	for _, paths := range [][]string{
		{"/network-instances/network-instance[name=default]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=10.2.0.0/24]"},
		{"/interfaces/interface[name=e1-2]/subinterfaces", "/interfaces/interface[name=e1-1]/config/mtu"},
		{"/interfaces/interface[name=e9]"},
		{"/network-instances"},
	} {
		var ps []Path
		for _, s := range paths {
			ps = append(ps, MustParsePath(s))
		}
		want := NewTree()
		for _, l := range src.Leaves() {
			for _, p := range ps {
				if l.Path.HasPrefix(p) {
					if err := want.Set(l.Path, l.Value); err != nil {
						t.Fatal(err)
					}
					break
				}
			}
		}
		if got := src.Restrict(ps); !got.Equal(want) {
			t.Errorf("Restrict(%v):\n%s\nwant\n%s", paths, got, want)
		}
	}
}
