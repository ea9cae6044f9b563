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

// Topology is a parsed containerlab topology.
type Topology struct {
	Name   string
	Prefix string // containerlab's prefix setting, as written
	Mgmt   Mgmt
	Nodes  []Node // in file order
	Links  []Link // in file order
	File   string // the path it was read from, "" when parsed from bytes
	// Warnings are problems the lab works around: an unknown kind (the
	// node is treated as a host), an undefined group, a link type
	// containerlab does not have (the link is left out). With
	// Options.Strict they are errors instead.
	Warnings []Warning
	// Notes say which settings containerlab acts on are kept here without
	// effect (startup-config, binds, env, mgmt addresses) or ignored.
	Notes []Warning
}

// Mgmt is the topology's management network settings, kept as written
// (the simulated lab listens on loopback whatever they say).
type Mgmt struct {
	Network    string
	IPv4Subnet string
	IPv6Subnet string
}

// Warning is a remark about one place of a topology file.
type Warning struct {
	File string // "" when parsed from bytes
	Line int
	Node string // "" when it is not about a node
	Msg  string
}

func (w Warning) String() string {
	loc := w.File
	if loc == "" {
		loc = "topology"
	}
	if w.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, w.Line)
	}
	if w.Node != "" {
		return loc + ": node " + w.Node + ": " + w.Msg
	}
	return loc + ": " + w.Msg
}

// Node is one node of a topology. Its settings inherit as containerlab's
// do: a setting of the node itself wins over its group's, the group's
// over its kind's (the kinds section), the kind's over the defaults; labels
// and env are merged in that order.
type Node struct {
	Name  string
	Kind  string
	Image string
	Type  string
	Group string
	// Labels: netagent.protocols and netagent.cli-platform choose the
	// node's personality in the simulated lab.
	Labels map[string]string
	// Kept as written; the simulated lab does not act on them.
	StartupConfig string
	Binds         []string
	Env           map[string]string
	MgmtIPv4      string
	MgmtIPv6      string
	Line          int
}

// Endpoint is one end of a link: "leaf1:e1-1". The far end of a host,
// mgmt-net, macvlan, vxlan or dummy link is not a node of the topology:
// its Node is the link type ("host", "mgmt-net", "macvlan", "vxlan",
// "dummy") and its Interface the host interface ("vxlan": remote/vni).
type Endpoint struct {
	Node      string
	Interface string
}

func (e Endpoint) String() string {
	if e.Interface == "" {
		return e.Node
	}
	return e.Node + ":" + e.Interface
}

// Link types (containerlab's names).
const (
	LinkVeth    = "veth"
	LinkHost    = "host"
	LinkMgmtNet = "mgmt-net"
	LinkMacvlan = "macvlan"
	LinkVxlan   = "vxlan"
	LinkVxlanSt = "vxlan-stitch"
	LinkDummy   = "dummy"
)

// Link joins two endpoints. A is always a node's; B is a node's for veth
// links and the outside end for the others (see Endpoint).
type Link struct {
	A, B Endpoint
	Type string // LinkVeth, LinkHost, ...
	Line int
}

