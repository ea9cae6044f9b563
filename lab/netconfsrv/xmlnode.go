package netconfsrv

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strconv"
	"strings"

	"github.com/netagent/netagent/yang"
)

// NSBase is the NETCONF base namespace.
const NSBase = "urn:ietf:params:xml:ns:netconf:base:1.0"

// NSLab is the namespace of the lab model (figures with no OpenConfig home).
const NSLab = "urn:netagent:lab"

// node is a parsed XML element of a request.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Inner    []byte     `xml:",innerxml"`
	Children []node     `xml:",any"`
	Text     string     `xml:",chardata"`
}

// parseNode reads the first element of msg as xml.Unmarshal into a node
// would (name, attributes, inner XML, child elements, character data),
// walking the tokens directly instead of through reflection: every RPC
// of every session is parsed here.
func parseNode(msg []byte) (node, error) {
	d := xml.NewDecoder(bytes.NewReader(msg))
	for {
		tok, err := d.Token()
		if err != nil {
			return node{}, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			var n node
			return n, readNode(d, msg, se, &n)
		}
	}
}

func readNode(d *xml.Decoder, msg []byte, se xml.StartElement, n *node) error {
	n.XMLName = se.Name
	if len(se.Attr) > 0 {
		n.Attrs = append([]xml.Attr(nil), se.Attr...)
	}
	start := d.InputOffset()
	var text []byte
	for {
		pos := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n.Children = append(n.Children, node{})
			if err := readNode(d, msg, t, &n.Children[len(n.Children)-1]); err != nil {
				return err
			}
		case xml.CharData:
			text = append(text, t...)
		case xml.EndElement:
			if pos > start {
				n.Inner = append([]byte(nil), msg[start:pos]...)
			}
			n.Text = string(text)
			return nil
		}
	}
}

func (n *node) child(local string) *node {
	for i := range n.Children {
		if n.Children[i].XMLName.Local == local {
			return &n.Children[i]
		}
	}
	return nil
}

func (n *node) attr(local string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == local && (a.Name.Space == "" || a.Name.Space == NSBase) {
			return a.Value, true
		}
	}
	return "", false
}

// nsDecls returns the namespace declarations of n as attribute text.
func (n *node) nsDecls(b *strings.Builder, seen map[string]bool) {
	for _, a := range n.Attrs {
		var decl string
		switch {
		case a.Name.Space == "xmlns":
			decl = "xmlns:" + a.Name.Local
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			decl = "xmlns"
		default:
			continue
		}
		if seen[decl] {
			continue
		}
		seen[decl] = true
		b.WriteString(" " + decl + `="`)
		_ = xml.EscapeText(&escWriter{b}, []byte(a.Value))
		b.WriteString(`"`)
	}
}

type escWriter struct{ b *strings.Builder }

func (w *escWriter) Write(p []byte) (int, error) { return w.b.Write(p) }

// wrap re-roots n's content in an element named name that redeclares every
// namespace prefix declared on n and its ancestors (innermost first), so it
// parses on its own.
func wrap(name string, n *node, ancestors ...*node) []byte {
	var b strings.Builder
	b.WriteString("<" + name)
	seen := map[string]bool{}
	n.nsDecls(&b, seen)
	for i := len(ancestors) - 1; i >= 0; i-- {
		ancestors[i].nsDecls(&b, seen)
	}
	if !seen["xmlns"] {
		b.WriteString(` xmlns="` + NSBase + `"`)
	}
	b.WriteString(">")
	b.Write(n.Inner)
	b.WriteString("</" + name + ">")
	return []byte(b.String())
}

// xel is an element of a reply being built.
type xel struct {
	name     string
	ns       string
	keys     []yang.Key
	text     string
	hasText  bool
	idPrefix string
	idNS     string
	children []*xel
}

func (e *xel) child(name, ns string, keys []yang.Key) *xel {
	for _, c := range e.children {
		if c.name == name && slices.Equal(c.keys, keys) {
			return c
		}
	}
	c := &xel{name: name, ns: ns, keys: keys}
	e.children = append(e.children, c)
	return c
}

var topNS = map[string]string{
	"interfaces":        yang.NSInterfaces,
	"network-instances": yang.NSNetworkInstance,
	"system":            "http://openconfig.net/yang/system",
	"components":        "http://openconfig.net/yang/platform",
	"lab":               NSLab,
}

