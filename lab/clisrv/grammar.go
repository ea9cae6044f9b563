package clisrv

import (
	"strings"
)

// mode is where a CLI session is.
type mode uint8

// Modes.
const (
	modeUser   mode = 1 << iota // EOS unprivileged ">"
	modeExec                    // privileged "#"
	modeConfig                  // (config)#
	modeIf                      // (config-if)#
	modeRouter                  // (config-router)#
)

const modeAnyConfig = modeConfig | modeIf | modeRouter

// command is one line of the grammar: literal keywords, "<x>" for one
// parameter, "[x]" for an optional trailing parameter and "<...>" for the
// rest of the line.
type command struct {
	pattern string
	modes   mode
	plats   string // "" both, "frr" or "eos"
	run     func(s *Session, args []string) string
}

// matchResult classifies how a line fits a command.
type matchResult uint8

const (
	noMatch matchResult = iota
	incomplete
	matched
)

// match reports how the tokens fit pattern, the parameters, and how many
// keywords matched exactly (to break ties between abbreviations).
func match(pattern string, toks []string, raw string) (matchResult, []string, int) {
	pts := strings.Fields(pattern)
	var args []string
	exact := 0
	i := 0
	for _, p := range pts {
		switch {
		case p == "<...>":
			if i >= len(toks) {
				return incomplete, nil, exact
			}
			args = append(args, restAfter(raw, i))
			return matched, args, exact
		case strings.HasPrefix(p, "["):
			if i < len(toks) {
				args = append(args, toks[i])
				i++
			} else {
				args = append(args, "")
			}
		case strings.HasPrefix(p, "<"):
			if i >= len(toks) {
				return incomplete, nil, exact
			}
			args = append(args, toks[i])
			i++
		default:
			if i >= len(toks) {
				return incomplete, nil, exact
			}
			t := strings.ToLower(toks[i])
			if t == p {
				exact++
			} else if !strings.HasPrefix(p, t) {
				return noMatch, nil, exact
			}
			i++
		}
	}
	if i < len(toks) {
		return noMatch, nil, exact
	}
	return matched, args, exact
}

// restAfter returns raw from its n-th field on, spacing preserved.
func restAfter(raw string, n int) string {
	s := strings.TrimLeft(raw, " \t")
	for k := 0; k < n; k++ {
		j := strings.IndexAny(s, " \t")
		if j < 0 {
			return ""
		}
		s = strings.TrimLeft(s[j:], " \t")
	}
	return strings.TrimRight(s, " \t")
}
