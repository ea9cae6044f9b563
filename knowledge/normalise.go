package knowledge

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Placeholders a template holds in place of values.
const (
	PhDevice  = "<device>"
	PhNum     = "<num>"
	PhIPv4    = "<ipv4>"
	PhIPv6    = "<ipv6>"
	PhAddr    = "<addr>" // host:port
	PhPrefix  = "<prefix>"
	PhPath    = "<path>"
	PhIfname  = "<ifname>"
	PhStr     = "<str>"
	PhURI     = "<uri>"
	PhHost    = "<host>"
	PhTime    = "<time>"
	PhHex     = "<hex>"
	PhAlgList = "<list>"
)

var (
	reTimeISO  = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:z|[+-]\d{2}:?\d{2}| ?utc)?`)
	reClock    = regexp.MustCompile(`\b\d{1,2}:\d{2}:\d{2}\b`)
	reURI      = regexp.MustCompile(`\b(?:https?|urn|file)://?[^\s'"<>]+|\burn:[A-Za-z0-9:._-]+`)
	reBrackets = regexp.MustCompile(`\[[^\[\]]{0,300}\]`)
	rePath     = regexp.MustCompile(`(?:^|[\s(=])(/[A-Za-z][A-Za-z0-9_.:-]*(?:\[[^\]]*\])?(?:/[A-Za-z0-9_.:-]+(?:\[[^\]]*\])?)*)`)
	reIPv4Port = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}:\d{1,5}\b`)
	reIPv4Pfx  = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}/\d{1,2}\b`)
	reIPv4     = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	reIPv6     = regexp.MustCompile(`\[?\b(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?:/\d{1,3})?\b\]?(?::\d{1,5})?`)
	reHostPort = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*:\d{2,5}\b`)
	reHost     = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+){1,}\b`)
	reIfname   = regexp.MustCompile(`(?i)\b(?:(?:ten|forty|hundred|twenty[fF]ive)?gig(?:abit)?ethernet|ethernet|eth|et|xe|ge|e|mgmt|management|port-channel|lag|bundle-ether|ae|vlan|loopback|lo|swp|tunnel|irb)-?\d+(?:[/:.-]\d+)*\b`)
	reHex      = regexp.MustCompile(`\b0x[0-9a-f]+\b|\b[0-9a-f]{12,}\b|\bsha256:[a-z0-9+/=]+`)
	reNumber   = regexp.MustCompile(`(?:^|[^A-Za-z0-9_<])(-?\d+(?:\.\d+)?)(?:ms|s|m|h|b|kb|mb|bytes)?\b`)
)

