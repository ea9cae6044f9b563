package yang

import (
	"fmt"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// Key is one key of a list entry in a path.
type Key struct {
	Name, Value string
}

// Elem is one element of a path: a node name and, for a list entry, its keys
// in schema order.
type Elem struct {
	Name string
	Keys []Key
}

// Path addresses a node of the canonical model, in gNMI path form:
// /interfaces/interface[name=eth1]/config/mtu. Paths are values: methods
// that extend a path return a new one and never alias the receiver.
type Path []Elem

// String formats p as a gNMI path string, escaping ']' and '\' in key values.
func (p Path) String() string {
	if len(p) == 0 {
		return "/"
	}
	var b strings.Builder
	b.Grow(16 * len(p))
	for _, e := range p {
		b.WriteByte('/')
		b.WriteString(e.Name)
		for _, k := range e.Keys {
			writeKey(&b, k)
		}
	}
	return b.String()
}

// writeKey renders one key predicate, "[name=value]", with ']' and '\\'
// in the value escaped.
func writeKey(b *strings.Builder, k Key) {
	b.WriteByte('[')
	b.WriteString(k.Name)
	b.WriteByte('=')
	for i := 0; i < len(k.Value); i++ {
		c := k.Value[i]
		if c == ']' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte(']')
}

// Child returns p extended by one element.
func (p Path) Child(name string, keys ...Key) Path {
	q := make(Path, len(p), len(p)+1)
	copy(q, p)
	return append(q, Elem{Name: name, Keys: keys})
}

// Leaf returns p extended by the plain elements names, e.g. p.Leaf("config", "mtu").
func (p Path) Leaf(names ...string) Path {
	q := make(Path, len(p), len(p)+len(names))
	copy(q, p)
	for _, n := range names {
		q = append(q, Elem{Name: n})
	}
	return q
}

// Parent returns p without its last element.
func (p Path) Parent() Path {
	if len(p) == 0 {
		return p
	}
	return p[: len(p)-1 : len(p)-1]
}

// HasPrefix reports whether q is p or an ancestor of p.
func (p Path) HasPrefix(q Path) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if !elemEqual(p[i], q[i]) {
			return false
		}
	}
	return true
}

// Equal reports whether p and q address the same node.
func (p Path) Equal(q Path) bool { return len(p) == len(q) && p.HasPrefix(q) }

// IsEntry reports whether p ends at a list entry.
func (p Path) IsEntry() bool { return len(p) > 0 && len(p[len(p)-1].Keys) > 0 }

// KeyValue returns the value of key name in the nearest element that has it.
func (p Path) KeyValue(name string) string {
	for i := len(p) - 1; i >= 0; i-- {
		for _, k := range p[i].Keys {
			if k.Name == name {
				return k.Value
			}
		}
	}
	return ""
}

func elemEqual(a, b Elem) bool {
	if a.Name != b.Name || len(a.Keys) != len(b.Keys) {
		return false
	}
	for i := range a.Keys {
		if a.Keys[i] != b.Keys[i] {
			return false
		}
	}
	return true
}

// SchemaPath is p without its keys: the schema node it addresses, as
// "/interfaces/interface/config/mtu".
func SchemaPath(p Path) string {
	var b strings.Builder
	for _, e := range p {
		b.WriteByte('/')
		b.WriteString(e.Name)
	}
	return b.String()
}

// ParsePath parses a gNMI path string and checks it against the schema: every
// element must exist and every list element must carry all of its keys.
func ParsePath(s string) (Path, error) {
	p, err := parseRaw(s)
	if err != nil {
		return nil, err
	}
	if _, err := p.Schema(); err != nil {
		return nil, err
	}
	return p, nil
}

// MustParsePath is ParsePath for constant paths in code and tests; it panics on error.
func MustParsePath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

// ParseAnyPath parses a gNMI path string without checking it against the
// configuration schema: telemetry and state paths (counters, platform data)
// lie outside it. Keys keep the order they are written in; a key named twice
// is an error. ParsePath is ParseAnyPath plus the schema check.
func ParseAnyPath(s string) (Path, error) { return parseRaw(s) }

func parseRaw(s string) (Path, error) {
	if s == "" || s[0] != '/' {
		return nil, fmt.Errorf("path %q: must start with /", s)
	}
	if s == "/" {
		return Path{}, nil
	}
	var p Path
	i := 1
	for i <= len(s) {
		j := i
		for j < len(s) && s[j] != '/' && s[j] != '[' {
			j++
		}
		if j == i {
			return nil, fmt.Errorf("path %q: empty element at offset %d", s, i)
		}
		e := Elem{Name: s[i:j]}
		for j < len(s) && s[j] == '[' {
			eq := strings.IndexByte(s[j:], '=')
			if eq < 0 {
				return nil, fmt.Errorf("path %q: key without '=' at offset %d", s, j)
			}
			name := s[j+1 : j+eq]
			if name == "" {
				return nil, fmt.Errorf("path %q: empty key name at offset %d", s, j)
			}
			k := j + eq + 1
			var v strings.Builder
			closed := false
			for k < len(s) {
				c := s[k]
				if c == '\\' && k+1 < len(s) {
					v.WriteByte(s[k+1])
					k += 2
					continue
				}
				if c == ']' {
					closed = true
					k++
					break
				}
				v.WriteByte(c)
				k++
			}
			if !closed {
				return nil, fmt.Errorf("path %q: unterminated key %q", s, name)
			}
			for _, have := range e.Keys {
				if have.Name == name {
					return nil, fmt.Errorf("path %q: key %q given twice", s, name)
				}
			}
			e.Keys = append(e.Keys, Key{Name: name, Value: v.String()})
			j = k
		}
		p = append(p, e)
		if j < len(s) && s[j] != '/' {
			return nil, fmt.Errorf("path %q: unexpected %q at offset %d", s, s[j], j)
		}
		if j == len(s)-1 {
			return nil, fmt.Errorf("path %q: trailing /", s)
		}
		i = j + 1
	}
	return p, nil
}

