package adapters

import (
	"fmt"
	"strings"

	"github.com/netagent/netagent/yang"
)

// ParseAnyPath parses a gNMI-style path string (/a/b[k=v]/c, with \] and
// \\ escapes in key values) without checking it against the configuration
// model: subscriptions name state, counters and platform data too. Keys
// keep the order they are written in; a key value "*" is a wildcard.
func ParseAnyPath(s string) (yang.Path, error) {
	if s == "" || s[0] != '/' {
		return nil, fmt.Errorf("path %q: must start with /", s)
	}
	p := yang.Path{}
	i := 1
	for i < len(s) {
		j := i
		for j < len(s) && s[j] != '/' && s[j] != '[' {
			j++
		}
		if j == i {
			return nil, fmt.Errorf("path %q: empty element at offset %d", s, i)
		}
		e := yang.Elem{Name: s[i:j]}
		for j < len(s) && s[j] == '[' {
			eq := strings.IndexByte(s[j:], '=')
			if eq < 2 {
				return nil, fmt.Errorf("path %q: bad key at offset %d", s, j)
			}
			name := s[j+1 : j+eq]
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
				k++
				if c == ']' {
					closed = true
					break
				}
				v.WriteByte(c)
			}
			if !closed {
				return nil, fmt.Errorf("path %q: unterminated key %q", s, name)
			}
			for _, have := range e.Keys {
				if have.Name == name {
					return nil, fmt.Errorf("path %q: key %q twice", s, name)
				}
			}
			e.Keys = append(e.Keys, yang.Key{Name: name, Value: v.String()})
			j = k
		}
		if j < len(s) && s[j] != '/' {
			return nil, fmt.Errorf("path %q: unexpected %q at offset %d", s, s[j], j)
		}
		p = append(p, e)
		if j == len(s)-1 {
			return nil, fmt.Errorf("path %q: trailing /", s)
		}
		i = j + 1
	}
	return p, nil
}