// Normalise turns a device's error message into a template: the values
// that differ between two sightings of the same failure (the device name,
// numbers, addresses, prefixes, YANG paths, interface names, quoted
// strings, times, ids) become typed placeholders, letters are lowered and
// spaces collapsed. devices are names to replace by <device> (the failing
// device's own name, which messages often repeat). Normalise is total: any
// string, valid UTF-8 or not, gives a template, and a template normalises
// to itself.
func Normalise(msg string, devices ...string) string {
	s := msg
	if len(s) > 4096 {
		s = s[:4096]
	}
	s = strings.ToLower(strings.ToValidUTF8(s, "\uFFFD"))
	for _, d := range devices {
		if len(d) >= 2 {
			s = replaceWord(s, d, PhDevice)
		}
	}
	// Each step runs only where it can match: a pattern needs some byte
	// (a digit, ':', '.', '/', a quote) and most messages lack most of
	// them. The patterns whose matches never hold a space run on the
	// space-separated fields that hold such a byte, not on the whole
	// message (see inFields). The output is the same as running every
	// pattern over the whole message (TestNormaliseSameAsReference).
	if has(s, ':') && has(s, '-') && hasDigit(s) {
		s = reTimeISO.ReplaceAllString(s, PhTime)
	}
	s = inFields(s, func(f string) bool { return has(f, ':') && hasDigit(f) }, func(f string) string {
		return reClock.ReplaceAllString(f, PhTime)
	})
	s = inFields(s, func(f string) bool { return has(f, ':') }, func(f string) string {
		return reURI.ReplaceAllString(f, PhURI)
	})
	if has(s, '/') {
		s = rePath.ReplaceAllStringFunc(s, func(m string) string {
			i := strings.IndexByte(m, '/')
			p := m[i:]
			rest := p[len(strings.TrimRight(p, ":.,;")):]
			return m[:i] + PhPath + rest
		})
	}
	s = replaceQuoted(s)
	if has(s, '[') {
		s = reBrackets.ReplaceAllStringFunc(s, func(b string) string {
			if strings.HasPrefix(b, "[<") || !strings.ContainsAny(b, " ,=") && !reIPv6.MatchString(b) {
				return b
			}
			if reIPv6.MatchString(b) && !strings.Contains(b, " ") {
				return PhIPv6
			}
			return PhAlgList
		})
	}
	s = inFields(s, func(f string) bool { return has(f, '.') && hasDigit(f) }, func(f string) string {
		f = reIPv4Port.ReplaceAllString(f, PhAddr)
		f = reIPv4Pfx.ReplaceAllString(f, PhPrefix)
		return reIPv4.ReplaceAllString(f, PhIPv4)
	})
	s = inFields(s, func(f string) bool { return strings.Count(f, ":") >= 2 }, func(f string) string {
		return reIPv6.ReplaceAllStringFunc(f, func(m string) string {
			if strings.Count(m, ":") < 2 || !strings.ContainsAny(m, "0123456789abcdefABCDEF") {
				return m
			}
			return PhIPv6
		})
	})
	s = inFields(s, func(f string) bool { return has(f, ':') && hasDigit(f) }, func(f string) string {
		return reHostPort.ReplaceAllString(f, PhAddr)
	})
	s = inFields(s, func(f string) bool { return has(f, '.') }, func(f string) string {
		return reHost.ReplaceAllStringFunc(f, func(m string) string {
			// gNMI service names and dotted wording stay.
			if strings.HasPrefix(m, "gnmi.") {
				return m
			}
			return PhHost
		})
	})
	s = inFields(s, hasDigit, func(f string) string {
		f = reHex.ReplaceAllStringFunc(f, func(m string) string {
			if !strings.ContainsAny(m, "0123456789") {
				return m // a word of the letters a to f
			}
			return PhHex
		})
		if !hasDigit(f) {
			return f
		}
		f = reIfname.ReplaceAllString(f, PhIfname)
		if !hasDigit(f) {
			return f
		}
		return reNumber.ReplaceAllStringFunc(f, func(m string) string {
			// Keep the character before the number.
			i := 0
			if len(m) > 0 && !(m[0] >= '0' && m[0] <= '9') && m[0] != '-' {
				i = 1
			}
			return m[:i] + PhNum
		})
	})
	return collapseSpace(strings.TrimSpace(strings.ToLower(s)))
}

func has(s string, c byte) bool { return strings.IndexByte(s, c) >= 0 }

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}

