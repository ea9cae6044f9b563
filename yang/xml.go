package yang

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// NSNetconf is the NETCONF base namespace; edit operations are attributes in it.
const NSNetconf = "urn:ietf:params:xml:ns:netconf:base:1.0"

// maxXMLDepth bounds the nesting a decoder accepts.
const maxXMLDepth = 64

// xnode is an XML element independent of any schema: what the encoders
// build and the decoders read.
type xnode struct {
	name     string
	ns       string
	op       string // nc:operation, "" when absent
	text     string
	hasText  bool
	idPrefix string // for identity values: the prefix to declare
	idNS     string
	keys     []Key // key leaves, written first, in the node's namespace
	children []*xnode
	// line is the input line of a decoded element, for error messages.
	line int
}

func (n *xnode) child(name, ns string, keys []Key) *xnode {
	for _, c := range n.children {
		if c.name == name && c.ns == ns && keysEqual(c.keys, keys) {
			return c
		}
	}
	c := &xnode{name: name, ns: ns, keys: keys}
	n.children = append(n.children, c)
	return c
}

func keysEqual(a, b []Key) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// write serialises n; parentNS is the default namespace in scope.
func (n *xnode) write(b *bytes.Buffer, parentNS string) {
	b.WriteByte('<')
	b.WriteString(n.name)
	if n.ns != parentNS {
		b.WriteString(` xmlns="`)
		b.WriteString(n.ns)
		b.WriteByte('"')
	}
	if n.op != "" {
		b.WriteString(` xmlns:nc="` + NSNetconf + `" nc:operation="`)
		b.WriteString(n.op)
		b.WriteByte('"')
	}
	if n.idPrefix != "" {
		fmt.Fprintf(b, ` xmlns:%s="%s"`, n.idPrefix, n.idNS)
	}
	if !n.hasText && len(n.children) == 0 && len(n.keys) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	if n.hasText {
		if n.idPrefix != "" {
			b.WriteString(n.idPrefix)
			b.WriteByte(':')
		}
		_ = xml.EscapeText(b, []byte(n.text))
	}
	for _, k := range n.keys {
		b.WriteByte('<')
		b.WriteString(k.Name)
		b.WriteByte('>')
		_ = xml.EscapeText(b, []byte(k.Value))
		b.WriteString("</")
		b.WriteString(k.Name)
		b.WriteByte('>')
	}
	for _, c := range n.children {
		c.write(b, n.ns)
	}
	b.WriteString("</")
	b.WriteString(n.name)
	b.WriteByte('>')
}

// parseXML reads a document into xnodes. It unwraps rpc-reply, data and
// config wrappers in the NETCONF namespace and returns the elements inside.
func parseXML(data []byte) ([]*xnode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	root := &xnode{}
	stack := []*xnode{root}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed XML: %w", err)
		}
		line, _ := d.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > maxXMLDepth {
				return nil, fmt.Errorf("malformed XML: line %d: nesting deeper than %d", line, maxXMLDepth)
			}
			n := &xnode{name: t.Name.Local, ns: t.Name.Space, line: line}
			for _, a := range t.Attr {
				if a.Name.Local == "operation" && a.Name.Space == NSNetconf {
					n.op = a.Value
				}
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top := stack[len(stack)-1]
			if s := strings.TrimSpace(string(t)); s != "" {
				top.text += s
				top.hasText = true
			}
		}
	}
	if len(stack) != 1 {
		return nil, errors.New("malformed XML: unexpected end of document")
	}
	nodes := root.children
	for len(nodes) == 1 && (nodes[0].ns == NSNetconf || nodes[0].ns == "") &&
		(nodes[0].name == "rpc-reply" || nodes[0].name == "data" || nodes[0].name == "config") {
		nodes = nodes[0].children
	}
	return nodes, nil
}

// identity prefixes used when writing identityref values.
var identityPrefix = map[string]string{
	ModIANAIfType:     "ianaift",
	ModPolicyTypes:    "oc-pol-types",
	ModNIType:         "oc-ni-types",
	ModLocalRouting:   "oc-loc-rt",
	"ietf-routing":    "rt",
	"ietf-interfaces": "if",
}

// setValue puts v into n as text, qualified when it is an identity.
func setValue(n *xnode, s *Schema, v any) {
	n.text = FormatValue(v)
	n.hasText = true
	if (s.Type == TypeIdentity || (s.Type == TypeNextHop && allowed(s, n.text))) && s.IdentityNS != "" {
		n.idPrefix, n.idNS = identityPrefix[s.IdentityModule], s.IdentityNS
	}
}

