package yang

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseValue converts the text form of a leaf value (as XML, CLI and path
// keys carry it) into the canonical Go value of leaf s: string, bool or
// uint64. Identity values may carry a module prefix, which is dropped.
func ParseValue(s *Schema, text string) (any, error) {
	switch s.Type {
	case TypeBool:
		switch strings.TrimSpace(text) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a boolean (true or false)", text)
	case TypeUint8, TypeUint16, TypeUint32, TypeUint64:
		v, err := strconv.ParseUint(strings.TrimSpace(text), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a %s", text, s.Type)
		}
		return v, nil
	case TypeIdentity:
		t := strings.TrimSpace(text)
		if i := strings.LastIndexByte(t, ':'); i >= 0 {
			t = t[i+1:]
		}
		return t, nil
	case TypeNextHop:
		t := strings.TrimSpace(text)
		if i := strings.LastIndexByte(t, ':'); i >= 0 && !strings.Contains(t, ".") {
			t = t[i+1:]
		}
		return t, nil
	case TypeIPv4, TypeIPv4Prefix:
		return strings.TrimSpace(text), nil
	}
	return text, nil
}

// FormatValue is the inverse of ParseValue: the text form of v, without
// module prefixes.
func FormatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case uint64:
		return strconv.FormatUint(x, 10)
	}
	return fmt.Sprint(v)
}

// appendValue appends FormatValue(v) to b.
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return append(b, x...)
	case bool:
		return strconv.AppendBool(b, x)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	}
	return fmt.Append(b, v)
}

// normalize converts v into the canonical Go type of leaf s, failing only
// when the Go type cannot carry the leaf's type at all. Ranges and formats are
// checked by Validate so that every error is reported at once.
func normalize(s *Schema, v any) (any, error) {
	switch s.Type {
	case TypeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case TypeUint8, TypeUint16, TypeUint32, TypeUint64:
		switch x := v.(type) {
		case uint64:
			return x, nil
		case uint:
			return uint64(x), nil
		case uint8:
			return uint64(x), nil
		case uint16:
			return uint64(x), nil
		case uint32:
			return uint64(x), nil
		case int:
			if x >= 0 {
				return uint64(x), nil
			}
			return nil, fmt.Errorf("%d is below the minimum %d", x, s.Min)
		case int64:
			if x >= 0 {
				return uint64(x), nil
			}
			return nil, fmt.Errorf("%d is below the minimum %d", x, s.Min)
		}
	default:
		if str, ok := v.(string); ok {
			return str, nil
		}
	}
	return nil, fmt.Errorf("%v (%T) is not a %s", v, v, s.Type)
}

// checkValue checks v against the leaf's range, length and format and
// returns the reason it is invalid, or "".
func checkValue(s *Schema, v any) string {
	switch s.Type {
	case TypeUint8, TypeUint16, TypeUint32, TypeUint64:
		n := v.(uint64)
		if n > s.Max {
			return fmt.Sprintf("%d is above the maximum %d", n, s.Max)
		}
		if n < s.Min {
			return fmt.Sprintf("%d is below the minimum %d", n, s.Min)
		}
	case TypeString:
		str := v.(string)
		// YANG's length counts characters, not bytes (RFC 7950 9.4.4).
		n := uint64(utf8.RuneCountInString(str))
		if s.Max > 0 && n > s.Max {
			return fmt.Sprintf("%d characters is longer than the maximum %d", n, s.Max)
		}
		if s.Min > 0 && n < s.Min {
			return "must not be empty"
		}
		for _, r := range str {
			if r < 0x20 && r != '\t' {
				return fmt.Sprintf("%q contains a control character", str)
			}
		}
	case TypeIPv4:
		a, err := netip.ParseAddr(v.(string))
		if err != nil || !a.Is4() {
			return fmt.Sprintf("%q is not an IPv4 address", v)
		}
	case TypeIPv4Prefix:
		str := v.(string)
		p, err := netip.ParsePrefix(str)
		if err != nil || !p.Addr().Is4() {
			return fmt.Sprintf("%q is not an IPv4 prefix (a.b.c.d/len)", str)
		}
		if p.Masked() != p {
			return fmt.Sprintf("%q has host bits set; did you mean %s?", str, p.Masked())
		}
	case TypeIdentity:
		if !allowed(s, v.(string)) {
			return fmt.Sprintf("%q is not one of %s", v, strings.Join(s.Identities, ", "))
		}
	case TypeNextHop:
		str := v.(string)
		if allowed(s, str) {
			return ""
		}
		a, err := netip.ParseAddr(str)
		if err != nil || !a.Is4() {
			return fmt.Sprintf("%q is neither an IPv4 address nor one of %s", str, strings.Join(s.Identities, ", "))
		}
	}
	return ""
}

func allowed(s *Schema, v string) bool {
	if len(s.Identities) == 0 {
		return true
	}
	for _, id := range s.Identities {
		if id == v {
			return true
		}
	}
	return false
}