// External reports whether the link's B end lies outside the topology.
func (l Link) External() bool { return l.Type != "" && l.Type != LinkVeth }

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
// a link loops back to its node). The outside end of an external link is
// nobody's.
func (t *Topology) Ends(name string) []LinkEnd {
	var out []LinkEnd
	for i, l := range t.Links {
		if l.A.Node == name {
			out = append(out, LinkEnd{Link: i, Side: 0, Local: l.A, Peer: l.B})
		}
		if l.B.Node == name && !l.External() {
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

// Options change how a topology is read. The zero value reads as
// containerlab does and reports what it cannot simulate as warnings.
type Options struct {
	// Strict refuses what would otherwise be a warning (unknown kind,
	// undefined group, unknown link type).
	Strict bool
	// LookupEnv resolves ${VAR} references (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
}

// ReadFile parses the topology file at path with default options.
func ReadFile(path string) (*Topology, error) { return Options{}.ReadFile(path) }

// Parse parses a containerlab topology document with default options.
func Parse(data []byte) (*Topology, error) { return Options{}.Parse(data) }

// ReadFile parses the topology file at path.
func (o Options) ReadFile(path string) (*Topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read topology: %w", err)
	}
	t, err := o.parse(data, path)
	if err != nil {
		return nil, err
	}
	t.File = path
	return t, nil
}

// Parse parses a containerlab topology document. Duplicate nodes, links
// naming unknown nodes, interfaces used twice and malformed sections are
// refused with an *Error naming the line; see Options.Strict for the rest.
func (o Options) Parse(data []byte) (*Topology, error) { return o.parse(data, "") }

// def is one node definition (a node, a group, a kind's or the defaults).
type def struct {
	name string
	m    *yaml.Node // mapping, or nil
}

func (d def) get(key string) *yaml.Node { return mapGet(d.m, key) }

// scalar is the node's own value of key, "" when unset.
func (d def) scalar(key string) (string, int) {
	v := d.get(key)
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", 0
	}
	return v.Value, v.Line
}

// parser holds one parse's state.
type parser struct {
	file  string
	opts  Options
	t     *Topology
	notes map[string]*noteAcc
	order []string
}

type noteAcc struct {
	first  Warning
	others int
}

func (p *parser) fail(line int, format string, args ...any) error {
	return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// warn records a warning, or fails in strict mode.
func (p *parser) warn(line int, node, format string, args ...any) error {
	w := Warning{File: p.file, Line: line, Node: node, Msg: fmt.Sprintf(format, args...)}
	if p.opts.Strict {
		msg := w.Msg
		if node != "" {
			msg = "node " + node + ": " + msg
		}
		return &Error{File: p.file, Line: line, Msg: msg + " (strict)"}
	}
	p.t.Warnings = append(p.t.Warnings, w)
	return nil
}

// note records that setting key was kept or ignored, once per key.
func (p *parser) note(key string, line int, node, msg string) {
	if a, ok := p.notes[key]; ok {
		a.others++
		return
	}
	p.notes[key] = &noteAcc{first: Warning{File: p.file, Line: line, Node: node, Msg: msg}}
	p.order = append(p.order, key)
}

func (p *parser) flushNotes() {
	for _, k := range p.order {
		a := p.notes[k]
		w := a.first
		if a.others > 0 {
			w.Msg += fmt.Sprintf(" (and %d more)", a.others)
		}
		p.t.Notes = append(p.t.Notes, w)
	}
}

// Node settings and what the simulated lab does with them.
var (
	usedKeys = map[string]bool{"kind": true, "image": true, "labels": true, "group": true, "type": true}
	keptKeys = map[string]string{
		"startup-config": "startup-config kept, not loaded: simulated devices start with one interface per link",
		"binds":          "binds kept, not mounted",
		"env":            "env kept, not applied",
		"mgmt-ipv4":      "mgmt-ipv4 kept: simulated devices listen on the lab's host address",
		"mgmt-ipv6":      "mgmt-ipv6 kept: simulated devices listen on the lab's host address",
	}
)

func (o Options) parse(data []byte, file string) (*Topology, error) {
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	p := &parser{file: file, opts: o, t: &Topology{}, notes: map[string]*noteAcc{}}
	data = []byte(expandEnv(string(data), lookup))
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, p.fail(0, "%v", te)
		}
		return nil, p.fail(lineOf(err.Error()), "not YAML: %v", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, p.fail(1, "a topology is a YAML mapping with name and topology")
	}
	root := doc.Content[0]
	t := p.t
	nameNode := mapGet(root, "name")
	if nameNode == nil || nameNode.Value == "" {
		return nil, p.fail(root.Line, "the topology has no name")
	}
	t.Name = nameNode.Value
	if !validName(t.Name) {
		return nil, p.fail(nameNode.Line, "name %q: use letters, digits, '-', '_' and '.'", t.Name)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "name", "topology":
		case "prefix":
			t.Prefix = v.Value
		case "mgmt":
			if v.Kind != yaml.MappingNode {
				return nil, p.fail(v.Line, "mgmt is a mapping (network, ipv4-subnet, ...)")
			}
			t.Mgmt = Mgmt{Network: scalarOf(mapGet(v, "network")), IPv4Subnet: scalarOf(mapGet(v, "ipv4-subnet")), IPv6Subnet: scalarOf(mapGet(v, "ipv6-subnet"))}
			p.note("mgmt", k.Line, "", "mgmt kept (topology-data.json): simulated devices listen on the lab's host address")
		default:
			p.note("top:"+k.Value, k.Line, "", k.Value+" ignored")
		}
	}
	tn := mapGet(root, "topology")
	if tn == nil || tn.Kind != yaml.MappingNode {
		return nil, p.fail(root.Line, "the topology has no topology section")
	}
	defaults := def{name: "defaults"}
	kinds := map[string]def{}
	groups := map[string]def{}
	for i := 0; i+1 < len(tn.Content); i += 2 {
		k, v := tn.Content[i], tn.Content[i+1]
		switch k.Value {
		case "defaults":
			if v.Kind != yaml.MappingNode && v.Tag != "!!null" {
				return nil, p.fail(v.Line, "defaults is a mapping of node settings")
			}
			defaults.m = v
		case "kinds", "groups":
			if v.Kind != yaml.MappingNode && v.Tag != "!!null" {
				return nil, p.fail(v.Line, "%s is a mapping of names to node settings", k.Value)
			}
			dst := kinds
			if k.Value == "groups" {
				dst = groups
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				kn, vn := v.Content[j], v.Content[j+1]
				if vn.Kind != yaml.MappingNode && vn.Tag != "!!null" {
					return nil, p.fail(vn.Line, "%s %s: node settings are a mapping", k.Value, kn.Value)
				}
				dst[kn.Value] = def{name: kn.Value, m: vn}
			}
		case "nodes", "links":
		default:
			p.note("topology:"+k.Value, k.Line, "", "topology."+k.Value+" ignored")
		}
	}
	nodes := mapGet(tn, "nodes")
	if nodes == nil || nodes.Kind != yaml.MappingNode || len(nodes.Content) == 0 {
		return nil, p.fail(tn.Line, "the topology has no nodes")
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(nodes.Content); i += 2 {
		kn, vn := nodes.Content[i], nodes.Content[i+1]
		name := kn.Value
		if !validName(name) {
			return nil, p.fail(kn.Line, "node name %q: use letters, digits, '-', '_' and '.'", name)
		}
		if first, dup := seen[name]; dup {
			return nil, p.fail(kn.Line, "duplicate node %q (first defined on line %d)", name, first)
		}
		seen[name] = kn.Line
		if vn.Kind != yaml.MappingNode && vn.Tag != "!!null" {
			return nil, p.fail(vn.Line, "node %s: a node is a mapping (kind, image, labels)", name)
		}
		n, err := p.node(name, kn.Line, def{name: name, m: vn}, defaults, kinds, groups)
		if err != nil {
			return nil, err
		}
		t.Nodes = append(t.Nodes, n)
	}
	if err := p.links(mapGet(tn, "links"), seen); err != nil {
		return nil, err
	}
	p.flushNotes()
	return t, nil
}

// node resolves one node's settings through its group, kind and the
// defaults.
func (p *parser) node(name string, line int, nd, defaults def, kinds, groups map[string]def) (Node, error) {
	n := Node{Name: name, Line: line, Labels: map[string]string{}}
	// kind: node, its group, the defaults' group, the defaults
	group, groupLine := nd.scalar("group")
	kindLine := 0
	n.Kind, kindLine = nd.scalar("kind")
	if n.Kind == "" && group != "" {
		n.Kind, kindLine = groups[group].scalar("kind")
	}
	if dg, _ := defaults.scalar("group"); n.Kind == "" && dg != "" {
		n.Kind, kindLine = groups[dg].scalar("kind")
	}
	if n.Kind == "" {
		n.Kind, kindLine = defaults.scalar("kind")
	}
	if kindLine == 0 {
		kindLine = line
	}
	if n.Kind == "" {
		return n, p.fail(kindLine, "node %s has no kind (set kind on the node, its group or the defaults)", name)
	}
	// group: node, its kind's, the defaults'
	if group == "" {
		group, groupLine = kinds[n.Kind].scalar("group")
	}
	if group == "" {
		group, groupLine = defaults.scalar("group")
	}
	n.Group = group
	gd, ok := groups[group]
	if group != "" && !ok {
		if err := p.warn(groupLine, name, "group %q is not defined under topology.groups", group); err != nil {
			return n, err
		}
	}
	chain := []def{nd, gd, kinds[n.Kind], defaults} // strongest first
	for _, d := range chain {
		if d.m == nil || d.m.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(d.m.Content); i += 2 {
			k := d.m.Content[i]
			switch msg, kept := keptKeys[k.Value]; {
			case usedKeys[k.Value]:
			case kept:
				p.note(k.Value, k.Line, name, msg)
			default:
				p.note(k.Value, k.Line, name, k.Value+" ignored: the simulated device has no such setting")
			}
		}
	}
	first := func(key string) string {
		for _, d := range chain {
			if v, _ := d.scalar(key); v != "" {
				return v
			}
		}
		return ""
	}
	n.Image = first("image")
	n.Type = strings.TrimSpace(first("type"))
	n.StartupConfig = first("startup-config")
	n.MgmtIPv4 = first("mgmt-ipv4")
	n.MgmtIPv6 = first("mgmt-ipv6")
	for _, d := range chain {
		if v := d.get("binds"); v != nil && v.Kind == yaml.SequenceNode {
			for _, b := range v.Content {
				n.Binds = append(n.Binds, b.Value)
			}
			break
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		d := chain[i]
		lm, err := p.stringMap(d, "labels", name)
		if err != nil {
			return n, err
		}
		for k, v := range lm {
			n.Labels[k] = v
		}
		em, _ := p.stringMap(d, "env", "")
		for k, v := range em {
			if n.Env == nil {
				n.Env = map[string]string{}
			}
			n.Env[k] = v
		}
	}
	if !KnownKind(n.Kind) {
		if err := p.warn(kindLine, name, "unknown kind %q: treated as a host", n.Kind); err != nil {
			return n, err
		}
	}
	return n, nil
}

// stringMap reads d's key as a mapping of scalars. A malformed labels
// section is an error when node is set (labels choose the personality);
// anything else malformed is skipped.
func (p *parser) stringMap(d def, key, node string) (map[string]string, error) {
	v := d.get(key)
	if v == nil || v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.MappingNode {
		if node != "" {
			return nil, p.fail(v.Line, "node %s: %s is a mapping of names to values", node, key)
		}
		return nil, nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if val.Kind != yaml.ScalarNode {
			if node != "" {
				return nil, p.fail(val.Line, "node %s: %s %s: want a plain value", node, key, k.Value)
			}
			continue
		}
		out[k.Value] = val.Value
	}
	return out, nil
}

func scalarOf(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// links reads the links section: brief ("endpoints: [a:e1, b:e1]", with
// host:, mgmt-net: and macvlan: ends) and extended (type: veth | host |
// mgmt-net | macvlan | vxlan | vxlan-stitch | dummy) forms.
func (p *parser) links(ln *yaml.Node, nodes map[string]int) error {
	if ln == nil || ln.Tag == "!!null" {
		return nil
	}
	if ln.Kind != yaml.SequenceNode {
		return p.fail(ln.Line, "links is a list")
	}
	used := map[Endpoint]int{}
	nodeEnd := func(ep Endpoint, line int, raw string) error {
		if ep.Node == "" || ep.Interface == "" {
			return p.fail(line, "endpoint %q: want node:interface", raw)
		}
		if _, known := nodes[ep.Node]; !known {
			return p.fail(line, "endpoint %q: no node %q", raw, ep.Node)
		}
		if first, dup := used[ep]; dup {
			return p.fail(line, "endpoint %s is already used by the link on line %d", ep, first)
		}
		used[ep] = line
		return nil
	}
	for _, item := range ln.Content {
		if item.Kind != yaml.MappingNode {
			return p.fail(item.Line, "a link is a mapping with endpoints (or type and endpoint)")
		}
		typ := scalarOf(mapGet(item, "type"))
		var lk Link
		var err error
		if typ == "" {
			lk, err = p.briefLink(item, nodeEnd)
		} else {
			lk, err = p.extendedLink(item, typ, nodeEnd)
		}
		if err != nil {
			return err
		}
		if lk.Type == "" {
			continue // left out with a warning
		}
		p.t.Links = append(p.t.Links, lk)
	}
	return nil
}

// outsideEnds are the brief-form endpoint prefixes that are not nodes.
var outsideEnds = map[string]bool{LinkHost: true, LinkMgmtNet: true, LinkMacvlan: true}

func (p *parser) briefLink(item *yaml.Node, nodeEnd func(Endpoint, int, string) error) (Link, error) {
	eps := mapGet(item, "endpoints")
	if eps == nil || eps.Kind != yaml.SequenceNode || len(eps.Content) != 2 {
		return Link{}, p.fail(item.Line, "a link needs endpoints: [\"node:if\", \"node:if\"] (or a type: veth, host, mgmt-net, macvlan, vxlan, dummy)")
	}
	var ends [2]Endpoint
	outside := -1
	for j, e := range eps.Content {
		if e.Kind != yaml.ScalarNode {
			return Link{}, p.fail(e.Line, "endpoint: want \"node:interface\"")
		}
		node, ifname, ok := strings.Cut(e.Value, ":")
		if !ok || node == "" || ifname == "" {
			return Link{}, p.fail(e.Line, "endpoint %q: want node:interface", e.Value)
		}
		ends[j] = Endpoint{Node: node, Interface: ifname}
		if outsideEnds[node] && outside < 0 {
			outside = j
			continue
		}
	}
	lk := Link{A: ends[0], B: ends[1], Type: LinkVeth, Line: item.Line}
	if outside >= 0 {
		lk = Link{A: ends[1-outside], B: ends[outside], Type: ends[outside].Node, Line: item.Line}
		if outsideEnds[lk.A.Node] {
			return Link{}, p.fail(item.Line, "link %s -- %s: one end must be a node", lk.A, lk.B)
		}
		return lk, nodeEnd(lk.A, eps.Content[1-outside].Line, eps.Content[1-outside].Value)
	}
	for j := range ends {
		if err := nodeEnd(ends[j], eps.Content[j].Line, eps.Content[j].Value); err != nil {
			return Link{}, err
		}
	}
	return lk, nil
}

// endpointOf reads an extended-form endpoint {node, interface}.
func endpointOf(n *yaml.Node) (Endpoint, string) {
	ep := Endpoint{Node: scalarOf(mapGet(n, "node")), Interface: scalarOf(mapGet(n, "interface"))}
	return ep, ep.String()
}

func (p *parser) extendedLink(item *yaml.Node, typ string, nodeEnd func(Endpoint, int, string) error) (Link, error) {
	lk := Link{Type: typ, Line: item.Line}
	single := func() error {
		e := mapGet(item, "endpoint")
		if e == nil || e.Kind != yaml.MappingNode {
			return p.fail(item.Line, "a %s link needs endpoint: {node: N, interface: IF}", typ)
		}
		ep, raw := endpointOf(e)
		lk.A = ep
		return nodeEnd(ep, e.Line, raw)
	}
	switch typ {
	case LinkVeth:
		eps := mapGet(item, "endpoints")
		if eps == nil || eps.Kind != yaml.SequenceNode || len(eps.Content) != 2 {
			return lk, p.fail(item.Line, "a veth link needs endpoints: [{node: A, interface: IF}, {node: B, interface: IF}]")
		}
		var ends [2]Endpoint
		for j, e := range eps.Content {
			if e.Kind != yaml.MappingNode {
				return lk, p.fail(e.Line, "a veth endpoint is a mapping {node, interface}")
			}
			ep, raw := endpointOf(e)
			if err := nodeEnd(ep, e.Line, raw); err != nil {
				return lk, err
			}
			ends[j] = ep
		}
		lk.A, lk.B = ends[0], ends[1]
		return lk, nil
	case LinkHost, LinkMgmtNet, LinkMacvlan:
		hi := scalarOf(mapGet(item, "host-interface"))
		if hi == "" {
			return lk, p.fail(item.Line, "a %s link needs host-interface", typ)
		}
		lk.B = Endpoint{Node: typ, Interface: hi}
		err := single()
		return lk, err
	case LinkVxlan, LinkVxlanSt:
		remote, vni := scalarOf(mapGet(item, "remote")), scalarOf(mapGet(item, "vni"))
		if remote == "" || vni == "" {
			return lk, p.fail(item.Line, "a %s link needs remote and vni", typ)
		}
		lk.B = Endpoint{Node: LinkVxlan, Interface: remote + "/" + vni}
		err := single()
		return lk, err
	case LinkDummy:
		lk.B = Endpoint{Node: LinkDummy}
		err := single()
		return lk, err
	}
	if err := p.warn(item.Line, "", "link type %q is not one containerlab has (veth, host, mgmt-net, macvlan, vxlan, vxlan-stitch, dummy): link left out", typ); err != nil {
		return lk, err
	}
	return Link{}, nil
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
