package fileintake

import (
	"testing"

	"github.com/netagent/netagent/intent"
)

// FuzzDecodeFile: file decoding never panics; it returns a report or
// intents that each decode again from their canonical form with the same id.
func FuzzDecodeFile(f *testing.F) {
	f.Add("a.json", []byte(`{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth1","mtu":9000}}`))
	f.Add("b.json", []byte(`[{"id":"x","kind":"slo","targets":{"devices":["a"]},"spec":{"metric":"link.loss.pct","comparison":"<","target":1,"window":"1m"}}]`))
	f.Add("c.yaml", []byte("id: y\nkind: interface\ntargets: {devices: [a]}\nspec: {name: eth1, enabled: false}\n---\n- {kind: bgp-neighbor, targets: {devices: [a]}, spec: {address: 10.0.0.0, peer_as: 1}}\n"))
	f.Add("d.yaml", []byte("a: &x [*x]\n"))
	f.Add("e.yml", []byte("{1: 2}"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		ins, report := decodeFile(name, data)
		if report != "" {
			return
		}
		if len(ins) == 0 {
			t.Fatal("no report and no intents")
		}
		for i, in := range ins {
			again, err := intent.Decode(in.Canonical())
			if err != nil || again.ID != in.ID || in.ID == "" {
				t.Fatalf("intent %d: %v (id %q -> %v)", i, err, in.ID, again)
			}
		}
	})
}
