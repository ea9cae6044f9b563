package yang

import (
	"fmt"
	"sort"
	"strings"
)

// Leaf is one leaf of a tree: its path and its canonical value (string,
// bool or uint64).
type Leaf struct {
	Path  Path
	Value any
}

type leafEntry struct {
	path   Path
	str    string // path.String()
	order  string // canonical sort key
	schema *Schema
	value  any
}

// Tree is the configuration of one device in the canonical model, held as
// the set of its leaves. A list entry exists exactly when its key leaves do:
// Set adds them (and their config/ copies) whenever it sets a leaf below an
// entry, so every tree is normalised.
//
// A Tree is not safe for concurrent mutation; readers may share one that no
// one writes.
type Tree struct {
	leaves map[string]*leafEntry
	sorted []*leafEntry // cache of leaves in canonical order, nil when stale
}

// NewTree returns an empty tree.
func NewTree() *Tree { return &Tree{leaves: make(map[string]*leafEntry)} }

// Len is the number of leaves.
func (t *Tree) Len() int { return len(t.leaves) }

// Clone returns a deep copy of t.
func (t *Tree) Clone() *Tree {
	c := &Tree{leaves: make(map[string]*leafEntry, len(t.leaves))}
	for k, e := range t.leaves {
		ec := *e
		c.leaves[k] = &ec
	}
	c.sorted = nil
	return c
}

// Set sets the leaf at p to v, creating the list entries on its way.
func (t *Tree) Set(p Path, v any) error {
	p = append(Path(nil), p...)
	s, err := p.Schema()
	if err != nil {
		return err
	}
	if s.Kind != KindLeaf {
		return fmt.Errorf("%s: is a %s, not a leaf", p, kindName(s.Kind))
	}
	v, err = checkLeaf(p, s, v)
	if err != nil {
		return err
	}
	if err := t.ensureEntries(p); err != nil {
		return err
	}
	t.put(p, s, v)
	return nil
}

// checkLeaf normalises v for leaf s at p and checks that a config/<key>
// leaf agrees with its entry's key.
func checkLeaf(p Path, s *Schema, v any) (any, error) {
	v, err := normalize(s, v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if s.Parent != nil && s.Parent.Name == "config" && s.Parent.Parent != nil && s.Parent.Parent.Kind == KindList && len(p) >= 3 {
		for _, k := range p[len(p)-3].Keys {
			if k.Name == s.Name && FormatValue(v) != k.Value {
				return nil, fmt.Errorf("%s: %q must equal the list key %q", p, FormatValue(v), k.Value)
			}
		}
	}
	return v, nil
}

// SetPath parses path and sets the leaf there to v.
func (t *Tree) SetPath(path string, v any) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	return t.Set(p, v)
}

// ensureEntries sets the key leaves of every list entry on p.
func (t *Tree) ensureEntries(p Path) error {
	s := Root
	for i := range p {
		s = s.Child(p[i].Name)
		if s.Kind != KindList {
			continue
		}
		entry := p[: i+1 : i+1]
		cfg := s.Child("config")
		for _, k := range p[i].Keys {
			ks := s.Child(k.Name)
			kv, err := ParseValue(ks, k.Value)
			if err != nil {
				return fmt.Errorf("%s: key %s: %w", entry, k.Name, err)
			}
			t.put(entry.Child(k.Name), ks, kv)
			if c := cfg.Child(k.Name); c != nil {
				t.put(entry.Leaf("config", k.Name), c, kv)
			}
		}
	}
	return nil
}

func (t *Tree) put(p Path, s *Schema, v any) {
	str := p.String()
	if e, ok := t.leaves[str]; ok {
		e.value = v
		return
	}
	t.leaves[str] = &leafEntry{path: p, str: str, order: orderKey(p), schema: s, value: v}
	t.sorted = nil
}

// putKeyed is put for a caller that has p's String and orderKey already.
func (t *Tree) putKeyed(p Path, str, order string, s *Schema, v any) {
	if e, ok := t.leaves[str]; ok {
		e.value = v
		return
	}
	t.leaves[str] = &leafEntry{path: p, str: str, order: order, schema: s, value: v}
	t.sorted = nil
}

// Get returns the value of the leaf at p.
func (t *Tree) Get(p Path) (any, bool) {
	e, ok := t.leaves[p.String()]
	if !ok {
		return nil, false
	}
	return e.value, true
}

