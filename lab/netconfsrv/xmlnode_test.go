package netconfsrv

import (
	"bytes"
	"encoding/xml"
	"testing"
)

// sameNode reports whether a and b hold the same element (nil and empty
// slices alike).
func sameNode(a, b *node) bool {
	if a.XMLName != b.XMLName || a.Text != b.Text || !bytes.Equal(a.Inner, b.Inner) ||
		len(a.Attrs) != len(b.Attrs) || len(a.Children) != len(b.Children) {
		return false
	}
	for i := range a.Attrs {
		if a.Attrs[i] != b.Attrs[i] {
			return false
		}
	}
	for i := range a.Children {
		if !sameNode(&a.Children[i], &b.Children[i]) {
			return false
		}
	}
	return true
}

var nodeSeeds = []string{
	`<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source></get-config></rpc>`,
	`<?xml version="1.0"?>` + "\n" + `<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><edit-config><target><candidate/></target><config><interfaces xmlns="http://openconfig.net/yang/interfaces"><interface xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="merge"><name>e1</name><config><mtu> 9000 </mtu><description>a &amp; b <![CDATA[<c>]]></description></config></interface></interfaces></config></edit-config></rpc>`,
	`<nc:rpc xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:message-id="3"><nc:commit><!-- now --><nc:confirmed/>  text  <nc:persist-id>tx-1</nc:persist-id></nc:commit></nc:rpc>trailing`,
	`<a><b>1</b>mixed<c/><b>2</b></a>`,
}

// TestParseNode: the hand-written parser reads RPCs exactly as
// xml.Unmarshal did.
func TestParseNode(t *testing.T) {
	for _, s := range nodeSeeds {
		var want node
		werr := xml.Unmarshal([]byte(s), &want)
		got, gerr := parseNode([]byte(s))
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%s: error %v, xml.Unmarshal %v", s, gerr, werr)
		}
		if werr == nil && !sameNode(&got, &want) {
			t.Fatalf("%s:\ngot  %+v\nwant %+v", s, got, want)
		}
	}
}

// FuzzParseNode: on any input the parser agrees with xml.Unmarshal (both
// refuse it, or both read the same node).
func FuzzParseNode(f *testing.F) {
	for _, s := range nodeSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`<a><b></a>`))
	f.Add([]byte(`<a x="1" x="2"/>`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		var want node
		werr := xml.Unmarshal(msg, &want)
		got, gerr := parseNode(msg)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%q: error %v, xml.Unmarshal %v", msg, gerr, werr)
		}
		if werr == nil && !sameNode(&got, &want) {
			t.Fatalf("%q:\ngot  %+v\nwant %+v", msg, got, want)
		}
	})
}
