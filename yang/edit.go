package yang

import (
	"fmt"
)

// EditError is why a NETCONF edit or filter was refused, with the RFC 6241
// error-tag a server puts in its rpc-error.
type EditError struct {
	Tag     string // data-exists, data-missing, unknown-element, unknown-namespace, missing-element, invalid-value, bad-attribute, malformed-message, operation-failed
	Path    string // the node, as a gNMI path string; "" when unknown
	Message string
}

func (e *EditError) Error() string {
	if e.Path == "" {
		return e.Tag + ": " + e.Message
	}
	return e.Tag + ": " + e.Path + ": " + e.Message
}

// Edit is a decoded NETCONF edit-config <config> payload: the nodes it
// names, their values and their nc:operation attributes.
type Edit struct {
	nodes []*editNode
}

type editNode struct {
	schema   *Schema
	path     Path
	op       string
	value    any
	hasValue bool
	children []*editNode
}

var editOps = map[string]bool{"merge": true, "replace": true, "create": true, "delete": true, "remove": true}

// DecodeEdit decodes the <config> payload of an edit-config (the element
// itself or its children) strictly: an element outside the model, a list
// entry without its keys, a value of the wrong type or an unknown operation
// is an *EditError.
func DecodeEdit(data []byte) (*Edit, error) {
	nodes, err := parseXML(data)
	if err != nil {
		return nil, &EditError{Tag: "malformed-message", Message: err.Error()}
	}
	e := &Edit{}
	for _, n := range nodes {
		s := Root.Child(n.name)
		if s == nil {
			return nil, &EditError{Tag: "unknown-element", Path: "/" + n.name, Message: fmt.Sprintf("line %d: element %q is not in the model", n.line, n.name)}
		}
		if s.NS != n.ns {
			return nil, &EditError{Tag: "unknown-namespace", Path: "/" + n.name, Message: fmt.Sprintf("line %d: namespace %q is not %s's (%s)", n.line, n.ns, n.name, s.NS)}
		}
		en, err := decodeEditNode(n, s, Path{{Name: n.name}})
		if err != nil {
			return nil, err
		}
		e.nodes = append(e.nodes, en)
	}
	return e, nil
}

func decodeEditNode(n *xnode, s *Schema, p Path) (*editNode, error) {
	if n.op != "" && !editOps[n.op] {
		return nil, &EditError{Tag: "bad-attribute", Path: p.String(), Message: fmt.Sprintf("operation %q is not merge, replace, create, delete or remove", n.op)}
	}
	en := &editNode{schema: s, path: p, op: n.op}
	switch s.Kind {
	case KindLeaf:
		if len(n.children) > 0 {
			return nil, &EditError{Tag: "invalid-value", Path: p.String(), Message: "a leaf cannot have child elements"}
		}
		if n.hasText {
			v, err := ParseValue(s, n.text)
			if err != nil {
				return nil, &EditError{Tag: "invalid-value", Path: p.String(), Message: err.Error()}
			}
			en.value, en.hasValue = v, true
		} else if s.Type == TypeString {
			en.value, en.hasValue = "", true
		} else if n.op != "delete" && n.op != "remove" {
			return nil, &EditError{Tag: "invalid-value", Path: p.String(), Message: "empty value"}
		}
		return en, nil
	case KindList:
		var keys []Key
		for _, k := range s.Keys {
			var kn *xnode
			for _, c := range n.children {
				if c.name == k {
					kn = c
					break
				}
			}
			if kn == nil {
				return nil, &EditError{Tag: "missing-element", Path: p.String(), Message: fmt.Sprintf("list entry without its key %q", k)}
			}
			keys = append(keys, Key{Name: k, Value: bareIdentity(s.Child(k), kn.text)})
		}
		p[len(p)-1].Keys = keys
		en.path = p
		ks := s.Child(s.Keys[0])
		if _, err := ParseValue(ks, keys[0].Value); err != nil {
			return nil, &EditError{Tag: "invalid-value", Path: p.String(), Message: "key: " + err.Error()}
		}
	}
	for _, c := range n.children {
		cs := s.Child(c.name)
		if cs == nil {
			return nil, &EditError{Tag: "unknown-element", Path: p.String() + "/" + c.name, Message: fmt.Sprintf("line %d: element %q is not in the model", c.line, c.name)}
		}
		if c.ns != cs.NS {
			return nil, &EditError{Tag: "unknown-namespace", Path: p.String() + "/" + c.name, Message: fmt.Sprintf("line %d: namespace %q is not %s's (%s)", c.line, c.ns, c.name, cs.NS)}
		}
		if cs.IsKey() {
			continue
		}
		cn, err := decodeEditNode(c, cs, p.Child(c.name))
		if err != nil {
			return nil, err
		}
		en.children = append(en.children, cn)
	}
	return en, nil
}

