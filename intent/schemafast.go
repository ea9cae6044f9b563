package intent

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fastSchema is a second evaluator of the kinds' JSON Schemas, for the hot
// path of intake. It understands only the keywords the embedded schemas
// use and it may only ever say "valid" when it is sure: whenever it cannot
// decide (an unknown keyword, a number it cannot compare exactly) it says
// "not valid", and santhosh-tekuri/jsonschema, the authority, decides and
// reports every error. So a valid intent costs one quick walk, and an
// invalid one gets the full error tree. FuzzSchemaAgreement checks that
// the fast evaluator never accepts what the authority refuses.
type fastNode struct {
	types      uint8 // bit set of fastType*; 0 means any
	enum       []string
	hasConst   bool
	constStr   string
	props      map[string]*fastNode
	required   []string
	noExtra    bool
	extra      *fastNode
	propNames  *fastNode
	minProps   int
	maxProps   int
	items      *fastNode
	minItems   int
	maxItems   int
	unique     bool
	minLen     int
	maxLen     int
	pattern    *regexp.Regexp
	min, max   *float64
	ref        *fastNode
	refPointer string
	anyOf      []*fastNode
	never      bool // the schema false
}

const (
	fastObject uint8 = 1 << iota
	fastArray
	fastString
	fastNumber
	fastInteger
	fastBoolean
	fastNull
)

var fastTypes = map[string]uint8{"object": fastObject, "array": fastArray, "string": fastString, "number": fastNumber,
	"integer": fastInteger, "boolean": fastBoolean, "null": fastNull}

// annotations are keywords that do not affect validity.
var annotations = map[string]bool{"$schema": true, "$id": true, "title": true, "description": true, "$defs": true,
	"default": true, "examples": true, "$comment": true}

// compileFast compiles a schema document, or fails if it uses anything
// the fast evaluator does not understand.
func compileFast(doc map[string]any) (*fastNode, error) {
	c := &fastCompiler{root: doc, refs: map[string]*fastNode{}}
	n, err := c.node(doc, "")
	if err != nil {
		return nil, err
	}
	// Build every referenced schema; building one may reference more.
	built := map[string]bool{}
	for len(built) < len(c.refs) {
		for ptr, target := range c.refs {
			if built[ptr] {
				continue
			}
			built[ptr] = true
			v, err := resolvePointer(doc, ptr)
			if err != nil {
				return nil, err
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("$ref %s is not a schema object", ptr)
			}
			b, err := c.node(m, ptr)
			if err != nil {
				return nil, err
			}
			*target = *b
		}
	}
	return n, nil
}

type fastCompiler struct {
	root map[string]any
	refs map[string]*fastNode
}

func (c *fastCompiler) node(s map[string]any, at string) (*fastNode, error) {
	n := &fastNode{minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}
	for k, v := range s {
		var err error
		switch k {
		case "type":
			switch t := v.(type) {
			case string:
				n.types |= fastTypes[t]
			case []any:
				for _, e := range t {
					es, _ := e.(string)
					n.types |= fastTypes[es]
				}
			}
			if n.types == 0 {
				err = fmt.Errorf("type %v", v)
			}
		case "enum":
			for _, e := range v.([]any) {
				es, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("%s: non-string enum", at)
				}
				n.enum = append(n.enum, es)
			}
			if n.enum == nil {
				n.enum = []string{}
			}
		case "const":
			cs, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%s: non-string const", at)
			}
			n.hasConst, n.constStr = true, cs
		case "properties":
			n.props = map[string]*fastNode{}
			for name, ps := range v.(map[string]any) {
				if n.props[name], err = c.sub(ps, at+"/properties/"+name); err != nil {
					return nil, err
				}
			}
		case "required":
			for _, r := range v.([]any) {
				n.required = append(n.required, r.(string))
			}
		case "additionalProperties":
			if b, ok := v.(bool); ok {
				n.noExtra = !b
			} else {
				n.extra, err = c.sub(v, at+"/additionalProperties")
			}
		case "propertyNames":
			n.propNames, err = c.sub(v, at+"/propertyNames")
		case "items":
			n.items, err = c.sub(v, at+"/items")
		case "minProperties":
			n.minProps, err = intOf(v)
		case "maxProperties":
			n.maxProps, err = intOf(v)
		case "minItems":
			n.minItems, err = intOf(v)
		case "maxItems":
			n.maxItems, err = intOf(v)
		case "minLength":
			n.minLen, err = intOf(v)
		case "maxLength":
			n.maxLen, err = intOf(v)
		case "uniqueItems":
			n.unique, _ = v.(bool)
		case "pattern":
			n.pattern, err = regexp.Compile(v.(string))
		case "minimum":
			n.min, err = floatOf(v)
		case "maximum":
			n.max, err = floatOf(v)
		case "anyOf":
			branches, ok := v.([]any)
			if !ok || len(branches) == 0 {
				return nil, fmt.Errorf("%s: anyOf must be a non-empty array", at)
			}
			for i, b := range branches {
				bn, err := c.sub(b, fmt.Sprintf("%s/anyOf/%d", at, i))
				if err != nil {
					return nil, err
				}
				n.anyOf = append(n.anyOf, bn)
			}
		case "$ref":
			ref, _ := v.(string)
			if !strings.HasPrefix(ref, "#") {
				return nil, fmt.Errorf("%s: external $ref %q", at, ref)
			}
			ptr := ref[1:]
			if c.refs[ptr] == nil {
				c.refs[ptr] = &fastNode{}
			}
			n.ref, n.refPointer = c.refs[ptr], ptr
		default:
			if !annotations[k] {
				return nil, fmt.Errorf("%s: keyword %q is not supported by the fast evaluator", at, k)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", at, k, err)
		}
	}
	return n, nil
}

