package yang

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// EncodeSetRequest renders changes as one gNMI SetRequest with RFC 7951
// JSON_IETF values: deletions as delete paths (gNMI applies them first),
// leaf creations and updates as updates, in canonical order. Entry
// creations need no message of their own: the entry's config key leaves,
// which Diff always lists, create it.
func EncodeSetRequest(changes []Change) (*gpb.SetRequest, error) {
	req := &gpb.SetRequest{}
	for _, c := range changes {
		s, err := c.Path.Schema()
		if err != nil {
			return nil, err
		}
		switch {
		case c.Op == OpDelete:
			req.Delete = append(req.Delete, c.Path.GNMI())
		case s.Kind == KindLeaf:
			b, err := jsonScalar(s, c.New)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.Path, err)
			}
			req.Update = append(req.Update, &gpb.Update{
				Path: c.Path.GNMI(),
				Val:  &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: b}},
			})
		}
	}
	return req, nil
}

// jsonScalar encodes a leaf value as RFC 7951 JSON.
func jsonScalar(s *Schema, v any) ([]byte, error) {
	switch s.Type {
	case TypeBool:
		return strconv.AppendBool(nil, v.(bool)), nil
	case TypeUint8, TypeUint16, TypeUint32:
		return strconv.AppendUint(nil, v.(uint64), 10), nil
	case TypeUint64:
		return strconv.AppendQuote(nil, strconv.FormatUint(v.(uint64), 10)), nil
	case TypeIdentity:
		return json.Marshal(s.IdentityModule + ":" + v.(string))
	case TypeNextHop:
		return json.Marshal(jsonValue(s, v))
	}
	str, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%v is not a %s", v, s.Type)
	}
	return json.Marshal(str)
}

// jsonValue is jsonScalar's value for a map being marshalled.
func jsonValue(s *Schema, v any) any {
	switch s.Type {
	case TypeUint64:
		return strconv.FormatUint(v.(uint64), 10)
	case TypeIdentity:
		return s.IdentityModule + ":" + v.(string)
	case TypeNextHop:
		if str, ok := v.(string); ok && allowed(s, str) {
			return s.IdentityModule + ":" + str // DROP, LOCAL_LINK are identities
		}
	}
	return v
}

