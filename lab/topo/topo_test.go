package topo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	src := `name: t1
topology:
  defaults:
    labels: {pod: "1"}
  kinds:
    nokia_srlinux: {image: srl:1, labels: {vendor: nokia}}
  nodes:
    leaf1:
      kind: nokia_srlinux
      labels: {role: leaf}
    leaf2: {kind: linux, image: frr:10}
  links:
    - endpoints: ["leaf1:e1-1", "leaf2:eth1"]
`
	got, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Topology{
		Name: "t1",
		Nodes: []Node{
			{Name: "leaf1", Kind: "nokia_srlinux", Image: "srl:1", Labels: map[string]string{"pod": "1", "vendor": "nokia", "role": "leaf"}, Line: 8},
			{Name: "leaf2", Kind: "linux", Image: "frr:10", Labels: map[string]string{"pod": "1"}, Line: 11},
		},
		Links: []Link{{A: Endpoint{"leaf1", "e1-1"}, B: Endpoint{"leaf2", "eth1"}, Type: LinkVeth, Line: 13}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		src      string
		wantLine int
		strict   bool
	}{
		{"unknown kind (strict)", "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n    b:\n      kind: toaster\n", 6, true},
		{"undefined group (strict)", "name: x\ntopology:\n  defaults: {kind: linux}\n  nodes:\n    a: {group: nope}\n", 5, true},
		{"unknown link type (strict)", "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - type: wormhole\n      endpoint: {node: a, interface: e1}\n", 6, true},
		{"group without kind", "name: x\ntopology:\n  groups:\n    g: {image: alpine}\n  nodes:\n    a: {group: g}\n", 6, false},
		{"host link without node end", "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - endpoints: [\"host:x\", \"mgmt-net:y\"]\n", 6, false},
		{"extended host link without host-interface", "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - type: host\n      endpoint: {node: a, interface: e1}\n", 6, false},
		{"vxlan without vni", "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - type: vxlan\n      remote: 192.0.2.1\n      endpoint: {node: a, interface: e1}\n", 6, false},
		{"veth to unknown node", "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - type: veth\n      endpoints:\n        - {node: a, interface: e1}\n        - {node: b, interface: e1}\n", 9, false},
		{"labels not a mapping", "name: x\ntopology:\n  nodes:\n    a:\n      kind: linux\n      labels: [a, b]\n", 6, false},
		{"duplicate node", "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n    a: {kind: linux}\n", 5, false},
		{"no kind", "name: x\ntopology:\n  nodes:\n    a: {image: foo}\n", 4, false},
		{"link to unknown node", "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - endpoints: [\"a:e1\", \"b:e1\"]\n", 6, false},
		{"endpoint used twice", "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n    b: {kind: linux}\n  links:\n    - endpoints: [\"a:e1\", \"b:e1\"]\n    - endpoints: [\"a:e1\", \"b:e2\"]\n", 8, false},
		{"bad endpoint", "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - endpoints: [\"a\", \"a:e2\"]\n", 6, false},
		{"no name", "topology:\n  nodes:\n    a: {kind: linux}\n", 1, false},
		{"not yaml", "name: [x\n", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Options{Strict: tc.strict}.Parse([]byte(tc.src))
			var te *Error
			if !errors.As(err, &te) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse: got %v, want a *topo.Error", err)
			}
			if te.Line != tc.wantLine {
				t.Errorf("line: got %d, want %d (%v)", te.Line, tc.wantLine, err)
			}
		})
	}
}

func TestShippedTopologies(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../topologies/*.clab.yml")
	if len(files) < 2 {
		t.Fatalf("want the shipped topologies, found %v", files)
	}
	for _, f := range files {
		tp, err := ReadFile(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(tp.Nodes) < 2 || len(tp.Links) < 1 {
			t.Errorf("%s: %d nodes, %d links", f, len(tp.Nodes), len(tp.Links))
		}
	}
	tp, err := ReadFile("../topologies/leaf-spine.clab.yml")
	if err != nil {
		t.Fatal(err)
	}
	if got := tp.Interfaces("leaf1"); !cmp.Equal(got, []string{"e1-49", "e1-50"}) {
		t.Errorf("leaf1 interfaces: %v", got)
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2, 6, 50, 1000} {
		b, err := Generate("gen", n)
		if err != nil {
			t.Fatal(err)
		}
		tp, err := Parse(b)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if len(tp.Nodes) != n {
			t.Errorf("n=%d: got %d nodes", n, len(tp.Nodes))
		}
	}
	if _, err := Generate("gen", 1); err == nil {
		t.Error("Generate 1 node: want an error")
	}
}

// FuzzParse: the parser never panics; what it accepts has known kinds,
// unique nodes and links between existing nodes, and errors carry a line.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../topologies/*.clab.yml")
	more, _ := filepath.Glob("../testdata/clab/*.clab.yml")
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n    a: {kind: linux}\n"))
	f.Add([]byte("name: x\ntopology:\n  nodes:\n    a: {kind: toaster}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		tp, err := Parse(src)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error is not ErrInvalid: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		warned := map[string]bool{}
		for _, w := range tp.Warnings {
			warned[w.Node] = true
		}
		for _, n := range tp.Nodes {
			if n.Kind == "" || seen[n.Name] || !validName(n.Name) || (!KnownKind(n.Kind) && !warned[n.Name]) {
				t.Fatalf("accepted bad node %+v", n)
			}
			seen[n.Name] = true
		}
		for _, l := range tp.Links {
			if !seen[l.A.Node] || (!l.External() && !seen[l.B.Node]) {
				t.Fatalf("accepted link to an unknown node: %+v", l)
			}
		}
		if _, err := (Options{Strict: true}).Parse(src); err == nil && len(tp.Warnings) > 0 {
			t.Fatalf("strict accepted what has warnings: %v", tp.Warnings)
		}
	})
}

func TestEnds(t *testing.T) {
	t.Parallel()
	a1, a2, b1, c1 := Endpoint{"a", "e1"}, Endpoint{"a", "e2"}, Endpoint{"b", "e1"}, Endpoint{"c", "e1"}
	tp := &Topology{Links: []Link{{A: a1, B: b1}, {A: c1, B: a2}, {A: b1, B: c1}}}
	want := []LinkEnd{{Link: 0, Side: 0, Local: a1, Peer: b1}, {Link: 1, Side: 1, Local: a2, Peer: c1}}
	if d := cmp.Diff(want, tp.Ends("a")); d != "" {
		t.Errorf("Ends(a) (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"e1", "e2"}, tp.Interfaces("a")); d != "" {
		t.Errorf("Interfaces(a) (-want +got):\n%s", d)
	}
	if got := tp.Ends("z"); len(got) != 0 {
		t.Errorf("Ends(z) = %v", got)
	}
}
