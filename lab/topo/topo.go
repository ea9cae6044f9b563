package topo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrInvalid is matched (errors.Is) by every *Error this package returns.
var ErrInvalid = errors.New("invalid topology")

// Error is a problem in a topology file, with the line it is on.
type Error struct {
	File string // "" when parsed from bytes
	Line int    // 1-based; 0 when the problem has no single line
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if loc == "" {
		loc = "topology"
	}
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, e.Line)
	}
	return loc + ": " + e.Msg
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Kinds lists the containerlab node kinds the lab can simulate.
var Kinds = []string{
	"nokia_srlinux", "nokia_sros", "arista_ceos", "ceos", "linux", "frr",
	"juniper_crpd", "juniper_vjunosrouter", "juniper_vjunosswitch", "juniper_vmx", "juniper_vqfx", "vr-vmx",
	"cisco_xrd", "cisco_xrv9k", "cisco_csr1000v", "cisco_n9kv", "cumulus_cvx", "sonic-vs", "bridge", "host",
}

// KnownKind reports whether the lab can simulate nodes of kind k.
func KnownKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Topology is a parsed containerlab topology.
type Topology struct {
	Name  string
	Nodes []Node // in file order
	Links []Link // in file order
	File  string // the path it was read from, "" when parsed from bytes
}

// Node is one node of a topology. Kind, Image and Labels inherit the
// topology's defaults and kinds sections as containerlab does.
type Node struct {
	Name   string
	Kind   string
	Image  string
	Labels map[string]string
	Line   int
}

// Endpoint is one end of a link: "leaf1:e1-1".
type Endpoint struct {
	Node      string
	Interface string
}

func (e Endpoint) String() string { return e.Node + ":" + e.Interface }

// Link joins two endpoints.
type Link struct {
	A, B Endpoint
	Line int
}

// Node returns the node called name.
func (t *Topology) Node(name string) (Node, bool) {
	for _, n := range t.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

// LinkEnd is one end of a link, seen from its node.
type LinkEnd struct {
	Link  int // index in Topology.Links
	Side  int // 0 for the link's A end, 1 for its B end
	Local Endpoint
	Peer  Endpoint
}

// Ends returns the link ends on node name, in link order (A before B when
// a link loops back to its node).
func (t *Topology) Ends(name string) []LinkEnd {
	var out []LinkEnd
	for i, l := range t.Links {
		if l.A.Node == name {
			out = append(out, LinkEnd{Link: i, Side: 0, Local: l.A, Peer: l.B})
		}
		if l.B.Node == name {
			out = append(out, LinkEnd{Link: i, Side: 1, Local: l.B, Peer: l.A})
		}
	}
	return out
}

// Interfaces returns the interfaces of node name that links use, sorted.
func (t *Topology) Interfaces(name string) []string {
	var out []string
	for _, e := range t.Ends(name) {
		out = append(out, e.Local.Interface)
	}
	sort.Strings(out)
	return out
}

// ReadFile parses the topology file at path.
func ReadFile(path string) (*Topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read topology: %w", err)
	}
	t, err := parse(data, path)
	if err != nil {
		return nil, err
	}
	t.File = path
	return t, nil
}

// Parse parses a containerlab topology document. Unknown kinds, duplicate
// nodes, links naming unknown nodes and interfaces used twice are refused
// with an *Error naming the line.
func Parse(data []byte) (*Topology, error) { return parse(data, "") }

type kindDefaults struct {
	Kind   string            `yaml:"kind"`
	Image  string            `yaml:"image"`
	Labels map[string]string `yaml:"labels"`
}

