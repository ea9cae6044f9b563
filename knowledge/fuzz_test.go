package knowledge

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNormalise: any message gives a valid UTF-8 template without
// surrounding or doubled spaces, a template normalises to itself, and the
// fingerprint depends on the template only.
func FuzzNormalise(f *testing.F) {
	seeds, err := Seeds()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range seeds {
		for _, m := range c.Messages {
			f.Add(m)
		}
	}
	for _, file := range []string{"train", "heldout"} {
		for _, l := range readLabelled(f, "testdata/labelled/"+file+".jsonl") {
			f.Add(l.Message)
		}
	}
	f.Add("\xff\xfe 10.0.0.1:830 [::1]:22 /a/b[c='d e']/f: 'x' \"y z w v\"")
	f.Fuzz(func(t *testing.T, msg string) {
		tmpl := Normalise(msg, "r1")
		if !utf8.ValidString(tmpl) {
			t.Fatalf("Normalise(%q) = %q: not valid UTF-8", msg, tmpl)
		}
		if strings.TrimSpace(tmpl) != tmpl || strings.Contains(tmpl, "  ") {
			t.Fatalf("Normalise(%q) = %q: spaces not collapsed", msg, tmpl)
		}
		if again := Normalise(tmpl, "r1"); again != tmpl {
			t.Fatalf("not idempotent:\n msg  %q\n once %q\n twice %q", msg, tmpl, again)
		}
		_ = terms(tmpl)
		if Fingerprint("netconf", "x", tmpl) != Fingerprint("NETCONF", "X", Normalise(msg, "r1")) {
			t.Fatal("fingerprint differs for the same template")
		}
	})
}
