package oc

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	goyang "github.com/openconfig/goyang/pkg/yang"
	"github.com/openconfig/ygot/exampleoc"
	"github.com/openconfig/ygot/ygot"

	"github.com/netagent/netagent/yang"
)

// TestSchemaMatchesOpenConfig walks every node of yang's schema table and
// finds it in ygot's generated OpenConfig schema with the same kind, keys,
// namespace and leaf type, so the table cannot drift from the YANG.
func TestSchemaMatchesOpenConfig(t *testing.T) {
	root := exampleoc.SchemaTree["Device"]
	var walk func(s *yang.Schema, e *goyang.Entry, path string)
	walk = func(s *yang.Schema, e *goyang.Entry, path string) {
		for _, c := range s.Children {
			p := path + "/" + c.Name
			ce := e.Dir[c.Name]
			if ce == nil {
				t.Errorf("%s: not in the OpenConfig schema", p)
				continue
			}
			if ns := ce.Namespace(); ns != nil && ns.Name != "" && ns.Name != c.NS {
				t.Errorf("%s: namespace %s, OpenConfig says %s", p, c.NS, ns.Name)
			}
			switch c.Kind {
			case yang.KindList:
				if !ce.IsList() {
					t.Errorf("%s: a list here, not in OpenConfig", p)
				}
				if got := strings.Join(c.Keys, " "); got != ce.Key {
					t.Errorf("%s: keys %q, OpenConfig says %q", p, got, ce.Key)
				}
			case yang.KindContainer:
				if !ce.IsContainer() {
					t.Errorf("%s: a container here, not in OpenConfig", p)
				}
			case yang.KindLeaf:
				if !ce.IsLeaf() {
					t.Errorf("%s: a leaf here, not in OpenConfig", p)
					continue
				}
				checkLeafType(t, p, c, ce)
				continue
			}
			walk(c, ce, p)
		}
	}
	walk(yang.Root, root, "")
}

func checkLeafType(t *testing.T, p string, s *yang.Schema, e *goyang.Entry) {
	t.Helper()
	typ := e.Type
	for typ.Kind == goyang.Yleafref {
		target := e.Find(typ.Path)
		if target == nil {
			// References across modules do not resolve in the stored schema;
			// every one netagent models points at an interface name.
			if s.Type != yang.TypeString || !strings.HasSuffix(typ.Path, ":name") {
				t.Errorf("%s: leafref %s does not resolve", p, typ.Path)
			}
			return
		}
		e, typ = target, target.Type
	}
	want := map[yang.Type][]goyang.TypeKind{
		yang.TypeString:     {goyang.Ystring},
		yang.TypeBool:       {goyang.Ybool},
		yang.TypeUint8:      {goyang.Yuint8},
		yang.TypeUint16:     {goyang.Yuint16},
		yang.TypeUint32:     {goyang.Yuint32},
		yang.TypeUint64:     {goyang.Yuint64},
		yang.TypeIPv4:       {goyang.Ystring, goyang.Yunion},
		yang.TypeIPv4Prefix: {goyang.Ystring, goyang.Yunion},
		yang.TypeIdentity:   {goyang.Yidentityref},
		yang.TypeNextHop:    {goyang.Yunion},
	}[s.Type]
	ok := false
	for _, k := range want {
		if typ.Kind == k {
			ok = true
		}
	}
	if !ok {
		t.Errorf("%s: %s here, OpenConfig says %s", p, s.Type, typ.Kind)
		return
	}
	// Our ranges may only narrow OpenConfig's.
	if len(typ.Range) > 0 && s.Type != yang.TypeString {
		lo, hi := typ.Range[0].Min, typ.Range[len(typ.Range)-1].Max
		if !lo.Negative && s.Min < lo.Value {
			t.Errorf("%s: minimum %d below OpenConfig's %s", p, s.Min, lo)
		}
		if !hi.Negative && hi.Value != 0 && s.Max > hi.Value {
			t.Errorf("%s: maximum %d above OpenConfig's %s", p, s.Max, hi)
		}
	}
}

func sample(t *testing.T) *yang.Tree {
	t.Helper()
	tr := yang.NewTree()
	set := func(path string, v any) {
		if err := tr.SetPath(path, v); err != nil {
			t.Fatal(err)
		}
	}
	eth1 := "/interfaces/interface[name=eth1]"
	set(eth1+"/config/type", "ethernetCsmacd")
	set(eth1+"/config/mtu", uint64(9000))
	set(eth1+"/config/description", "to spine1")
	set(eth1+"/config/enabled", true)
	set(eth1+"/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]/config/prefix-length", uint64(31))
	r := yang.StaticRoutePath("10.1.0.0/16").String()
	set(r+"/next-hops/next-hop[index=0]/config/next-hop", "10.0.0.0")
	set(yang.StaticRoutePath("192.0.2.0/24").String()+"/next-hops/next-hop[index=0]/config/next-hop", "DROP")
	set(yang.BGPPath().String()+"/global/config/as", uint64(65001))
	n := yang.NeighborPath("10.0.0.0").String()
	set(n+"/config/peer-as", uint64(65002))
	set(n+"/config/enabled", true)
	return tr
}

func TestDeviceRoundTrip(t *testing.T) {
	tr := sample(t)
	d, err := ToDevice(tr)
	if err != nil {
		t.Fatal(err)
	}
	if got := *d.GetInterface("eth1").Mtu; got != 9000 {
		t.Errorf("mtu in the struct = %d", got)
	}
	back, err := FromDevice(d)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tr.String(), back.String()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// TestJSONAgreesWithYgot: yang's RFC 7951 encoder and ygot's produce the
// same JSON for the same configuration.
func TestJSONAgreesWithYgot(t *testing.T) {
	tr := sample(t)
	d, err := ToDevice(tr)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := ygot.EmitJSON(d, &ygot.EmitJSONConfig{Format: ygot.RFC7951, RFC7951Config: &ygot.RFC7951JSONConfig{AppendModuleName: true}, SkipValidation: true})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := yang.EncodeJSONIETF(tr, yang.Path{})
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal([]byte(theirs), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ours, &b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("JSON (-ygot +yang):\n%s", diff)
	}
}

func TestValidateReportsBoth(t *testing.T) {
	tr := sample(t)
	if err := Validate(tr); err != nil {
		t.Fatalf("valid sample: %v", err)
	}
	if err := tr.SetPath("/interfaces/interface[name=eth1]/config/mtu", uint64(99999)); err != nil {
		t.Fatal(err)
	}
	err := Validate(tr)
	if err == nil || !strings.Contains(err.Error(), "/interfaces/interface[name=eth1]/config/mtu: 99999 is above the maximum 65535") {
		t.Fatalf("Validate = %v", err)
	}
}
