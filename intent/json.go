package intent

import (
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits of strict decoding.
const (
	// MaxBytes is the largest intent document accepted.
	MaxBytes = 1 << 20
	// MaxDepth is the deepest nesting of objects and arrays accepted.
	MaxDepth = 32
)

// parser is a strict JSON parser producing the generic values JSON Schema
// validation works on: map[string]any, []any, string, json.Number, bool and
// nil. Unlike encoding/json it refuses duplicate object keys, invalid UTF-8,
// nesting deeper than MaxDepth and anything after the value, and reports
// where with a JSON pointer.
type parser struct {
	data  []byte
	pos   int
	path  []string          // reference tokens of the value being parsed
	words map[string]string // known strings, shared instead of copied
}

// parseStrict parses data as exactly one JSON value.
func parseStrict(data []byte) (any, *InvalidError) {
	if len(data) > MaxBytes {
		e := invalid(StageSyntax, "", "the document is %d bytes; the limit is %d bytes (1 MiB)", len(data), MaxBytes)
		e.tooLarge = true
		return nil, e
	}
	p := &parser{data: data}
	if set, err := loadSchemas(); err == nil {
		p.words = set.words
	}
	p.skipSpace()
	if p.pos == len(data) {
		return nil, invalid(StageSyntax, "", "the document is empty; an intent is a JSON object")
	}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(data) {
		return nil, invalid(StageSyntax, "", "unexpected data after the JSON value at byte %d", p.pos)
	}
	return v, nil
}

func (p *parser) pointer() string {
	n := 0
	for _, t := range p.path {
		n += len(t) + 1
	}
	b := make([]byte, 0, n)
	for _, t := range p.path {
		b = append(b, '/')
		b = append(b, pointerEscape(t)...)
	}
	return string(b)
}

func (p *parser) fail(format string, args ...any) *InvalidError {
	return invalid(StageSyntax, p.pointer(), format+" (byte %d)", append(args, p.pos)...)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, *InvalidError) {
	if p.pos >= len(p.data) {
		return nil, p.fail("the document ends where a value was expected")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		if depth >= MaxDepth {
			return nil, p.fail("nesting is deeper than %d levels", MaxDepth)
		}
		return p.object(depth + 1)
	case c == '[':
		if depth >= MaxDepth {
			return nil, p.fail("nesting is deeper than %d levels", MaxDepth)
		}
		return p.array(depth + 1)
	case c == '"':
		return p.string()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return nil, p.fail("unexpected character %q where a value was expected", rune(c))
	}
}

func (p *parser) literal(word string, v any) (any, *InvalidError) {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return nil, p.fail("invalid literal; expected %s", word)
	}
	p.pos += len(word)
	return v, nil
}

func (p *parser) object(depth int) (any, *InvalidError) {
	p.pos++ // {
	obj := make(map[string]any, 8)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return obj, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.fail("expected a quoted member name")
		}
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		key := k.(string)
		if _, dup := obj[key]; dup {
			p.path = append(p.path, key)
			e := invalid(StageSyntax, p.pointer(), "duplicate member %q; each member may appear once", key)
			p.path = p.path[:len(p.path)-1]
			return nil, e
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.fail("expected ':' after member name %q", key)
		}
		p.pos++
		p.skipSpace()
		p.path = append(p.path, key)
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		obj[key] = v
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.fail("the document ends inside an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return obj, nil
		default:
			return nil, p.fail("expected ',' or '}' in an object")
		}
	}
}

func (p *parser) array(depth int) (any, *InvalidError) {
	p.pos++ // [
	arr := make([]any, 0, 4)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return arr, nil
	}
	for i := 0; ; i++ {
		p.skipSpace()
		p.path = append(p.path, strconv.Itoa(i))
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		arr = append(arr, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.fail("the document ends inside an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return arr, nil
		default:
			return nil, p.fail("expected ',' or ']' in an array")
		}
	}
}

func (p *parser) string() (any, *InvalidError) {
	p.pos++ // opening quote
	start := p.pos
	// Fast path: no escapes.
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.data[start:p.pos]
			p.pos++
			if w, ok := p.words[string(s)]; ok {
				return w, nil
			}
			if !utf8.Valid(s) {
				return nil, p.fail("a string is not valid UTF-8")
			}
			return string(s), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return nil, p.fail("a control character must be escaped in a string")
		}
		p.pos++
	}
	buf := append([]byte(nil), p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			if !utf8.Valid(buf) {
				return nil, p.fail("a string is not valid UTF-8")
			}
			return string(buf), nil
		case c < 0x20:
			return nil, p.fail("a control character must be escaped in a string")
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.data) {
			break
		}
		e := p.data[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return nil, p.fail("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
					p.pos += 2
					if r2, ok = p.hex4(); !ok {
						return nil, p.fail("invalid \\u escape")
					}
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return nil, p.fail("an unpaired UTF-16 surrogate in a \\u escape")
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return nil, p.fail("invalid escape \\%c", e)
		}
	}
	return nil, p.fail("the document ends inside a string")
}

func (p *parser) hex4() (rune, bool) {
	if len(p.data)-p.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.data[p.pos : p.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.pos += 4
	return r, true
}

func (p *parser) number() (any, *InvalidError) {
	start := p.pos
	d := p.data
	if d[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	intStart := p.pos
	n := digits()
	if n == 0 {
		return nil, p.fail("invalid number")
	}
	if n > 1 && d[intStart] == '0' {
		return nil, p.fail("a number may not have leading zeros")
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.fail("invalid number: digits must follow the decimal point")
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.fail("invalid number: digits must follow the exponent")
		}
	}
	if p.pos-start > 64 {
		return nil, p.fail("a number is longer than 64 characters")
	}
	return json.Number(d[start:p.pos]), nil
}