// isSpace is regexp's \s: the bytes no field-wise pattern matches, and
// that every \b, ^ and negated class of theirs treats as the message's
// edge would be.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// inFields applies f to each field of s (a run of bytes between \s) for
// which need holds, and joins the fields with the spaces they had. It is
// the same as applying f's patterns to all of s when no match of theirs
// can hold a space.
func inFields(s string, need func(string) bool, f func(string) string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		if isSpace(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		if field := s[i:j]; need(field) {
			if out := f(field); out != field {
				if b.Len() == 0 && done == 0 {
					b.Grow(len(s) + 16)
				}
				b.WriteString(s[done:i])
				b.WriteString(out)
				done = j
			}
		}
		i = j
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// replaceQuoted replaces quoted values ('x', "x" or `x`, at most 200
// characters between the quotes) by <str>, as reQuoted would, except a
// quoted sentence (more than two spaces: a nested error), whose quotes go
// and words stay, and EOS's '^' marker, which is wording.
func replaceQuoted(s string) string {
	if !strings.ContainsAny(s, "\"'`") {
		return s
	}
	var b strings.Builder
	done := 0
	for i := 0; i < len(s); {
		q := s[i]
		if q != '"' && q != '\'' && q != '`' {
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
			continue
		}
		// The closing quote within 200 characters.
		end, runes := -1, 0
		for j := i + 1; j < len(s) && runes <= 200; {
			if s[j] == q {
				end = j
				break
			}
			_, n := utf8.DecodeRuneInString(s[j:])
			j += n
			runes++
		}
		if end < 0 {
			i++
			continue
		}
		m := s[i : end+1]
		var out string
		switch {
		case m == `'^'`: // EOS's marker is wording, not a value
			out = m
		case strings.Count(m, " ") > 2:
			// A quoted sentence (a nested error) is wording: keep it.
			out = " " + m[1:len(m)-1] + " "
		default:
			out = PhStr
		}
		b.WriteString(s[done:i])
		b.WriteString(out)
		done = end + 1
		i = end + 1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// collapseSpace replaces each run of \s by one space.
func collapseSpace(s string) string {
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) && (s[i] != ' ' || i+1 < len(s) && isSpace(s[i+1])) {
			return collapseFrom(s, i)
		}
	}
	return s
}

func collapseFrom(s string, i int) string {
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		if !isSpace(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteByte(' ')
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	return b.String()
}

// replaceWord replaces whole-word occurrences of w in s (case-insensitive).
func replaceWord(s, w, with string) string {
	lower, lw := strings.ToLower(s), strings.ToLower(w)
	var b strings.Builder
	i := 0
	for {
		j := strings.Index(lower[i:], lw)
		if j < 0 {
			b.WriteString(s[i:])
			return b.String()
		}
		j += i
		end := j + len(lw)
		if (j == 0 || !isWordByte(s[j-1])) && (end == len(s) || !isWordByte(s[end])) {
			b.WriteString(s[i:j])
			b.WriteString(with)
		} else {
			b.WriteString(s[i:end])
		}
		i = end
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// CanonTag folds a protocol error tag so that spellings agree:
// "lock-denied", "LOCK_DENIED" and "lock denied" are one tag, as are the
// gRPC "InvalidArgument" and "INVALID_ARGUMENT".
func CanonTag(tag string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(tag) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '%' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Fingerprint identifies a failure independent of the values in its
// message: the protocol, the canonical tag and the template, hashed.
func Fingerprint(protocol, tag, template string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(protocol) + "\x00" + CanonTag(tag) + "\x00" + template))
	return hex.EncodeToString(sum[:8])
}

// stopwords carry no signal in device error messages.
var stopwords = map[string]bool{
	"the": true, "a": true, "an": true, "is": true, "are": true, "was": true, "be": true, "by": true, "for": true,
	"of": true, "to": true, "in": true, "on": true, "at": true, "and": true, "or": true, "it": true, "this": true,
	"that": true, "with": true, "from": true, "as": true, "rpc": true, "error": true, "code": true, "desc": true,
	"has": true, "have": true, "been": true, "its": true, "which": true, "some": true, "any": true, "because": true, "not": true,
	"could": true, "can": true, "cannot": true, "request": true, "completed": true, "reason": true, "value": false,
}

// terms splits a template into matching terms: words of letters and
// digits, lowered and crudely stemmed, stopwords and placeholders dropped.
// The same function serves the index and the query, so both agree.
func terms(template string) []string {
	var out []string
	seen := map[string]bool{}
	word := func(w string) {
		if len(w) < 2 || stopwords[w] {
			return
		}
		w = stem(w)
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	inPh := false
	start := -1
	for i, r := range template {
		switch {
		case r == '<':
			if start >= 0 {
				word(template[start:i])
				start = -1
			}
			inPh = true
		case r == '>':
			inPh = false
		case inPh:
		case r < 128 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'):
			if start < 0 {
				start = i
			}
		default:
			if start >= 0 {
				word(strings.ToLower(template[start:i]))
				start = -1
			}
		}
	}
	if start >= 0 && !inPh {
		word(strings.ToLower(template[start:]))
	}
	return out
}

// stem strips common English inflections so "locked" meets "lock" and
// "denied" meets "deny".
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && strings.HasSuffix(w, "ied"):
		return w[:len(w)-3] + "y"
	case len(w) > 5 && strings.HasSuffix(w, "ing"):
		return w[:len(w)-3]
	case len(w) > 4 && strings.HasSuffix(w, "ed"):
		return w[:len(w)-2]
	case len(w) > 4 && strings.HasSuffix(w, "es") && !strings.HasSuffix(w, "ses"):
		return w[:len(w)-1]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}