func (c *fastCompiler) sub(v any, at string) (*fastNode, error) {
	if b, ok := v.(bool); ok {
		// The schemas true (anything) and false (nothing).
		return &fastNode{never: !b, minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a schema object", at)
	}
	return c.node(m, at)
}

func intOf(v any) (int, error) {
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) {
		return 0, fmt.Errorf("%v is not an integer", v)
	}
	return int(f), nil
}

func floatOf(v any) (*float64, error) {
	f, ok := v.(float64)
	if !ok {
		return nil, fmt.Errorf("%v is not a number", v)
	}
	return &f, nil
}

func resolvePointer(doc any, ptr string) (any, error) {
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref #%s does not resolve", ptr)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("$ref #%s does not resolve", ptr)
		}
	}
	return cur, nil
}

// valid reports whether v certainly satisfies n. false means "not valid,
// or not sure".
func (n *fastNode) valid(v any) bool {
	if n.never || (n.ref != nil && !n.ref.valid(v)) {
		return false
	}
	if n.anyOf != nil {
		// Valid for certain when one branch certainly is.
		ok := false
		for _, b := range n.anyOf {
			if b.valid(v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	switch x := v.(type) {
	case map[string]any:
		if n.types != 0 && n.types&fastObject == 0 {
			return false
		}
		return n.validObject(x)
	case []any:
		if n.types != 0 && n.types&fastArray == 0 {
			return false
		}
		return n.validArray(x)
	case string:
		if n.types != 0 && n.types&fastString == 0 {
			return false
		}
		return n.validString(x)
	case json.Number:
		return n.validNumber(x)
	case bool:
		return (n.types == 0 || n.types&fastBoolean != 0) && n.enum == nil && !n.hasConst
	case nil:
		return (n.types == 0 || n.types&fastNull != 0) && n.enum == nil && !n.hasConst
	}
	return false
}

func (n *fastNode) validObject(m map[string]any) bool {
	if n.enum != nil || n.hasConst {
		return false
	}
	if (n.minProps >= 0 && len(m) < n.minProps) || (n.maxProps >= 0 && len(m) > n.maxProps) {
		return false
	}
	for _, r := range n.required {
		if _, ok := m[r]; !ok {
			return false
		}
	}
	for k, v := range m {
		if n.propNames != nil && !n.propNames.valid(k) {
			return false
		}
		if ps, ok := n.props[k]; ok {
			if !ps.valid(v) {
				return false
			}
			continue
		}
		if n.noExtra {
			return false
		}
		if n.extra != nil && !n.extra.valid(v) {
			return false
		}
	}
	return true
}

func (n *fastNode) validArray(a []any) bool {
	if n.enum != nil || n.hasConst {
		return false
	}
	if (n.minItems >= 0 && len(a) < n.minItems) || (n.maxItems >= 0 && len(a) > n.maxItems) {
		return false
	}
	if n.items != nil {
		for _, e := range a {
			if !n.items.valid(e) {
				return false
			}
		}
	}
	if n.unique && len(a) > 1 {
		seen := make(map[string]bool, len(a))
		for _, e := range a {
			s, ok := e.(string)
			if !ok || seen[s] {
				return false // not sure, or a duplicate
			}
			seen[s] = true
		}
	}
	return true
}

func (n *fastNode) validString(s string) bool {
	if n.hasConst && s != n.constStr {
		return false
	}
	if n.enum != nil {
		found := false
		for _, e := range n.enum {
			if e == s {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if n.minLen >= 0 || n.maxLen >= 0 {
		l := utf8.RuneCountInString(s)
		if (n.minLen >= 0 && l < n.minLen) || (n.maxLen >= 0 && l > n.maxLen) {
			return false
		}
	}
	return n.pattern == nil || n.pattern.MatchString(s)
}

func (n *fastNode) validNumber(x json.Number) bool {
	if n.enum != nil || n.hasConst {
		return false
	}
	s := string(x)
	// Decide only plain integers and decimals short enough to be exact in
	// a float64; anything else goes to the authority.
	if len(s) > 15 || strings.ContainsAny(s, "eE") {
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false
	}
	isInt := !strings.Contains(s, ".") || strings.TrimRight(s[strings.IndexByte(s, '.')+1:], "0") == ""
	switch {
	case n.types == 0, n.types&fastNumber != 0:
	case n.types&fastInteger != 0:
		if !isInt {
			return false
		}
	default:
		return false
	}
	if (n.min != nil && f < *n.min) || (n.max != nil && f > *n.max) {
		return false
	}
	return true
}
