package nl

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type prefilterPattern struct {
	ci              compiledIntent
	j               int
	anchored, loose *regexp.Regexp
}

// prefilterPatterns compiles every pattern of c once, per language.
func prefilterPatterns(c *compiled) map[string][]prefilterPattern {
	out := map[string][]prefilterPattern{}
	for _, ci := range c.intents {
		for lang, bodies := range ci.bodies {
			for j, body := range bodies {
				b := strings.ReplaceAll(body, devicePlaceholder, genericDevice)
				out[lang] = append(out[lang], prefilterPattern{ci: ci, j: j,
					anchored: regexp.MustCompile(`(?i)^\s*` + b + `\s*[.!?。！？]?\s*$`),
					loose:    regexp.MustCompile(`(?i)` + b)})
			}
		}
	}
	return out
}

// prefilterHolds checks, for one sentence, that the cheap tests run
// before a pattern (the words it needs, the words it starts with) never
// turn away a sentence the pattern matches.
func prefilterHolds(t *testing.T, c *compiled, pats map[string][]prefilterPattern, raw string) {
	text, lang, _ := c.prepare(raw, "")
	flat := strings.ToLower(strings.ReplaceAll(text, " ", ""))
	needs := newNeedsSeen(flat, c.needWords)
	for _, pp := range pats[lang] {
		ci, j := pp.ci, pp.j
		if pp.loose.MatchString(text) && !needs.mayMatch(ci.needs[lang][j]) {
			t.Errorf("%q matches %s pattern %d, but its needs %v turn it away", text, ci.Name, j, ci.needs[lang][j])
		}
		if pp.anchored.MatchString(text) && !startsWith(flat, ci.starts[lang][j]) {
			t.Errorf("%q matches %s pattern %d whole, but its starts %q turn it away", text, ci.Name, j, ci.starts[lang][j])
		}
	}
}

func corpusTexts(t testing.TB) []string {
	var out []string
	for _, file := range []string{"testdata/labelled.yaml", "testdata/heldout.yaml", "testdata/heldout2.yaml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cases []struct {
			Text string `yaml:"text"`
		}
		if err := yaml.Unmarshal(data, &cases); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, c := range cases {
			out = append(out, c.Text)
		}
	}
	return out
}

// TestPrefilterNeverTurnsAwayAMatch runs the check over every corpus
// sentence with the default rules.
func TestPrefilterNeverTurnsAwayAMatch(t *testing.T) {
	t.Parallel()
	c, err := compiledDefault()
	if err != nil {
		t.Fatal(err)
	}
	pats := prefilterPatterns(c)
	for _, text := range corpusTexts(t) {
		prefilterHolds(t, c, pats, text)
	}
}

func TestPatternStarts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		want    []string
	}{
		{"(shut down|shutdown) {interface}", []string{"shutdown", "shutdown"}},
		{"route {prefix} (via|to) {nexthop}", []string{"route"}},
		{"{device} {interface} mtu {mtu}", nil},
		{"(on|at)? {device}", nil},
		{"(the )?mtu", nil},
		{"(a|(b|c)) x", nil},
		{"bring {interface}", []string{"bring"}},
		{"set? mtu", []string{"se"}},
		{"peer x? {device}", []string{"peer"}},
		{"(把|将)(设备)?{device}", []string{"把", "将"}},
	}
	for _, tt := range tests {
		got := patternStarts(tt.pattern)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || (got == nil) != (tt.want == nil) {
			t.Errorf("patternStarts(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

// FuzzPrefilter checks the same on any sentence. Its seeds are a sample
// of the corpus (TestPrefilterNeverTurnsAwayAMatch runs all of it).
func FuzzPrefilter(f *testing.F) {
	for i, text := range corpusTexts(f) {
		if i%10 == 0 {
			f.Add(text)
		}
	}
	c, err := compiledDefault()
	if err != nil {
		f.Fatal(err)
	}
	pats := prefilterPatterns(c)
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 300 {
			return
		}
		prefilterHolds(t, c, pats, text)
	})
}