// EncodeJSONIETF renders the node of t at p as RFC 7951 JSON: an object for
// the root, a container or a list entry, a scalar for a leaf. Member names
// are qualified with their module where it changes (always at the top).
// It returns nil when nothing exists at p.
func EncodeJSONIETF(t *Tree, p Path) ([]byte, error) {
	s, err := p.Schema()
	if err != nil {
		return nil, err
	}
	leaves := t.Subtree(p)
	if len(leaves) == 0 {
		return nil, nil
	}
	if s.Kind == KindLeaf {
		return jsonScalar(s, leaves[0].Value)
	}
	root := map[string]any{}
	entries := map[string]map[string]any{}
	for _, l := range leaves {
		obj := root
		cs := s
		for i := len(p); i < len(l.Path); i++ {
			e := l.Path[i]
			child := cs.Child(e.Name)
			name := e.Name
			if cs == Root || child.Module != cs.Module {
				name = child.Module + ":" + e.Name
			}
			if child.Kind == KindLeaf {
				obj[name] = jsonValue(child, l.Value)
				break
			}
			if child.Kind == KindContainer {
				next, _ := obj[name].(map[string]any)
				if next == nil {
					next = map[string]any{}
					obj[name] = next
				}
				obj, cs = next, child
				continue
			}
			key := l.Path[:i+1].String()
			next := entries[key]
			if next == nil {
				next = map[string]any{}
				entries[key] = next
				arr, _ := obj[name].([]any)
				obj[name] = append(arr, next)
			}
			obj, cs = next, child
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// ApplySetRequest applies a gNMI SetRequest to t atomically: deletions, then
// replacements, then updates, as gNMI specifies; on any error t is left
// unchanged. Values may be JSON_IETF, JSON or scalar typed values; JSON
// members outside the model are errors.
func ApplySetRequest(t *Tree, req *gpb.SetRequest) error {
	c := t.Clone()
	prefix := req.GetPrefix()
	for _, d := range req.GetDelete() {
		p, err := FromGNMI(prefix, d)
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		c.Delete(p)
	}
	for _, u := range req.GetReplace() {
		p, err := FromGNMI(prefix, u.GetPath())
		if err != nil {
			return fmt.Errorf("replace: %w", err)
		}
		c.Delete(p)
		if err := setTyped(c, p, u.GetVal(), true); err != nil {
			return fmt.Errorf("replace %s: %w", p, err)
		}
	}
	for _, u := range req.GetUpdate() {
		p, err := FromGNMI(prefix, u.GetPath())
		if err != nil {
			return fmt.Errorf("update: %w", err)
		}
		if err := setTyped(c, p, u.GetVal(), true); err != nil {
			return fmt.Errorf("update %s: %w", p, err)
		}
	}
	t.leaves, t.sorted = c.leaves, nil
	return nil
}

// DecodeNotifications builds a tree from gNMI notifications (a Get response
// or a Subscribe sync), leniently: paths and members outside the model are
// skipped. The tree is validated; on error none is returned.
func DecodeNotifications(ns []*gpb.Notification) (*Tree, error) {
	t := NewTree()
	for _, n := range ns {
		for _, u := range n.GetUpdate() {
			p, err := FromGNMI(n.GetPrefix(), u.GetPath())
			if err != nil {
				continue
			}
			if err := setTyped(t, p, u.GetVal(), false); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
		for _, d := range n.GetDelete() {
			if p, err := FromGNMI(n.GetPrefix(), d); err == nil {
				t.Delete(p)
			}
		}
	}
	if err := Validate(t); err != nil {
		return nil, err
	}
	return t, nil
}

func setTyped(t *Tree, p Path, v *gpb.TypedValue, strict bool) error {
	s, err := p.Schema()
	if err != nil {
		return err
	}
	var raw []byte
	switch x := v.GetValue().(type) {
	case *gpb.TypedValue_JsonIetfVal:
		raw = x.JsonIetfVal
	case *gpb.TypedValue_JsonVal:
		raw = x.JsonVal
	case *gpb.TypedValue_StringVal:
		return setText(t, p, s, x.StringVal)
	case *gpb.TypedValue_UintVal:
		return setText(t, p, s, strconv.FormatUint(x.UintVal, 10))
	case *gpb.TypedValue_IntVal:
		return setText(t, p, s, strconv.FormatInt(x.IntVal, 10))
	case *gpb.TypedValue_BoolVal:
		return setText(t, p, s, strconv.FormatBool(x.BoolVal))
	default:
		return fmt.Errorf("unsupported value encoding %T", v.GetValue())
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var jv any
	if err := dec.Decode(&jv); err != nil {
		return fmt.Errorf("bad JSON value: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("bad JSON value: trailing data")
	}
	if s.Kind == KindList && !p.IsEntry() {
		return fmt.Errorf("list %s needs its keys in the path", s.Name)
	}
	if s.Kind == KindList {
		if err := t.ensureEntries(p); err != nil {
			return err
		}
	}
	return walkJSON(t, s, p, jv, strict)
}

func setText(t *Tree, p Path, s *Schema, text string) error {
	if s.Kind != KindLeaf {
		return fmt.Errorf("a scalar value needs a leaf path, %s is a %s", p, kindName(s.Kind))
	}
	v, err := ParseValue(s, text)
	if err != nil {
		return err
	}
	return t.Set(p, v)
}

// walkJSON sets the RFC 7951 value v of node s at p into t.
func walkJSON(t *Tree, s *Schema, p Path, v any, strict bool) error {
	if s.Kind == KindLeaf {
		var text string
		switch x := v.(type) {
		case string:
			text = x
		case json.Number:
			text = x.String()
		case bool:
			text = strconv.FormatBool(x)
		default:
			return fmt.Errorf("%s: %v is not a value for a %s leaf", p, v, s.Type)
		}
		if s.IsKey() {
			return nil // keys come from the path
		}
		return setText(t, p, s, text)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: expected a JSON object", p)
	}
	for _, name := range sortedKeys(obj) {
		local := name
		if i := strings.IndexByte(name, ':'); i >= 0 {
			local = name[i+1:]
		}
		cs := s.Child(local)
		if cs == nil {
			if strict {
				return fmt.Errorf("%s: %q is not in the model", p, name)
			}
			continue
		}
		cp := p.Child(local)
		if cs.Kind != KindList {
			if err := walkJSON(t, cs, cp, obj[name], strict); err != nil {
				return err
			}
			continue
		}
		arr, ok := obj[name].([]any)
		if !ok {
			return fmt.Errorf("%s: expected a JSON array", cp)
		}
		for _, item := range arr {
			io, ok := item.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: expected an object per list entry", cp)
			}
			keys := make([]Key, 0, len(cs.Keys))
			for _, k := range cs.Keys {
				kv, ok := lookupMember(io, k)
				if !ok {
					return fmt.Errorf("%s: list entry without its key %q", cp, k)
				}
				var text string
				switch x := kv.(type) {
				case string:
					text = x
				case json.Number:
					text = x.String()
				default:
					return fmt.Errorf("%s: key %q: %v is not a key value", cp, k, kv)
				}
				keys = append(keys, Key{Name: k, Value: bareIdentity(cs.Child(k), text)})
			}
			ep := p.Child(local, keys...)
			if err := t.ensureEntries(ep); err != nil {
				return err
			}
			if err := walkJSON(t, cs, ep, io, strict); err != nil {
				return err
			}
		}
	}
	return nil
}

func lookupMember(obj map[string]any, name string) (any, bool) {
	if v, ok := obj[name]; ok {
		return v, true
	}
	for k, v := range obj {
		if i := strings.IndexByte(k, ':'); i >= 0 && k[i+1:] == name {
			return v, true
		}
	}
	return nil, false
}