// ApplyEdit applies e to t with RFC 6241 semantics. defaultOp is the
// edit-config default-operation: "merge" (also when empty), "replace" or
// "none". An nc:operation attribute applies to its element and, unless
// overridden, to its descendants. On error t may be partly changed: apply
// to a Clone and keep it only on success for rollback-on-error.
func (t *Tree) ApplyEdit(e *Edit, defaultOp string) error {
	switch defaultOp {
	case "":
		defaultOp = "merge"
	case "merge", "replace", "none":
	default:
		return &EditError{Tag: "bad-element", Message: fmt.Sprintf("default-operation %q is not merge, replace or none", defaultOp)}
	}
	for _, n := range e.nodes {
		if err := t.applyNode(n, defaultOp); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tree) applyNode(n *editNode, inherited string) error {
	op := n.op
	if op == "" {
		op = inherited
	}
	switch op {
	case "delete", "remove":
		if !t.Has(n.path) {
			if op == "delete" {
				return &EditError{Tag: "data-missing", Path: n.path.String(), Message: "nothing to delete"}
			}
			return nil
		}
		if n.schema.IsKey() || n.schema.isKeyCopy() {
			return &EditError{Tag: "invalid-value", Path: n.path.String(), Message: "a list key cannot be deleted on its own; delete the entry"}
		}
		t.Delete(n.path)
		return nil
	case "create":
		if t.Has(n.path) && n.schema.Kind != KindContainer {
			return &EditError{Tag: "data-exists", Path: n.path.String(), Message: "already exists"}
		}
		return t.mergeNode(n)
	case "replace":
		t.Delete(n.path)
		return t.mergeNode(n)
	case "merge":
		return t.mergeNode(n)
	case "none":
		if n.schema.Kind == KindLeaf {
			return nil
		}
		for _, c := range n.children {
			if err := t.applyNode(c, "none"); err != nil {
				return err
			}
		}
		return nil
	}
	return &EditError{Tag: "bad-attribute", Path: n.path.String(), Message: fmt.Sprintf("operation %q", op)}
}

func (t *Tree) mergeNode(n *editNode) error {
	switch n.schema.Kind {
	case KindLeaf:
		if err := t.Set(n.path, n.value); err != nil {
			return &EditError{Tag: "invalid-value", Path: n.path.String(), Message: trimPath(err, n.path)}
		}
		return nil
	case KindList:
		if err := t.ensureEntries(n.path); err != nil {
			return &EditError{Tag: "invalid-value", Path: n.path.String(), Message: err.Error()}
		}
	}
	for _, c := range n.children {
		if err := t.applyNode(c, "merge"); err != nil {
			return err
		}
	}
	return nil
}

// FilterXML returns the part of t that a NETCONF subtree filter selects
// (RFC 6241 section 6): containment nodes, selection nodes (empty elements)
// and content-match nodes (leaves with text) that select list entries. The
// filter is the content of <filter type="subtree"> or the element itself. An
// empty filter selects nothing; elements outside the model select nothing.
func FilterXML(t *Tree, filter []byte) (*Tree, error) {
	nodes, err := parseXML(filter)
	if err != nil {
		return nil, &EditError{Tag: "malformed-message", Message: err.Error()}
	}
	if len(nodes) == 1 && nodes[0].name == "filter" {
		nodes = nodes[0].children
	}
	out := NewTree()
	for _, n := range nodes {
		s := Root.Child(n.name)
		if s == nil || (n.ns != "" && n.ns != s.NS) {
			continue
		}
		t.selectNode(out, n, s, Path{{Name: n.name}})
	}
	return out, nil
}

// Restrict returns a tree holding only t's leaves at or below paths (with
// the key leaves of the entries above them); no paths: t itself.
func (t *Tree) Restrict(paths []Path) *Tree {
	if len(paths) == 0 {
		return t
	}
	out := NewTree()
	for _, p := range paths {
		n := len(out.leaves)
		t.copyInto(out, p)
		if len(out.leaves) > n {
			// The entries above p exist in t: their keys parse.
			_ = out.ensureEntries(p)
		}
	}
	return out
}

func (t *Tree) copyInto(out *Tree, p Path) {
	// Order does not matter here: no sort, no path rendered again.
	for k, e := range t.leaves {
		if e.path.HasPrefix(p) {
			ec := *e
			out.leaves[k] = &ec
		}
	}
	out.sorted = nil
}

func (t *Tree) selectNode(out *Tree, n *xnode, s *Schema, p Path) {
	switch s.Kind {
	case KindLeaf:
		t.copyInto(out, p)
		return
	case KindContainer:
		if len(n.children) == 0 {
			t.copyInto(out, p)
			return
		}
		for _, c := range n.children {
			if cs := s.Child(c.name); cs != nil {
				t.selectNode(out, c, cs, p.Child(c.name))
			}
		}
		return
	}
	// A list: find its entries, keep those every content-match child matches.
	var match, sel []*xnode
	for _, c := range n.children {
		if c.hasText {
			match = append(match, c)
		} else {
			sel = append(sel, c)
		}
	}
	for _, entry := range t.entriesOf(p) {
		ok := true
		for _, m := range match {
			cs := s.Child(m.name)
			if cs == nil || cs.Kind != KindLeaf {
				ok = false
				break
			}
			v, found := t.Get(entry.Child(m.name))
			if !found {
				v, found = t.Get(entry.Leaf("config", m.name))
			}
			if !found || FormatValue(v) != bareIdentity(cs, m.text) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if len(sel) == 0 {
			t.copyInto(out, entry)
			continue
		}
		for _, k := range s.Keys {
			t.copyInto(out, entry.Child(k))
		}
		for _, m := range match {
			t.copyInto(out, entry.Child(m.name))
		}
		for _, c := range sel {
			if cs := s.Child(c.name); cs != nil {
				t.selectNode(out, c, cs, entry.Child(c.name))
			}
		}
	}
}

// entriesOf lists the entries of the list at p (p's last element has no
// keys), in canonical order.
func (t *Tree) entriesOf(p Path) []Path {
	var out []Path
	seen := map[string]bool{}
	parent := p.Parent()
	name := p[len(p)-1].Name
	for _, e := range t.entries() {
		if len(e.path) <= len(p) || !e.path[:len(p)-1].Equal(parent) || e.path[len(p)-1].Name != name {
			continue
		}
		entry := e.path[:len(p):len(p)]
		k := entry.String()
		if !seen[k] {
			seen[k] = true
			out = append(out, entry)
		}
	}
	return out
}

// EntriesOf lists the entries of the list named by p, whose last element
// carries no keys, e.g. Path{{Name: "interfaces"}, {Name: "interface"}}.
func (t *Tree) EntriesOf(p Path) []Path {
	if len(p) == 0 {
		return nil
	}
	return t.entriesOf(p)
}
