package yang

import (
	"os"
	"path/filepath"
	"testing"
)

// seedXML adds every golden XML file to f's corpus.
func seedXML(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml.golden"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>e</name></interface></interfaces>`))
	f.Add([]byte(`<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><data/></rpc-reply>`))
}

// FuzzDecodeConfigXML: decoding never panics, and whatever decodes
// re-encodes to XML that decodes to the same tree (parse, print, parse).
func FuzzDecodeConfigXML(f *testing.F) {
	seedXML(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := DecodeConfigXML(data)
		if err != nil {
			return
		}
		again, err := DecodeConfigXML(EncodeTreeXML(tr))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !again.Equal(tr) {
			t.Fatalf("round trip changed the tree:\n%s\nvs\n%s", tr, again)
		}
	})
}

// FuzzDecodeEdit: decoding and applying an edit never panics, and an
// applied edit leaves a tree whose XML decodes to the same tree.
func FuzzDecodeEdit(f *testing.F) {
	seedXML(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeEdit(data)
		if err != nil {
			return
		}
		tr := NewTree()
		_ = tr.SetPath(eth1+"/config/mtu", uint64(1500))
		if err := tr.ApplyEdit(e, "merge"); err != nil {
			return
		}
		if Validate(tr) != nil {
			return
		}
		again, err := DecodeConfigXML(EncodeTreeXML(tr))
		if err != nil || !again.Equal(tr) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzDecodeConfigXMLIETF: decoding IETF XML never panics; a decoded tree
// encodes back into IETF XML that decodes to the same tree.
func FuzzDecodeConfigXMLIETF(f *testing.F) {
	seedXML(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := DecodeConfigXMLIETF(data)
		if err != nil {
			return
		}
		// The encoder gives a new interface the type IETF makes mandatory.
		for _, ifp := range tr.EntriesOf(Path{{Name: "interfaces"}, {Name: "interface"}}) {
			if _, ok := tr.Get(ifp.Leaf("config", "type")); !ok {
				_ = tr.Set(ifp.Leaf("config", "type"), "ethernetCsmacd")
			}
		}
		x, err := EncodeEditConfigIETF(nil, Diff(NewTree(), tr))
		if err != nil {
			return // e.g. next-hop indexes that IETF spells differently
		}
		again, err := DecodeConfigXMLIETF(x)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, x)
		}
		if !again.Equal(tr) {
			t.Fatalf("round trip changed the tree:\n%s\nvs\n%s", tr, again)
		}
	})
}

// FuzzFilterXML: a filter never panics and only ever selects leaves of the tree.
func FuzzFilterXML(f *testing.F) {
	seedXML(f)
	f.Add([]byte(`<interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>eth1</name><config><mtu/></config></interface></interfaces>`))
	full := NewTree()
	_ = full.SetPath(eth1+"/config/mtu", uint64(1500))
	_ = full.SetPath(addr1+"/config/prefix-length", uint64(24))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := FilterXML(full, data)
		if err != nil {
			return
		}
		for _, l := range got.Leaves() {
			if v, ok := full.Get(l.Path); !ok || v != l.Value {
				t.Fatalf("filter invented %s", l.Path)
			}
		}
	})
}

// FuzzParsePath: parse, print, parse again gives the same path.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{eth1 + "/config/mtu", route1, neighbor1 + "/config/peer-as", "/", "/interfaces/interface[name=a\\]b]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		q, err := ParsePath(p.String())
		if err != nil || !q.Equal(p) {
			t.Fatalf("%q -> %q -> %v, %v", s, p, q, err)
		}
	})
}
