package knowledge

import (
	"regexp"
	"strings"
	"testing"
)

var (
	refTimeISO  = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:z|[+-]\d{2}:?\d{2}| ?utc)?`)
	refClock    = regexp.MustCompile(`\b\d{1,2}:\d{2}:\d{2}\b`)
	refURI      = regexp.MustCompile(`\b(?:https?|urn|file)://?[^\s'"<>]+|\burn:[A-Za-z0-9:._-]+`)
	refQuoted   = regexp.MustCompile(`"[^"]{0,200}"|'[^']{0,200}'|` + "`[^`]{0,200}`")
	refBrackets = regexp.MustCompile(`\[[^\[\]]{0,300}\]`)
	refPath     = regexp.MustCompile(`(?:^|[\s(=])(/[A-Za-z][A-Za-z0-9_.:-]*(?:\[[^\]]*\])?(?:/[A-Za-z0-9_.:-]+(?:\[[^\]]*\])?)*)`)
	refIPv4Port = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}:\d{1,5}\b`)
	refIPv4Pfx  = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}/\d{1,2}\b`)
	refIPv4     = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	refIPv6     = regexp.MustCompile(`\[?\b(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?:/\d{1,3})?\b\]?(?::\d{1,5})?`)
	refHostPort = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*:\d{2,5}\b`)
	refHost     = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+){1,}\b`)
	refIfname   = regexp.MustCompile(`(?i)\b(?:(?:ten|forty|hundred|twenty[fF]ive)?gig(?:abit)?ethernet|ethernet|eth|et|xe|ge|e|mgmt|management|port-channel|lag|bundle-ether|ae|vlan|loopback|lo|swp|tunnel|irb)-?\d+(?:[/:.-]\d+)*\b`)
	refHex      = regexp.MustCompile(`\b0x[0-9a-f]+\b|\b[0-9a-f]{12,}\b|\bsha256:[a-z0-9+/=]+`)
	refNumber   = regexp.MustCompile(`(?:^|[^A-Za-z0-9_<])(-?\d+(?:\.\d+)?)(?:ms|s|m|h|b|kb|mb|bytes)?\b`)
	refSpace    = regexp.MustCompile(`\s+`)
)

// normaliseRef is the normaliser as it was before it learned to skip
// what cannot match: the differential test and fuzz target hold the
// fast one to its output.
func normaliseRef(msg string, devices ...string) string {
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
	s = refTimeISO.ReplaceAllString(s, PhTime)
	s = refClock.ReplaceAllString(s, PhTime)
	s = refURI.ReplaceAllString(s, PhURI)
	s = refPath.ReplaceAllStringFunc(s, func(m string) string {
		i := strings.IndexByte(m, '/')
		p := m[i:]
		rest := p[len(strings.TrimRight(p, ":.,;")):]
		return m[:i] + PhPath + rest
	})
	s = refQuoted.ReplaceAllStringFunc(s, func(q string) string {
		if q == `'^'` { // EOS's marker is wording, not a value
			return q
		}
		if strings.Count(q, " ") > 2 {
			// A quoted sentence (a nested error) is wording: keep it.
			return " " + q[1:len(q)-1] + " "
		}
		return PhStr
	})
	s = refBrackets.ReplaceAllStringFunc(s, func(b string) string {
		if strings.HasPrefix(b, "[<") || !strings.ContainsAny(b, " ,=") && !refIPv6.MatchString(b) {
			return b
		}
		if refIPv6.MatchString(b) && !strings.Contains(b, " ") {
			return PhIPv6
		}
		return PhAlgList
	})
	s = refIPv4Port.ReplaceAllString(s, PhAddr)
	s = refIPv4Pfx.ReplaceAllString(s, PhPrefix)
	s = refIPv4.ReplaceAllString(s, PhIPv4)
	s = refIPv6.ReplaceAllStringFunc(s, func(m string) string {
		if strings.Count(m, ":") < 2 || !strings.ContainsAny(m, "0123456789abcdefABCDEF") {
			return m
		}
		return PhIPv6
	})
	s = refHostPort.ReplaceAllString(s, PhAddr)
	s = refHost.ReplaceAllStringFunc(s, func(m string) string {
		// gNMI service names and dotted wording stay.
		if strings.HasPrefix(m, "gnmi.") {
			return m
		}
		return PhHost
	})
	s = refHex.ReplaceAllStringFunc(s, func(m string) string {
		if !strings.ContainsAny(m, "0123456789") {
			return m // a word of the letters a to f
		}
		return PhHex
	})
	s = refIfname.ReplaceAllString(s, PhIfname)
	s = refNumber.ReplaceAllStringFunc(s, func(m string) string {
		// Keep the character before the number.
		i := 0
		if len(m) > 0 && !(m[0] >= '0' && m[0] <= '9') && m[0] != '-' {
			i = 1
		}
		return m[:i] + PhNum
	})
	s = strings.ToLower(s)
	s = refSpace.ReplaceAllString(strings.TrimSpace(s), " ")
	return s
}

// normaliseInputs are the messages the differential test runs: the seeds'
// examples, the labelled set, the fuzz corpus, and each of those with its
// spaces turned into other blanks.
func normaliseInputs(t testing.TB) []string {
	seeds, err := Seeds()
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	for _, c := range seeds {
		in = append(in, c.Messages...)
		in = append(in, c.Template)
	}
	for _, file := range []string{"train", "heldout", "interop"} {
		for _, l := range readLabelled(t, "testdata/labelled/"+file+".jsonl") {
			in = append(in, l.Message)
		}
	}
	in = append(in,
		"\xff\xfe 10.0.0.1:830 [::1]:22 /a/b[c='d e']/f: 'x' \"y z w v\"",
		"at 2026-10-01 10:00:00 utc on et-0/0/1.100 mtu 9100ms 0x1f deadbeefcafe12 sha256:ab+/=",
		"'^' `quoted` \"unclosed 'mixed\" fe80::1%eth0 [fe80::1]:830 host.example.com:8443 gnmi.gNMI.Set",
		"-5 x-5 (5) =5 <5> 1.5x 10mss 10mb 3bytes 4kb\t\t7h\n\n8m\r\f9s\v10",
		strings.Repeat("'", 250)+"x"+strings.Repeat("a", 201)+"'",
	)
	out := in
	for _, m := range in {
		out = append(out, strings.NewReplacer(" ", "\t", ":", " : ").Replace(m))
	}
	return out
}

// TestNormaliseSameAsReference holds the normaliser that skips what
// cannot match to the output of running every pattern over the message.
func TestNormaliseSameAsReference(t *testing.T) {
	for _, m := range normaliseInputs(t) {
		for _, dev := range [][]string{nil, {"leaf1"}} {
			if got, want := Normalise(m, dev...), normaliseRef(m, dev...); got != want {
				t.Errorf("Normalise(%q, %v)\n got  %q\n want %q", m, dev, got, want)
			}
		}
	}
}

// FuzzNormaliseReference: the fast normaliser and the reference agree on
// any message.
func FuzzNormaliseReference(f *testing.F) {
	for _, m := range normaliseInputs(f) {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		if got, want := Normalise(msg, "r1"), normaliseRef(msg, "r1"); got != want {
			t.Fatalf("Normalise(%q)\n got  %q\n want %q", msg, got, want)
		}
	})
}