// Schema resolves p against the canonical schema. It orders the keys of
// each list element as the schema does and fails on a missing or unknown key.
func (p Path) Schema() (*Schema, error) {
	s := Root
	for i := range p {
		e := &p[i]
		c := s.Child(e.Name)
		if c == nil {
			return nil, fmt.Errorf("%s: unknown element %q", p[:i+1], e.Name)
		}
		if c.Kind == KindList {
			if len(e.Keys) != len(c.Keys) {
				return nil, fmt.Errorf("%s: list %s needs keys %v", p[:i+1], c.Name, c.Keys)
			}
			if !keysInOrder(e.Keys, c.Keys) {
				keys := make([]Key, len(c.Keys))
				for ki, name := range c.Keys {
					found := false
					for _, k := range e.Keys {
						if k.Name == name {
							keys[ki] = k
							found = true
						}
					}
					if !found {
						return nil, fmt.Errorf("%s: list %s needs key %q", p[:i+1], c.Name, name)
					}
				}
				e.Keys = keys
			}
		} else if len(e.Keys) > 0 {
			return nil, fmt.Errorf("%s: %s is not a list and takes no keys", p[:i+1], c.Name)
		}
		s = c
	}
	return s, nil
}

func keysInOrder(have []Key, want []string) bool {
	for i := range want {
		if have[i].Name != want[i] {
			return false
		}
	}
	return true
}

// GNMI converts p to a gNMI path (elements only, no origin).
func (p Path) GNMI() *gpb.Path {
	out := &gpb.Path{Elem: make([]*gpb.PathElem, len(p))}
	for i, e := range p {
		pe := &gpb.PathElem{Name: e.Name}
		if len(e.Keys) > 0 {
			pe.Key = make(map[string]string, len(e.Keys))
			for _, k := range e.Keys {
				pe.Key[k.Name] = k.Value
			}
		}
		out.Elem[i] = pe
	}
	return out
}

// FromGNMI converts a gNMI path (with an optional prefix) into a Path checked
// against the schema. Module prefixes on element names ("openconfig-interfaces:interfaces") are dropped.
func FromGNMI(prefix, p *gpb.Path) (Path, error) {
	var out Path
	for _, src := range []*gpb.Path{prefix, p} {
		if src == nil {
			continue
		}
		//lint:ignore SA1019 refusing the deprecated field is the point
		if len(src.GetElement()) > 0 {
			return nil, fmt.Errorf("gnmi path: deprecated element field is not supported, use elem")
		}
		for _, pe := range src.GetElem() {
			name := pe.GetName()
			if i := strings.IndexByte(name, ':'); i >= 0 {
				name = name[i+1:]
			}
			e := Elem{Name: name}
			for _, k := range sortedKeys(pe.GetKey()) {
				e.Keys = append(e.Keys, Key{Name: k, Value: pe.GetKey()[k]})
			}
			out = append(out, e)
		}
	}
	if _, err := out.Schema(); err != nil {
		return nil, err
	}
	return out, nil
}

// Paths of the model's main nodes, for callers that build trees.

// InterfacePath is /interfaces/interface[name=NAME].
func InterfacePath(name string) Path {
	return Path{{Name: "interfaces"}, {Name: "interface", Keys: []Key{{"name", name}}}}
}

// SubinterfacePath is the subinterface INDEX of interface NAME.
func SubinterfacePath(name string, index uint32) Path {
	return InterfacePath(name).Leaf("subinterfaces").Child("subinterface", Key{"index", fmt.Sprint(index)})
}

// AddressPath is the IPv4 address IP of subinterface INDEX of interface NAME.
func AddressPath(name string, index uint32, ip string) Path {
	return SubinterfacePath(name, index).Leaf("ipv4", "addresses").Child("address", Key{"ip", ip})
}

// ProtocolPath is a protocol of the default network instance.
func ProtocolPath(identifier, name string) Path {
	return Path{{Name: "network-instances"}, {Name: "network-instance", Keys: []Key{{"name", DefaultInstance}}},
		{Name: "protocols"}, {Name: "protocol", Keys: []Key{{"identifier", identifier}, {"name", name}}}}
}

// StaticRoutePath is the static route PREFIX of the default network instance.
func StaticRoutePath(prefix string) Path {
	return ProtocolPath(StaticProtocol, StaticProtocol).Leaf("static-routes").Child("static", Key{"prefix", prefix})
}

// NextHopPath is next hop INDEX of static route PREFIX.
func NextHopPath(prefix, index string) Path {
	return StaticRoutePath(prefix).Leaf("next-hops").Child("next-hop", Key{"index", index})
}

// BGPPath is the BGP protocol of the default network instance.
func BGPPath() Path { return ProtocolPath(BGPProtocol, BGPProtocol).Leaf("bgp") }

// NeighborPath is BGP neighbour ADDR of the default network instance.
func NeighborPath(addr string) Path {
	return BGPPath().Leaf("neighbors").Child("neighbor", Key{"neighbor-address", addr})
}
