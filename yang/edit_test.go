package yang

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const ocIf = `xmlns="http://openconfig.net/yang/interfaces"`
const nc = `xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"`

func TestApplyEdit(t *testing.T) {
	start := []string{eth1 + "/config/mtu = 1500", eth1 + "/config/description = old"}
	tests := []struct {
		name      string
		edit      string
		defaultOp string
		want      []string // resulting tree; nil with wantTag
		wantTag   string
	}{
		{name: "merge sets a leaf", edit: `<interfaces ` + ocIf + `><interface><name>eth1</name><config><mtu>9000</mtu></config></interface></interfaces>`,
			want: []string{eth1 + "/config/mtu = 9000", eth1 + "/config/description = old"}},
		{name: "replace drops what is not given", edit: `<interfaces ` + ocIf + `><interface ` + nc + ` nc:operation="replace"><name>eth1</name><config><mtu>9000</mtu></config></interface></interfaces>`,
			want: []string{eth1 + "/config/mtu = 9000"}},
		{name: "default-operation replace", defaultOp: "replace", edit: `<interfaces ` + ocIf + `><interface><name>eth2</name></interface></interfaces>`,
			want: []string{"/interfaces/interface[name=eth2]/config/name = eth2"}},
		{name: "create an existing entry", edit: `<interfaces ` + ocIf + `><interface ` + nc + ` nc:operation="create"><name>eth1</name></interface></interfaces>`,
			wantTag: "data-exists"},
		{name: "create a new entry", edit: `<interfaces ` + ocIf + `><interface ` + nc + ` nc:operation="create"><name>eth2</name><config><mtu>9000</mtu></config></interface></interfaces>`,
			want: append(append([]string{}, start...), "/interfaces/interface[name=eth2]/config/mtu = 9000")},
		{name: "delete a missing entry", edit: `<interfaces ` + ocIf + `><interface ` + nc + ` nc:operation="delete"><name>eth9</name></interface></interfaces>`,
			wantTag: "data-missing"},
		{name: "remove a missing entry is fine", edit: `<interfaces ` + ocIf + `><interface ` + nc + ` nc:operation="remove"><name>eth9</name></interface></interfaces>`,
			want: start},
		{name: "delete a leaf", edit: `<interfaces ` + ocIf + `><interface><name>eth1</name><config><description ` + nc + ` nc:operation="delete"/></config></interface></interfaces>`,
			want: []string{eth1 + "/config/mtu = 1500"}},
		{name: "none only navigates", defaultOp: "none", edit: `<interfaces ` + ocIf + `><interface><name>eth1</name><config><mtu>42</mtu><description ` + nc + ` nc:operation="merge">new</description></config></interface></interfaces>`,
			want: []string{eth1 + "/config/mtu = 1500", eth1 + "/config/description = new"}},
		{name: "deleting a key alone", edit: `<interfaces ` + ocIf + `><interface><name>eth1</name><config><name ` + nc + ` nc:operation="delete"/></config></interface></interfaces>`,
			wantTag: "invalid-value"},
		{name: "key mismatch", edit: `<interfaces ` + ocIf + `><interface><name>eth1</name><config><name>eth2</name></config></interface></interfaces>`,
			wantTag: "invalid-value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := DecodeEdit([]byte(tc.edit))
			if err != nil {
				t.Fatalf("DecodeEdit: %v", err)
			}
			tr := tree(t, start...)
			err = tr.ApplyEdit(e, tc.defaultOp)
			if tc.wantTag != "" {
				var ee *EditError
				if !errors.As(err, &ee) || ee.Tag != tc.wantTag {
					t.Fatalf("ApplyEdit error = %v, want tag %s", err, tc.wantTag)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertTree(t, tree(t, tc.want...), tr)
		})
	}
}

func TestDecodeEditErrors(t *testing.T) {
	tests := []struct {
		name, edit, tag, path string
	}{
		{"malformed", `<interfaces ` + ocIf + `><interface>`, "malformed-message", ""},
		{"unknown top element", `<system xmlns="http://openconfig.net/yang/system"/>`, "unknown-element", "/system"},
		{"wrong namespace", `<interfaces xmlns="urn:example"/>`, "unknown-namespace", "/interfaces"},
		{"unknown leaf", `<interfaces ` + ocIf + `><interface><name>eth1</name><config><speed>10</speed></config></interface></interfaces>`, "unknown-element", "/interfaces/interface[name=eth1]/config/speed"},
		{"missing key", `<interfaces ` + ocIf + `><interface><config><mtu>1</mtu></config></interface></interfaces>`, "missing-element", "/interfaces/interface"},
		{"bad value", `<interfaces ` + ocIf + `><interface><name>eth1</name><config><mtu>big</mtu></config></interface></interfaces>`, "invalid-value", "/interfaces/interface[name=eth1]/config/mtu"},
		{"bad operation", `<interfaces ` + ocIf + ` ` + nc + ` nc:operation="frobnicate"/>`, "bad-attribute", "/interfaces"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeEdit([]byte(tc.edit))
			var ee *EditError
			if !errors.As(err, &ee) {
				t.Fatalf("DecodeEdit error = %v, want *EditError", err)
			}
			if ee.Tag != tc.tag || ee.Path != tc.path {
				t.Errorf("got tag %q path %q, want %q %q (%v)", ee.Tag, ee.Path, tc.tag, tc.path, err)
			}
		})
	}
}

func TestFilterXML(t *testing.T) {
	full := tree(t, eth1+"/config/mtu = 1500", eth1+"/config/description = a",
		"/interfaces/interface[name=eth2]/config/mtu = 9000",
		route1+"/next-hops/next-hop[index=0]/config/next-hop = 10.0.0.254")
	tests := []struct {
		name, filter string
		want         []string
	}{
		{name: "whole container", filter: `<interfaces ` + ocIf + `/>`,
			want: []string{eth1 + "/config/mtu = 1500", eth1 + "/config/description = a", "/interfaces/interface[name=eth2]/config/mtu = 9000"}},
		{name: "content match on key", filter: `<interfaces ` + ocIf + `><interface><name>eth2</name></interface></interfaces>`,
			want: []string{"/interfaces/interface[name=eth2]/config/mtu = 9000"}},
		{name: "selection within a match", filter: `<filter type="subtree"><interfaces ` + ocIf + `><interface><name>eth1</name><config><mtu/></config></interface></interfaces></filter>`,
			want: []string{eth1 + "/config/mtu = 1500"}},
		{name: "no match", filter: `<interfaces ` + ocIf + `><interface><name>eth7</name></interface></interfaces>`, want: nil},
		{name: "empty filter", filter: ``, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FilterXML(full, []byte(tc.filter))
			if err != nil {
				t.Fatal(err)
			}
			want := tree(t, tc.want...)
			if tc.name == "selection within a match" {
				// Keys of selected entries come along, their config/ copies only when selected.
				want.Delete(MustParsePath(eth1 + "/config/name"))
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
