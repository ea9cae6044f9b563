package rest_test

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/rest"
)

const (
	env   = `"kind":"interface","targets":{"devices":["leaf1"]}`
	route = `"kind":"static-route","targets":{"devices":["leaf1"]}`
	bgp   = `"kind":"bgp-neighbor","targets":{"devices":["leaf1"]}`
	slo   = `"kind":"slo","targets":{"devices":["leaf1"]}`
)

// badIntents are refused with a 4xx, each problem pointing at the member
// at fault, and nothing is stored.
var badIntents = []struct {
	name        string
	contentType string
	body        string
	status      int
	pointers    []string
}{
	{"empty body", "", ``, 400, []string{""}},
	{"only whitespace", "", " \n\t", 400, []string{""}},
	{"not json", "", `shut down eth1`, 400, []string{""}},
	{"trailing data", "", `{` + env + `,"spec":{"name":"eth1","mtu":9000}} {}`, 400, []string{""}},
	{"truncated", "", `{` + env + `,"spec":{"name":"eth1"`, 400, []string{"/spec"}},
	{"duplicate key", "", `{` + env + `,"kind":"slo","spec":{"name":"eth1","mtu":9000}}`, 400, []string{"/kind"}},
	{"duplicate nested key", "", `{` + env + `,"spec":{"name":"eth1","mtu":9000,"mtu":1500}}`, 400, []string{"/spec/mtu"}},
	{"deep nesting", "", `{` + env + `,"spec":{"name":"eth1","mtu":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}`, 400,
		[]string{"/spec/mtu" + strings.Repeat("/0", 30)}},
	{"invalid utf-8", "", `{` + env + `,"spec":{"name":"eth1","description":"` + "\xff\xfe" + `"}}`, 400, []string{"/spec/description"}},
	{"leading zero", "", `{` + env + `,"spec":{"name":"eth1","mtu":09000}}`, 400, []string{"/spec/mtu"}},
	{"10 MB body", "", `{` + env + `,"spec":{"name":"eth1","description":"` + strings.Repeat("x", 10<<20) + `"}}`, 413, []string{""}},
	{"not json content type", "text/plain", `{` + env + `,"spec":{"name":"eth1","mtu":9000}}`, 415, []string{""}},
	{"array document", "", `[{` + env + `,"spec":{"name":"eth1","mtu":9000}}]`, 422, []string{""}},
	{"missing kind", "", `{"targets":{"devices":["leaf1"]},"spec":{"name":"eth1","mtu":9000}}`, 422, []string{"/kind"}},
	{"unknown kind", "", `{"kind":"vlan","targets":{"devices":["leaf1"]},"spec":{"id":10}}`, 422, []string{"/kind"}},
	{"missing targets", "", `{"kind":"interface","spec":{"name":"eth1","mtu":9000}}`, 422, []string{"/targets"}},
	{"missing spec", "", `{` + env + `}`, 422, []string{"/spec"}},
	{"empty targets", "", `{"kind":"interface","targets":{},"spec":{"name":"eth1","mtu":9000}}`, 422, []string{"/targets"}},
	{"devices and selector", "", `{"kind":"interface","targets":{"devices":["leaf1"],"selector":{"role":"leaf"}},"spec":{"name":"eth1","mtu":9000}}`, 422, []string{"/targets"}},
	{"no devices", "", `{"kind":"interface","targets":{"devices":[]},"spec":{"name":"eth1","mtu":9000}}`, 422, []string{"/targets/devices"}},
	{"device not a string", "", `{"kind":"interface","targets":{"devices":[7]},"spec":{"name":"eth1","mtu":9000}}`, 422, []string{"/targets/devices/0"}},
	{"unknown member", "", `{` + env + `,"spec":{"name":"eth1","mtu":9000},"colour":"blue"}`, 422, []string{"/colour"}},
	{"unknown spec member", "", `{` + env + `,"spec":{"name":"eth1","speed":"100G"}}`, 422, []string{"/spec/speed"}},
	{"mtu is a string", "", `{` + env + `,"spec":{"name":"eth1","mtu":"9000"}}`, 422, []string{"/spec/mtu"}},
	{"mtu too large", "", `{` + env + `,"spec":{"name":"eth1","mtu":70000}}`, 422, []string{"/spec/mtu"}},
	{"mtu too small", "", `{` + env + `,"spec":{"name":"eth1","mtu":10}}`, 422, []string{"/spec/mtu"}},
	{"mtu fractional", "", `{` + env + `,"spec":{"name":"eth1","mtu":1500.5}}`, 422, []string{"/spec/mtu"}},
	{"enabled is a string", "", `{` + env + `,"spec":{"name":"eth1","enabled":"yes"}}`, 422, []string{"/spec/enabled"}},
	{"nothing to set", "", `{` + env + `,"spec":{"name":"eth1"}}`, 422, []string{"/spec"}},
	{"prefix length 33", "", `{` + env + `,"spec":{"name":"eth1","ipv4":["10.0.0.1/33"]}}`, 422, []string{"/spec/ipv4/0"}},
	{"octet 300", "", `{` + env + `,"spec":{"name":"eth1","ipv4":["300.1.1.1/24"]}}`, 422, []string{"/spec/ipv4/0"}},
	{"several problems at once", "", `{` + env + `,"spec":{"name":"eth1","mtu":70000,"speed":1,"ipv4":["x"]},"options":{"soak":"5 minutes"}}`, 422,
		[]string{"/options/soak", "/spec/ipv4/0", "/spec/mtu", "/spec/speed"}},
	{"route prefix without length", "", `{` + route + `,"spec":{"prefix":"10.0.0.0","next_hops":[{"next_hop":"10.0.0.0"}]}}`, 422, []string{"/spec/prefix"}},
	{"route host bits", "", `{` + route + `,"spec":{"prefix":"192.0.2.1/24","next_hops":[{"next_hop":"10.0.0.0"}]}}`, 422, []string{"/spec/prefix"}},
	{"route without next hops", "", `{` + route + `,"spec":{"prefix":"192.0.2.0/24","next_hops":[]}}`, 422, []string{"/spec/next_hops"}},
	{"bad next hop", "", `{` + route + `,"spec":{"prefix":"192.0.2.0/24","next_hops":[{"next_hop":"1.2.3"}]}}`, 422, []string{"/spec/next_hops/0/next_hop"}},
	{"peer as zero", "", `{` + bgp + `,"spec":{"address":"10.0.0.0","peer_as":0}}`, 422, []string{"/spec/peer_as"}},
	{"peer as too large", "", `{` + bgp + `,"spec":{"address":"10.0.0.0","peer_as":4294967296}}`, 422, []string{"/spec/peer_as"}},
	{"peer as missing", "", `{` + bgp + `,"spec":{"address":"10.0.0.0"}}`, 422, []string{"/spec/peer_as"}},
	{"unknown metric", "", `{` + slo + `,"spec":{"metric":"vibes","comparison":"<","target":1,"window":"1m"}}`, 422, []string{"/spec/metric"}},
	{"slo without window", "", `{` + slo + `,"spec":{"metric":"link.latency.ms","comparison":"<","target":1}}`, 422, []string{"/spec/window"}},
	{"dry_run is a string", "", `{` + env + `,"spec":{"name":"eth1","mtu":9000},"options":{"dry_run":"true"}}`, 422, []string{"/options/dry_run"}},
	{"id with a space", "", `{"id":"my intent",` + env + `,"spec":{"name":"eth1","mtu":9000}}`, 422, []string{"/id"}},
	{"unknown device", "", `{"kind":"interface","targets":{"devices":["leaf9"]},"spec":{"name":"eth1","mtu":9000}}`, 422, []string{"/targets/devices/0"}},
	{"selector matches nothing", "", `{"kind":"interface","targets":{"selector":{"role":"border"}},"spec":{"name":"eth1","mtu":9000}}`, 422, []string{"/targets/selector"}},
	{"interface does not exist", "", `{` + env + `,"spec":{"name":"eth9","mtu":9000}}`, 422, []string{"/spec/name"}},
	{"address conflict", "", `{` + env + `,"spec":{"name":"eth2","ipv4":["10.0.0.1/31"]}}`, 422, []string{"/spec/ipv4/0"}},
	{"neighbour is own address", "", `{` + bgp + `,"spec":{"address":"10.0.0.1","peer_as":65010}}`, 422, []string{"/spec/address"}},
}