// GetPath is Get with a path string.
func (t *Tree) GetPath(path string) (any, bool) {
	p, err := parseRaw(path)
	if err != nil {
		return nil, false
	}
	return t.Get(p)
}

// Has reports whether any leaf lies at or below p.
func (t *Tree) Has(p Path) bool {
	str := p.String()
	if _, ok := t.leaves[str]; ok {
		return true
	}
	if len(p) == 0 {
		return len(t.leaves) > 0
	}
	pre := str + "/"
	for k := range t.leaves {
		if strings.HasPrefix(k, pre) {
			return true
		}
	}
	return false
}

// Delete removes every leaf at or below p and returns how many it removed.
func (t *Tree) Delete(p Path) int {
	str := p.String()
	n := 0
	if _, ok := t.leaves[str]; ok {
		delete(t.leaves, str)
		n++
	}
	pre := str + "/"
	if len(p) == 0 {
		pre = "/"
	}
	for k := range t.leaves {
		if strings.HasPrefix(k, pre) {
			delete(t.leaves, k)
			n++
		}
	}
	if n > 0 {
		t.sorted = nil
	}
	return n
}

// Leaves returns every leaf in canonical order: schema order of nodes, list
// entries by key in natural order (eth2 before eth10), a parent's own leaves
// before its descendants.
func (t *Tree) Leaves() []Leaf {
	es := t.entries()
	out := make([]Leaf, len(es))
	for i, e := range es {
		out[i] = Leaf{Path: e.path, Value: e.value}
	}
	return out
}

// Subtree returns the leaves at or below p, in canonical order.
func (t *Tree) Subtree(p Path) []Leaf {
	var out []Leaf
	for _, e := range t.entries() {
		if e.path.HasPrefix(p) {
			out = append(out, Leaf{Path: e.path, Value: e.value})
		}
	}
	return out
}

// Equal reports whether t and u hold the same leaves with the same values.
func (t *Tree) Equal(u *Tree) bool {
	if len(t.leaves) != len(u.leaves) {
		return false
	}
	for k, e := range t.leaves {
		f, ok := u.leaves[k]
		if !ok || f.value != e.value {
			return false
		}
	}
	return true
}

// String renders t as one "path = value" line per leaf, in canonical order.
func (t *Tree) String() string {
	return string(t.AppendText(nil))
}

// AppendText appends String's rendering of t to b (digests of a
// configuration hash it without building the string).
func (t *Tree) AppendText(b []byte) []byte {
	es := t.entries()
	if b == nil {
		n := 0
		for _, e := range es {
			n += len(e.str) + 16
		}
		b = make([]byte, 0, n)
	}
	for _, e := range es {
		b = append(b, e.str...)
		b = append(b, " = "...)
		b = appendValue(b, e.value)
		b = append(b, '\n')
	}
	return b
}

func (t *Tree) entries() []*leafEntry {
	if t.sorted != nil && len(t.sorted) == len(t.leaves) {
		return t.sorted
	}
	es := make([]*leafEntry, 0, len(t.leaves))
	for _, e := range t.leaves {
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool { return es[i].order < es[j].order })
	t.sorted = es
	return es
}

// orderKey builds a string whose byte order is the canonical order of paths.
func orderKey(p Path) string {
	var b strings.Builder
	s := Root
	for _, e := range p {
		c := s.Child(e.Name)
		if c == nil {
			b.WriteByte(0xff)
			b.WriteString(e.Name)
			continue
		}
		b.WriteByte(byte(c.index + 1))
		for _, k := range e.Keys {
			natural(&b, k.Value)
			b.WriteByte(0)
		}
		s = c
	}
	return b.String()
}

// natural writes v with every run of digits left-padded to 12 digits, so that
// byte order is natural order.
func natural(b *strings.Builder, v string) {
	for i := 0; i < len(v); {
		if v[i] >= '0' && v[i] <= '9' {
			j := i
			for j < len(v) && v[j] >= '0' && v[j] <= '9' {
				j++
			}
			for k := j - i; k < 12; k++ {
				b.WriteByte('0')
			}
			b.WriteString(v[i:j])
			i = j
			continue
		}
		b.WriteByte(v[i])
		i++
	}
}

func kindName(k Kind) string {
	switch k {
	case KindContainer:
		return "container"
	case KindList:
		return "list"
	}
	return "leaf"
}