// addPoint adds a leaf at a gNMI path string.
func (e *xel) addPoint(path string, v any) {
	elems, err := yang.ParseAnyPath(path)
	if err != nil || len(elems) == 0 {
		return
	}
	cur := e
	s := yang.Root
	ns := topNS[elems[0].Name]
	if ns == "" {
		ns = NSLab
	}
	for i, pe := range elems {
		var cs *yang.Schema
		if s != nil {
			name := pe.Name
			if name == "state" {
				name = "config"
			}
			cs = s.Child(name)
			if cs != nil && cs.NS != "" {
				ns = cs.NS
			}
		}
		s = cs
		cur = cur.child(pe.Name, ns, pe.Keys)
		if i == len(elems)-1 {
			cur.text, cur.hasText = yang.FormatValue(v), true
			if f, ok := v.(float64); ok {
				cur.text = strconvFloat(f)
			}
			if cs != nil && cs.Type == yang.TypeIdentity && cs.IdentityNS != "" {
				cur.idPrefix, cur.idNS = cs.IdentityModule, cs.IdentityNS
			}
		}
	}
}

func (e *xel) write(b *bytes.Buffer, parentNS string) {
	b.WriteString("<" + e.name)
	if e.ns != parentNS {
		b.WriteString(` xmlns="` + e.ns + `"`)
	}
	if e.idPrefix != "" {
		b.WriteString(` xmlns:` + e.idPrefix + `="` + e.idNS + `"`)
	}
	b.WriteString(">")
	if e.hasText {
		if e.idPrefix != "" {
			b.WriteString(e.idPrefix + ":")
		}
		_ = xml.EscapeText(b, []byte(e.text))
	}
	for _, k := range e.keys {
		if e.hasChild(k.Name) {
			continue
		}
		b.WriteString("<" + k.Name + ">")
		_ = xml.EscapeText(b, []byte(k.Value))
		b.WriteString("</" + k.Name + ">")
	}
	for _, c := range e.children {
		c.write(b, e.ns)
	}
	b.WriteString("</" + e.name + ">")
}

func (e *xel) hasChild(name string) bool {
	for _, c := range e.children {
		if c.name == name && c.hasText {
			return true
		}
	}
	return false
}

// filter applies a subtree filter (RFC 6241 section 6) to e's children and
// returns the selected copy.
func (e *xel) filter(f []node) *xel {
	out := &xel{name: e.name, ns: e.ns, keys: e.keys}
	for _, fn := range f {
		for _, c := range e.children {
			if c.name != fn.XMLName.Local || (fn.XMLName.Space != "" && fn.XMLName.Space != c.ns) {
				continue
			}
			if sel := c.match(fn); sel != nil {
				out.children = append(out.children, sel)
			}
		}
	}
	return out
}

// match returns the part of e that filter node f selects, or nil.
func (e *xel) match(f node) *xel {
	if len(f.Children) == 0 {
		text := strings.TrimSpace(f.Text)
		if text == "" {
			return e // selection node
		}
		if e.hasText && (e.text == text || e.idPrefix+":"+e.text == text) {
			return e // content match on a leaf
		}
		if !e.hasText {
			return nil
		}
		return nil
	}
	var contentMatch, others []node
	for _, c := range f.Children {
		if len(c.Children) == 0 && strings.TrimSpace(c.Text) != "" {
			contentMatch = append(contentMatch, c)
		} else {
			others = append(others, c)
		}
	}
	for _, cm := range contentMatch {
		want := strings.TrimSpace(cm.Text)
		ok := false
		for _, k := range e.keys {
			if k.Name == cm.XMLName.Local && k.Value == want {
				ok = true
			}
		}
		for _, c := range e.children {
			if c.name == cm.XMLName.Local && c.hasText && (c.text == want || c.idPrefix+":"+c.text == want) {
				ok = true
			}
		}
		if !ok {
			return nil
		}
	}
	if len(others) == 0 {
		return e
	}
	out := &xel{name: e.name, ns: e.ns, keys: e.keys}
	for _, cm := range contentMatch {
		for _, c := range e.children {
			if c.name == cm.XMLName.Local && c.hasText {
				out.children = append(out.children, c)
			}
		}
	}
	any := false
	for _, o := range others {
		for _, c := range e.children {
			if c.name != o.XMLName.Local {
				continue
			}
			if sel := c.match(o); sel != nil {
				out.children = append(out.children, sel)
				any = true
			}
		}
	}
	if !any && len(contentMatch) == 0 {
		return nil
	}
	return out
}

func strconvFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