func TestBadIntentsAreRefusedAndNotStored(t *testing.T) {
	if len(badIntents) < 30 {
		t.Fatalf("only %d bad intents; the table needs at least 30", len(badIntents))
	}
	s := newServer(t, true)
	for _, tt := range badIntents {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			for _, path := range []string{"/v1/intents", "/v1/intents:plan"} {
				r := s.do(t, "POST", path, ct, []byte(tt.body))
				if r.status != tt.status {
					t.Errorf("%s: status %d, want %d: %s", path, r.status, tt.status, r.body)
				}
				if got := r.header.Get("Content-Type"); got != "application/problem+json" {
					t.Errorf("%s: Content-Type %q, want application/problem+json", path, got)
				}
				var p rest.Problem
				if err := json.Unmarshal(r.body, &p); err != nil {
					t.Fatalf("%s: problem body: %v: %s", path, err, r.body)
				}
				if p.Status != tt.status || p.Type == "" || p.Title == "" {
					t.Errorf("%s: problem %+v lacks status, type or title", path, p)
				}
				var got []string
				for _, e := range p.Errors {
					got = append(got, e.Pointer)
					if e.Reason == "" {
						t.Errorf("%s: problem at %q has no reason", path, e.Pointer)
					}
				}
				sort.Strings(got)
				if diff := cmp.Diff(tt.pointers, got); diff != "" {
					t.Errorf("%s: pointers (-want +got):\n%s\n%s", path, diff, truncate(r.body))
				}
			}
		})
	}
	page, err := s.svc.List(context.Background(), intent.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 0 {
		t.Errorf("%d records stored after refusing every intent", len(page.Records))
	}
	for _, d := range []string{"leaf1", "leaf2", "spine1"} {
		if n, _ := s.net.Applied(d); n != 0 || !s.net.Config(d).Equal(intenttest.Lab().Config(d)) {
			t.Errorf("%s was changed by refused intents", d)
		}
	}
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}
