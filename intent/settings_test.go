package intent

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/netagent/netagent/yang"
)

// TestInterfaceSettingsMatchGeneral: the fast plan for interface settings
// is identical to the general path's (desired tree, Validate, Diff), over
// every combination of settings and current states.
func TestInterfaceSettingsMatchGeneral(t *testing.T) {
	curs := map[string]*yang.Tree{}
	bare := yang.NewTree()
	if err := bare.Set(yang.InterfacePath("eth1").Leaf("config", "name"), "eth1"); err != nil {
		t.Fatal(err)
	}
	curs["bare"] = bare
	full := bare.Clone()
	for leaf, v := range map[string]any{"type": "ethernetCsmacd", "mtu": uint64(1500), "description": "old", "enabled": true} {
		if err := full.Set(yang.InterfacePath("eth1").Leaf("config", leaf), v); err != nil {
			t.Fatal(err)
		}
	}
	curs["full"] = full
	same := full.Clone()
	curs["same"] = same
	n := 0
	for name, cur := range curs {
		for mask := 1; mask < 16; mask++ {
			for _, variant := range []int{0, 1} {
				spec := `"name":"eth1"`
				if mask&1 != 0 {
					spec += []string{`,"type":"ethernetCsmacd"`, `,"type":"l3ipvlan"`}[variant]
				}
				if mask&2 != 0 {
					spec += []string{`,"mtu":1500`, `,"mtu":9000`}[variant]
				}
				if mask&4 != 0 {
					spec += []string{`,"description":"old"`, `,"description":"new\ttab"`}[variant]
				}
				if mask&8 != 0 {
					spec += []string{`,"enabled":true`, `,"enabled":false`}[variant]
				}
				in, err := Decode([]byte(fmt.Sprintf(`{"kind":"interface","targets":{"devices":["d"]},"spec":{%s}}`, spec)))
				if err != nil {
					t.Fatal(err)
				}
				fast, ok := interfaceSettings("d", cur, in.Spec.(*InterfaceSpec))
				if !ok {
					t.Fatalf("%s %s: fast path not taken", name, spec)
				}
				general, probs := compileGeneral("d", cur, in, nil)
				if len(probs) > 0 {
					t.Fatalf("%s %s: general path refused: %v", name, spec, probs)
				}
				if diff := cmp.Diff(general.Changes, fast.Changes, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s %s: changes (-general +fast):\n%s", name, spec, diff)
				}
				if diff := cmp.Diff(general.Undo, fast.Undo, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s %s: undo (-general +fast):\n%s", name, spec, diff)
				}
				n++
			}
		}
	}
	if n != 90 {
		t.Errorf("checked %d combinations, want 90", n)
	}
	// A new interface and addresses take the general path.
	in, _ := Decode([]byte(`{"kind":"interface","targets":{"devices":["d"]},"spec":{"name":"lo9","type":"softwareLoopback"}}`))
	if _, ok := interfaceSettings("d", full, in.Spec.(*InterfaceSpec)); ok {
		t.Error("fast path taken to create an interface")
	}
	// A control character in a description is refused by the schema.
	if _, err := Decode([]byte(`{"kind":"interface","targets":{"devices":["d"]},"spec":{"name":"eth1","description":"a\u0007b"}}`)); err == nil {
		t.Error("description with a control character accepted")
	}
}
