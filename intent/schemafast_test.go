package intent

import (
	"testing"
)

func TestFastEvaluatorCompilesEveryKind(t *testing.T) {
	set, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds() {
		if set.fast[k] == nil {
			t.Errorf("kind %s has no fast evaluator: its schema uses a keyword the fast evaluator lacks", k)
		}
	}
	// Every valid seed is accepted by the fast evaluator (it is not merely
	// deferring everything to the authority).
	for _, s := range agreementSeeds[:1] {
		doc, ierr := parseStrict([]byte(s))
		if ierr != nil || !set.fast[KindInterface].valid(doc) {
			t.Errorf("fast evaluator does not accept %s (%v)", s, ierr)
		}
	}
	for _, s := range []string{
		`{"kind":"static-route","targets":{"devices":["a"]},"spec":{"prefix":"10.20.0.0/16","ensure":"absent"}}`,
		`{"kind":"bgp-neighbor","targets":{"devices":["a"]},"spec":{"address":"10.0.0.2","ensure":"absent"}}`,
		`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"e1-1","ipv4":["10.0.0.1/31"],"ensure":"absent"}}`,
		`{"kind":"static-route","targets":{"devices":["a"]},"spec":{"prefix":"10.20.0.0/16","next_hops":[{"next_hop":"DROP"}],"ensure":"present"}}`,
	} {
		doc, ierr := parseStrict([]byte(s))
		k := Kind(doc.(map[string]any)["kind"].(string))
		if ierr != nil || !set.fast[k].valid(doc) {
			t.Errorf("fast evaluator does not accept %s (%v)", s, ierr)
		}
	}
	if _, err := compileFast(map[string]any{"oneOf": []any{}}); err == nil {
		t.Error("compileFast accepted an unsupported keyword")
	}
}

var agreementSeeds = []string{
	`{"id":"x","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth1","mtu":9000}}`,
	`{"kind":"interface","targets":{"devices":["leaf1","leaf1"]},"spec":{"name":"eth1","mtu":9000}}`,
	`{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth1","mtu":9000.5}}`,
	`{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth1","mtu":9e3}}`,
	`{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth1","mtu":9216.0000}}`,
	`{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth1","mtu":9217}}`,
	`{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth1","ipv4":["10.0.0.1/24","10.0.0.1/24"]}}`,
	`{"kind":"interface","targets":{"selector":{"role":"leaf"}},"spec":{"name":"eth1","description":"ünïcödé"}}`,
	`{"kind":"static-route","targets":{"devices":["a"]},"spec":{"prefix":"0.0.0.0/0","next_hops":[{"next_hop":"DROP"}]}}`,
	`{"kind":"bgp-neighbor","targets":{"devices":["a"]},"spec":{"address":"10.0.0.0","peer_as":4294967295}}`,
	`{"kind":"bgp-neighbor","targets":{"devices":["a"]},"spec":{"address":"10.0.0.0","peer_as":4294967296}}`,
	`{"kind":"slo","targets":{"devices":["a"]},"spec":{"metric":"link.loss.pct","comparison":"<","target":-1e-9,"window":"1m"}}`,
	`{"kind":"slo","targets":{"devices":["a"]},"spec":{"metric":"link.loss.pct","comparison":"<","target":1,"window":"1m","extra":1}}`,
	`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"eth1","enabled":true},"options":{"dry_run":null}}`,
	`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"eth1","enabled":true},"assure":[{"metric":"if.in.bps","comparison":">","target":0}]}`,
	`{"kind":"static-route","targets":{"devices":["a"]},"spec":{"prefix":"10.20.0.0/16","ensure":"absent"}}`,
	`{"kind":"static-route","targets":{"devices":["a"]},"spec":{"prefix":"10.20.0.0/16","ensure":"absent","next_hops":[{"next_hop":"DROP"}]}}`,
	`{"kind":"static-route","targets":{"devices":["a"]},"spec":{"prefix":"10.20.0.0/16"}}`,
	`{"kind":"bgp-neighbor","targets":{"devices":["a"]},"spec":{"address":"10.0.0.2","ensure":"absent"}}`,
	`{"kind":"bgp-neighbor","targets":{"devices":["a"]},"spec":{"address":"10.0.0.2","ensure":"absent","local_as":1}}`,
	`{"kind":"bgp-neighbor","targets":{"devices":["a"]},"spec":{"address":"10.0.0.2"}}`,
	`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"e1-1","ipv4":["10.0.0.1/31"],"ensure":"absent"}}`,
	`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"e1-1","ensure":"absent"}}`,
	`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"e1-1","ipv4":[],"ensure":"absent"}}`,
	`{"kind":"interface","targets":{"devices":["a"]},"spec":{"name":"e1-1","ipv4":["10.0.0.1/31"],"mtu":1500,"ensure":"absent"}}`,
}

// FuzzSchemaAgreement: the fast evaluator never accepts a document the
// authority (santhosh-tekuri/jsonschema) refuses.
func FuzzSchemaAgreement(f *testing.F) {
	for _, s := range agreementSeeds {
		f.Add([]byte(s))
	}
	set, err := loadSchemas()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, ierr := parseStrict(data)
		if ierr != nil {
			return
		}
		for _, k := range Kinds() {
			if set.fast[k].valid(doc) {
				if err := set.compiled[k].Validate(doc); err != nil {
					t.Fatalf("fast evaluator accepts as %s what the authority refuses: %v\n%s", k, err, data)
				}
			}
		}
	})
}