// EncodeEditConfig renders changes as the <config> element of a NETCONF
// edit-config in the OpenConfig namespaces. Creations and updates merge;
// deletions carry nc:operation="delete", so a node that is already gone is
// reported by the device instead of silently ignored.
func EncodeEditConfig(changes []Change) ([]byte, error) {
	root := &xnode{name: "config", ns: NSNetconf}
	for _, c := range changes {
		if err := addChange(root, c); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	b.Grow(256 * len(changes))
	root.write(&b, "")
	return b.Bytes(), nil
}

func addChange(root *xnode, c Change) error {
	s := Root
	n := root
	for i, e := range c.Path {
		s = s.Child(e.Name)
		if s == nil {
			return fmt.Errorf("%s: unknown element %q", c.Path, e.Name)
		}
		n = n.child(e.Name, s.NS, e.Keys)
		if i < len(c.Path)-1 {
			continue
		}
		switch {
		case c.Op == OpDelete:
			n.op = "delete"
		case s.Kind == KindLeaf:
			setValue(n, s, c.New)
		}
	}
	return nil
}

// EncodeTreeXML renders the whole tree as NETCONF <data> content: what a
// device answers to get-config. The result holds the top-level elements only.
func EncodeTreeXML(t *Tree) []byte {
	root := &xnode{}
	for _, e := range t.entries() {
		if e.schema.IsKey() {
			continue
		}
		_ = addChange(root, Change{Op: OpCreate, Path: e.path, New: e.value})
	}
	// Entries whose only leaves are keys still appear.
	for _, e := range t.entries() {
		if e.schema.IsKey() {
			_ = addChange(root, Change{Op: OpCreate, Path: e.path.Parent()})
		}
	}
	var b bytes.Buffer
	for _, c := range root.children {
		c.write(&b, "")
	}
	return b.Bytes()
}

// DecodeConfigXML reads configuration in the OpenConfig namespaces (a
// get-config reply, its <data>, or bare top-level elements) into a tree.
// Elements outside the canonical model (other modules, state containers,
// leaves netagent does not manage) are skipped: a device's full
// configuration is larger than the model. The tree is validated; on any error
// no tree is returned.
func DecodeConfigXML(data []byte) (*Tree, error) {
	nodes, err := parseXML(data)
	if err != nil {
		return nil, err
	}
	t := NewTree()
	var errs []FieldError
	for _, n := range nodes {
		s := Root.Child(n.name)
		if s == nil || s.NS != n.ns {
			continue
		}
		decodeInto(t, n, s, Path{{Name: n.name}}, "/"+n.name, orderStep("", s), &errs)
	}
	if len(errs) > 0 {
		return nil, &ValidationError{Errors: errs}
	}
	if err := Validate(t); err != nil {
		return nil, err
	}
	return t, nil
}

// decodeInto walks n (whose schema is s, at path p) into t, leniently.
// str and order are p's String and canonical sort key (orderKey) without
// the keys of its last element, built up on the way down rather than
// rendered from the root for every leaf.
func decodeInto(t *Tree, n *xnode, s *Schema, p Path, str, order string, errs *[]FieldError) {
	if s.Kind == KindList {
		keys, ok := readKeys(n, s, p, errs)
		if !ok {
			return
		}
		p[len(p)-1].Keys = keys
		str, order = withKeys(str, order, keys)
		// The entry's key leaves (its ancestors' were set on the way down).
		cfg := s.Child("config")
		for _, k := range keys {
			ks := s.Child(k.Name)
			kv, err := ParseValue(ks, k.Value)
			if err != nil {
				*errs = append(*errs, FieldError{Path: p.String(), Reason: fmt.Sprintf("%s: key %s: %v", p, k.Name, err)})
				return
			}
			t.putKeyed(p.Child(k.Name), str+"/"+k.Name, orderStep(order, ks), ks, kv)
			if c := cfg.Child(k.Name); c != nil {
				t.putKeyed(p.Leaf("config", k.Name), str+"/config/"+k.Name, orderStep(orderStep(order, cfg), c), c, kv)
			}
		}
	}
	for _, c := range n.children {
		cs := s.Child(c.name)
		if cs == nil || cs.NS != c.ns || cs.IsKey() {
			continue
		}
		cp := p.Child(c.name)
		cstr, cord := str+"/"+c.name, orderStep(order, cs)
		if cs.Kind == KindLeaf {
			v, err := ParseValue(cs, c.text)
			if err != nil {
				*errs = append(*errs, FieldError{Path: cp.String(), Reason: err.Error()})
				continue
			}
			// Every entry on cp was ensured on the way down; cp is ours.
			v, err = checkLeaf(cp, cs, v)
			if err != nil {
				*errs = append(*errs, FieldError{Path: cp.String(), Reason: trimPath(err, cp)})
				continue
			}
			t.putKeyed(cp, cstr, cord, cs, v)
			continue
		}
		decodeInto(t, c, cs, cp, cstr, cord, errs)
	}
}

// orderStep appends child schema s to a sort key, as orderKey does.
func orderStep(order string, s *Schema) string {
	return order + string([]byte{byte(s.index + 1)})
}

// withKeys appends keys to a path's String and sort key, as Path.String
// and orderKey render them.
func withKeys(str, order string, keys []Key) (string, string) {
	var b, o strings.Builder
	b.WriteString(str)
	o.WriteString(order)
	for _, k := range keys {
		writeKey(&b, k)
		natural(&o, k.Value)
		o.WriteByte(0)
	}
	return b.String(), o.String()
}

func readKeys(n *xnode, s *Schema, p Path, errs *[]FieldError) ([]Key, bool) {
	keys := make([]Key, 0, len(s.Keys))
	for _, k := range s.Keys {
		found := false
		for _, c := range n.children {
			if c.name == k && c.ns == s.NS {
				keys = append(keys, Key{Name: k, Value: bareIdentity(s.Child(k), c.text)})
				found = true
				break
			}
		}
		if !found {
			*errs = append(*errs, FieldError{Path: p.String(), Reason: fmt.Sprintf("list entry without its key %q", k)})
			return nil, false
		}
	}
	return keys, true
}

func bareIdentity(s *Schema, text string) string {
	if s != nil && s.Type == TypeIdentity {
		if i := strings.LastIndexByte(text, ':'); i >= 0 {
			return text[i+1:]
		}
	}
	return text
}

func trimPath(err error, p Path) string {
	return strings.TrimPrefix(err.Error(), p.String()+": ")
}