func parse(data []byte, file string) (*Topology, error) {
	fail := func(line int, format string, args ...any) error {
		return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fail(0, "%v", te)
		}
		return nil, fail(lineOf(err.Error()), "not YAML: %v", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fail(1, "a topology is a YAML mapping with name and topology")
	}
	root := doc.Content[0]
	t := &Topology{}
	nameNode := mapGet(root, "name")
	if nameNode == nil || nameNode.Value == "" {
		return nil, fail(root.Line, "the topology has no name")
	}
	t.Name = nameNode.Value
	if !validName(t.Name) {
		return nil, fail(nameNode.Line, "name %q: use letters, digits, '-', '_' and '.'", t.Name)
	}
	tn := mapGet(root, "topology")
	if tn == nil || tn.Kind != yaml.MappingNode {
		return nil, fail(root.Line, "the topology has no topology section")
	}
	var defaults kindDefaults
	if d := mapGet(tn, "defaults"); d != nil {
		if err := d.Decode(&defaults); err != nil {
			return nil, fail(d.Line, "defaults: %v", err)
		}
	}
	kinds := map[string]kindDefaults{}
	if k := mapGet(tn, "kinds"); k != nil {
		if err := k.Decode(&kinds); err != nil {
			return nil, fail(k.Line, "kinds: %v", err)
		}
	}
	nodes := mapGet(tn, "nodes")
	if nodes == nil || nodes.Kind != yaml.MappingNode || len(nodes.Content) == 0 {
		return nil, fail(tn.Line, "the topology has no nodes")
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(nodes.Content); i += 2 {
		kn, vn := nodes.Content[i], nodes.Content[i+1]
		name := kn.Value
		if !validName(name) {
			return nil, fail(kn.Line, "node name %q: use letters, digits, '-', '_' and '.'", name)
		}
		if first, dup := seen[name]; dup {
			return nil, fail(kn.Line, "duplicate node %q (first defined on line %d)", name, first)
		}
		seen[name] = kn.Line
		var nd kindDefaults
		if vn.Kind == yaml.MappingNode {
			if err := vn.Decode(&nd); err != nil {
				return nil, fail(vn.Line, "node %s: %v", name, err)
			}
		} else if vn.Tag != "!!null" {
			return nil, fail(vn.Line, "node %s: a node is a mapping (kind, image, labels)", name)
		}
		n := Node{Name: name, Kind: nd.Kind, Image: nd.Image, Line: kn.Line, Labels: map[string]string{}}
		if n.Kind == "" {
			n.Kind = defaults.Kind
		}
		kd := kinds[n.Kind]
		if n.Image == "" {
			n.Image = kd.Image
		}
		if n.Image == "" {
			n.Image = defaults.Image
		}
		for _, src := range []map[string]string{defaults.Labels, kd.Labels, nd.Labels} {
			for k, v := range src {
				n.Labels[k] = v
			}
		}
		line := kn.Line
		if kl := mapGet(vn, "kind"); kl != nil {
			line = kl.Line
		}
		if n.Kind == "" {
			return nil, fail(line, "node %s has no kind", name)
		}
		if !KnownKind(n.Kind) {
			return nil, fail(line, "node %s: unknown kind %q (known: %s)", name, n.Kind, strings.Join(Kinds, ", "))
		}
		t.Nodes = append(t.Nodes, n)
	}
	if ln := mapGet(tn, "links"); ln != nil {
		if ln.Kind != yaml.SequenceNode {
			return nil, fail(ln.Line, "links is a list")
		}
		used := map[Endpoint]int{}
		for _, item := range ln.Content {
			eps := mapGet(item, "endpoints")
			if eps == nil || eps.Kind != yaml.SequenceNode || len(eps.Content) != 2 {
				return nil, fail(item.Line, "a link needs endpoints: [\"node:if\", \"node:if\"]")
			}
			var ends [2]Endpoint
			for j, e := range eps.Content {
				node, ifname, ok := strings.Cut(e.Value, ":")
				if !ok || node == "" || ifname == "" {
					return nil, fail(e.Line, "endpoint %q: want node:interface", e.Value)
				}
				if _, known := seen[node]; !known {
					return nil, fail(e.Line, "endpoint %q: no node %q", e.Value, node)
				}
				ep := Endpoint{Node: node, Interface: ifname}
				if first, dup := used[ep]; dup {
					return nil, fail(e.Line, "endpoint %s is already used by the link on line %d", ep, first)
				}
				used[ep] = e.Line
				ends[j] = ep
			}
			t.Links = append(t.Links, Link{A: ends[0], B: ends[1], Line: item.Line})
		}
	}
	return t, nil
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// lineOf extracts "line N" from a yaml error message.
func lineOf(msg string) int {
	i := strings.Index(msg, "line ")
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range msg[i+5:] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// Generate returns a leaf-spine topology of n nodes (n >= 2). Up to 19
// nodes it is one fabric: one spine (two from 6 nodes on) and leaves linked
// to every spine. From 20 nodes on it is a three-tier Clos like real data
// centres: two super-spines, pods of two spines and up to 16 leaves, each
// leaf linked to its pod's spines and each spine to both super-spines, so
// links grow linearly with n. Spines are nokia_srlinux; leaves cycle
// through nokia_srlinux, arista_ceos and linux, labelled so that every node
// speaks NETCONF (scale runs open a NETCONF session on each) and both CLI
// personalities are exercised.
func Generate(name string, n int) ([]byte, error) {
	if n < 2 {
		return nil, fmt.Errorf("generate %s: need at least 2 nodes, got %d", name, n)
	}
	if !validName(name) {
		return nil, fmt.Errorf("generate: name %q: use letters, digits, '-', '_' and '.'", name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# generated by netagent lab gen --nodes %d\nname: %s\ntopology:\n  nodes:\n", n, name)
	node := func(name, kind, role, protocols string) {
		if protocols == "" {
			fmt.Fprintf(&b, "    %s:\n      kind: %s\n      labels: {role: %s}\n", name, kind, role)
			return
		}
		fmt.Fprintf(&b, "    %s:\n      kind: %s\n      labels: {role: %s, netagent.protocols: \"%s\"}\n", name, kind, role, protocols)
	}
	leafKinds := []struct{ kind, protocols string }{
		{"nokia_srlinux", ""},
		{"arista_ceos", "netconf,gnmi,cli"},
		{"linux", "netconf,cli"},
	}
	leaf := func(i int) {
		k := leafKinds[(i-1)%len(leafKinds)]
		node(fmt.Sprintf("leaf%d", i), k.kind, "leaf", k.protocols)
	}
	var links []string
	link := func(a, b string) { links = append(links, fmt.Sprintf("    - endpoints: [\"%s\", \"%s\"]\n", a, b)) }
	if n < 20 {
		spines := 1
		if n >= 6 {
			spines = 2
		}
		for i := 1; i <= spines; i++ {
			node(fmt.Sprintf("spine%d", i), "nokia_srlinux", "spine", "")
		}
		for l := 1; l <= n-spines; l++ {
			leaf(l)
			for s := 1; s <= spines; s++ {
				link(fmt.Sprintf("spine%d:e1-%d", s, l), fmt.Sprintf("leaf%d:e1-%d", l, 48+s))
			}
		}
	} else {
		const supers, perPod = 2, 16
		for i := 1; i <= supers; i++ {
			node(fmt.Sprintf("super%d", i), "nokia_srlinux", "super-spine", "")
		}
		left, spine, leafN := n-supers, 0, 0
		for pod := 1; left > 0; pod++ {
			pspines := 2
			if left < 3 {
				pspines = 1
			}
			first := spine + 1
			for i := 0; i < pspines; i++ {
				spine++
				node(fmt.Sprintf("spine%d", spine), "nokia_srlinux", "spine", "")
				for sp := 1; sp <= supers; sp++ {
					link(fmt.Sprintf("super%d:e1-%d", sp, spine), fmt.Sprintf("spine%d:e1-%d", spine, 62+sp))
				}
			}
			left -= pspines
			for k := 1; k <= perPod && left > 0; k++ {
				leafN++
				leaf(leafN)
				for i := 0; i < pspines; i++ {
					link(fmt.Sprintf("spine%d:e1-%d", first+i, k), fmt.Sprintf("leaf%d:e1-%d", leafN, 49+i))
				}
				left--
			}
		}
	}
	b.WriteString("  links:\n")
	for _, l := range links {
		b.WriteString(l)
	}
	return []byte(b.String()), nil
}
