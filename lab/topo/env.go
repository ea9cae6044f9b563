package topo

import "strings"

// expandEnv substitutes environment variables in a topology document as
// containerlab does before it reads the YAML: ${NAME}, $NAME, and the
// defaults ${NAME:-word} / ${NAME:=word} (word when NAME is unset or empty)
// and ${NAME-word} / ${NAME=word} (word when NAME is unset). A variable
// that is unset and has no default is left as written, so a literal "$"
// in a startup-config survives; so are "$$", "$1" and anything that is not
// a variable reference.
func expandEnv(src string, lookup func(string) (string, bool)) string {
	if !strings.Contains(src, "$") {
		return src
	}
	var b strings.Builder
	b.Grow(len(src))
	for i := 0; i < len(src); {
		c := src[i]
		if c != '$' || i+1 >= len(src) {
			b.WriteByte(c)
			i++
			continue
		}
		if src[i+1] == '{' {
			end := strings.IndexByte(src[i+2:], '}')
			if end < 0 {
				b.WriteString(src[i:])
				return b.String()
			}
			body := src[i+2 : i+2+end]
			if v, ok := expandBraced(body, lookup); ok {
				b.WriteString(v)
			} else {
				b.WriteString(src[i : i+3+end])
			}
			i += 3 + end
			continue
		}
		n := nameLen(src[i+1:])
		if n == 0 {
			b.WriteByte(c)
			i++
			continue
		}
		name := src[i+1 : i+1+n]
		if v, ok := lookup(name); ok {
			b.WriteString(v)
		} else {
			b.WriteString(src[i : i+1+n])
		}
		i += 1 + n
	}
	return b.String()
}

// expandBraced expands the inside of ${...}; ok is false when it is left
// as written.
func expandBraced(body string, lookup func(string) (string, bool)) (string, bool) {
	n := nameLen(body)
	if n == 0 {
		return "", false
	}
	name, rest := body[:n], body[n:]
	v, set := lookup(name)
	switch {
	case rest == "":
		return v, set
	case strings.HasPrefix(rest, ":-"), strings.HasPrefix(rest, ":="):
		if set && v != "" {
			return v, true
		}
		return rest[2:], true
	case strings.HasPrefix(rest, "-"), strings.HasPrefix(rest, "="):
		if set {
			return v, true
		}
		return rest[1:], true
	}
	return "", false
}

// nameLen is the length of the variable name at the start of s: a letter
// or '_' followed by letters, digits and '_'.
func nameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return i
		}
	}
	return len(s)
}
