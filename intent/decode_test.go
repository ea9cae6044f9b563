package intent_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/intent"
)

func ptr[T any](v T) *T { return &v }

func TestDecodeGood(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *intent.Intent
	}{
		{
			name: "interface with everything",
			in: `{"id":"a.b:c@d-1","kind":"interface","targets":{"devices":["leaf1","leaf2"]},
				"spec":{"name":"ethernet-1/1","type":"ethernetCsmacd","enabled":false,"description":"up\u00e9","mtu":9000.0,"subinterface":0,"ipv4":["10.0.0.1/31"]},
				"assure":[{"metric":"if.oper.status","comparison":"==","target":1}],
				"options":{"dry_run":true,"confirm_timeout":"1m30s","atomic":false,"soak":"500ms"},"requester":"noc"}`,
			want: &intent.Intent{ID: "a.b:c@d-1", Kind: intent.KindInterface, Targets: intent.Targets{Devices: []string{"leaf1", "leaf2"}},
				Spec:    &intent.InterfaceSpec{Name: "ethernet-1/1", Type: "ethernetCsmacd", Enabled: ptr(false), Description: ptr("upé"), MTU: ptr(uint64(9000)), IPv4: []string{"10.0.0.1/31"}},
				Assure:  []intent.Objective{{Metric: "if.oper.status", Comparison: "==", Target: 1}},
				Options: intent.Options{DryRun: true, ConfirmTimeout: intent.Duration(90e9), Atomic: ptr(false), Soak: intent.Duration(5e8)}, Requester: "noc"},
		},
		{
			name: "static route by selector",
			in:   `{"kind":"static-route","targets":{"selector":{"role":"leaf","pod":"1"}},"spec":{"prefix":"0.0.0.0/0","next_hops":[{"next_hop":"DROP"},{"index":"x","interface":"eth1"}]}}`,
			want: &intent.Intent{Kind: intent.KindStaticRoute, Targets: intent.Targets{Selector: map[string]string{"role": "leaf", "pod": "1"}},
				Spec: &intent.StaticRouteSpec{Prefix: "0.0.0.0/0", NextHops: []intent.NextHop{{NextHop: "DROP"}, {Index: "x", Interface: "eth1"}}}},
		},
		{
			name: "bgp",
			in:   `{"kind":"bgp-neighbor","targets":{"devices":["spine1"]},"spec":{"address":"10.0.0.0","peer_as":4294967295,"local_as":65001,"router_id":"1.1.1.1","enabled":true,"description":""}}`,
			want: &intent.Intent{Kind: intent.KindBGPNeighbor, Targets: intent.Targets{Devices: []string{"spine1"}},
				Spec: &intent.BGPNeighborSpec{Address: "10.0.0.0", PeerAS: 4294967295, LocalAS: 65001, RouterID: "1.1.1.1", Enabled: ptr(true), Description: ptr("")}},
		},
		{
			name: "slo",
			in:   `{"kind":"slo","targets":{"devices":["leaf1"]},"spec":{"metric":"link.loss.pct","comparison":"<=","target":0.5,"window":"10m","scope":{"interface":"eth1","peer":"10.0.0.0"}}}`,
			want: &intent.Intent{Kind: intent.KindSLO, Targets: intent.Targets{Devices: []string{"leaf1"}},
				Spec: &intent.Objective{Metric: "link.loss.pct", Comparison: "<=", Target: 0.5, Window: intent.Duration(600e9), Scope: intent.Scope{Interface: "eth1", Peer: "10.0.0.0"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := intent.Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Decode (-want +got):\n%s", diff)
			}
			// The canonical form decodes to the same intent.
			again, err := intent.Decode(got.Canonical())
			if err != nil {
				t.Fatalf("Decode(Canonical): %v\n%s", err, got.Canonical())
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("canonical round trip (-first +second):\n%s", diff)
			}
		})
	}
}

func TestDecodeStages(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		stage    intent.Stage
		sentinel error
	}{
		{"syntax", `{"kind":`, intent.StageSyntax, intent.ErrMalformed},
		{"too large", `{"description":"` + strings.Repeat("x", intent.MaxBytes) + `"}`, intent.StageSyntax, intent.ErrTooLarge},
		{"schema", `{"kind":"slo"}`, intent.StageSchema, intent.ErrInvalid},
		{"bad surrogate", `{"kind":"\ud800"}`, intent.StageSyntax, intent.ErrMalformed},
		{"control char", "{\"kind\":\"a\tb\"}", intent.StageSyntax, intent.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := intent.Decode([]byte(tt.in))
			var ie *intent.InvalidError
			if !errors.As(err, &ie) || ie.Stage != tt.stage || !errors.Is(err, tt.sentinel) || !errors.Is(err, intent.ErrInvalid) {
				t.Fatalf("Decode err = %v, want stage %s matching %v", err, tt.stage, tt.sentinel)
			}
		})
	}
}

func TestSchemasServed(t *testing.T) {
	for _, k := range intent.Kinds() {
		doc, ok := intent.Schema(k)
		if !ok || !bytes.Contains(doc, []byte(`"https://json-schema.org/draft/2020-12/schema"`)) || !bytes.Contains(doc, []byte(`"const": "`+string(k)+`"`)) {
			t.Errorf("Schema(%s) = ok %v, %.200s", k, ok, doc)
		}
	}
	if _, ok := intent.Schema("vlan"); ok {
		t.Error("Schema(vlan) found")
	}
}

// FuzzDecode: Decode never panics; what it accepts re-encodes canonically
// and decodes to the same intent (parse, print, parse again).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		mtuIntent,
		`{"kind":"static-route","targets":{"selector":{"role":"leaf"}},"spec":{"prefix":"0.0.0.0/0","next_hops":[{"next_hop":"DROP"}]}}`,
		`{"kind":"bgp-neighbor","targets":{"devices":["spine1"]},"spec":{"address":"10.0.0.0","peer_as":65001}}`,
		`{"kind":"slo","targets":{"devices":["leaf1"]},"spec":{"metric":"link.loss.pct","comparison":"<=","target":0.5,"window":"10m"}}`,
		`{"a":1,"a":2}`, `[[[[]]]]`, `{"kind":"interface"} x`, `"\ud83d\ude00"`, `-0.0e+1`, `{"kind":"\u0000"}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := intent.Decode(data)
		if err != nil {
			var ie *intent.InvalidError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("Decode error is not an *InvalidError with problems: %v", err)
			}
			return
		}
		canon := in.Canonical()
		again, err := intent.Decode(canon)
		if err != nil {
			t.Fatalf("Decode(Canonical) failed: %v\n%s", err, canon)
		}
		if !bytes.Equal(canon, again.Canonical()) {
			t.Fatalf("canonical form not stable:\n%s\n%s", canon, again.Canonical())
		}
	})
}
