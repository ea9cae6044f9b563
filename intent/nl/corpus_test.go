package nl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/nl"
)

// corpusInventory is the inventory the labelled corpora name: a leaf-spine
// fabric (leaf1..leaf6, spine1..spine4) and two routers (r1, r2).
type corpusInventory []intent.DeviceInfo

func (c corpusInventory) Devices() []intent.DeviceInfo { return c }

func newCorpusInventory() corpusInventory {
	var inv corpusInventory
	for i := 1; i <= 6; i++ {
		inv = append(inv, intent.DeviceInfo{Name: fmt.Sprintf("leaf%d", i)})
	}
	inv = append(inv, intent.DeviceInfo{Name: "r1"}, intent.DeviceInfo{Name: "r2"})
	for i := 1; i <= 4; i++ {
		inv = append(inv, intent.DeviceInfo{Name: fmt.Sprintf("spine%d", i)})
	}
	return inv
}

func newCorpusParser(t testing.TB) *nl.Parser {
	t.Helper()
	p, err := nl.New(newCorpusInventory())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type labelled struct {
	Session string         `yaml:"session"`
	Text    string         `yaml:"text"`
	Want    nl.Status      `yaml:"want"`
	Kind    string         `yaml:"kind"`
	Device  string         `yaml:"device"`
	Devices []string       `yaml:"devices"`
	Spec    map[string]any `yaml:"spec"`
}

func loadCorpus(t testing.TB, file string) []labelled {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cases []labelled
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return cases
}

func loadLabelled(t testing.TB) []labelled { return loadCorpus(t, "testdata/labelled.yaml") }

// wantDocument is the intent document a labelled case expects, as generic
// JSON values.
func wantDocument(c labelled) any {
	devs := c.Devices
	if len(devs) == 0 {
		devs = []string{c.Device}
	}
	var targets []any
	for _, d := range devs {
		targets = append(targets, d)
	}
	return jsonValue(map[string]any{"kind": c.Kind, "targets": map[string]any{"devices": targets}, "spec": c.Spec})
}

func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// isRemoval reports whether a spec is the removal form ("ensure": "absent").
func isRemoval(spec map[string]any) bool { return spec["ensure"] == "absent" }

// removalShape checks a removal intent's shape: the schemas on this branch
// do not know "ensure" yet (the correctness work adds it), so the shape is
// checked here: the identifying members only, nothing that creates.
func removalShape(kind string, spec map[string]any) error {
	allowed := map[string][]string{
		"static-route": {"prefix", "ensure"},
		"bgp-neighbor": {"address", "ensure"},
		"interface":    {"name", "ipv4", "ensure"},
	}[kind]
	if allowed == nil {
		return fmt.Errorf("kind %s has no removal form", kind)
	}
	for k := range spec {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return fmt.Errorf("removal %s carries %q", kind, k)
		}
	}
	for _, a := range allowed {
		if _, ok := spec[a]; !ok {
			return fmt.Errorf("removal %s lacks %q", kind, a)
		}
	}
	return nil
}

// langStats are the figures one language reaches on a corpus.
type langStats struct {
	clear, clearRight         int
	wrongAbove                int // a confirmed intent that is not the one meant
	unclear, unclearAskedBack int
}

func (s langStats) String() string {
	return fmt.Sprintf("clear right %d/%d (%.1f%%), wrong intents above threshold %d, unclear asked back %d/%d",
		s.clearRight, s.clear, pct(s.clearRight, s.clear), s.wrongAbove, s.unclearAskedBack, s.unclear)
}

func pct(a, b int) float64 {
	if b == 0 {
		return 100
	}
	return 100 * float64(a) / float64(b)
}

// runCorpus parses every case of a corpus in order (cases sharing a session
// see each other) and scores them per language.
func runCorpus(t *testing.T, p *nl.Parser, cases []labelled) map[string]*langStats {
	t.Helper()
	stats := map[string]*langStats{"en": {}, "zh": {}}
	for _, c := range cases {
		res, err := p.Parse(context.Background(), nl.Request{Text: c.Text, Session: c.Session})
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.Text, err)
		}
		s := stats[res.Language]
		if c.Want != nl.StatusConfirm {
			s.unclear++
			if res.Status != nl.StatusConfirm {
				s.unclearAskedBack++
			} else {
				s.wrongAbove++
				t.Logf("WRONG (confirmed, should ask) %q -> %s", c.Text, res.Summary)
			}
			continue
		}
		s.clear++
		if res.Status != nl.StatusConfirm {
			t.Logf("MISSED %q: %s (%.2f) %q", c.Text, res.Status, res.Confidence, res.Question)
			continue
		}
		want := wantDocument(c)
		if diff := cmp.Diff(want, jsonValue(res.Document)); diff != "" {
			s.wrongAbove++
			t.Logf("WRONG %q (-want +got):\n%s", c.Text, diff)
			continue
		}
		if isRemoval(c.Spec) {
			if err := removalShape(c.Kind, c.Spec); err != nil {
				t.Errorf("labelled %q: %v", c.Text, err)
			}
		} else {
			wantIn, err := intent.DecodeValue(want)
			if err != nil {
				t.Fatalf("labelled %q: expected intent is invalid: %v", c.Text, err)
			}
			if diff := cmp.Diff(jsonValue(wantIn), jsonValue(res.Intent)); diff != "" {
				s.wrongAbove++
				t.Logf("WRONG intent %q (-want +got):\n%s", c.Text, diff)
				continue
			}
		}
		s.clearRight++
	}
	return stats
}

// TestAccuracy runs the tuning corpus (the sentences the rules were
// written against).
func TestAccuracy(t *testing.T) {
	t.Parallel()
	cases := loadLabelled(t)
	if len(cases) < 300 {
		t.Fatalf("labelled set has %d sentences, want at least 300", len(cases))
	}
	stats := runCorpus(t, newCorpusParser(t), cases)
	for _, lang := range []string{"en", "zh"} {
		s := stats[lang]
		t.Logf("tuning %s: %s", lang, s)
		if s.wrongAbove > 0 {
			t.Errorf("%s: %d wrong intents above the threshold", lang, s.wrongAbove)
		}
		if s.unclearAskedBack != s.unclear {
			t.Errorf("%s: %d unclear sentences were not asked back", lang, s.unclear-s.unclearAskedBack)
		}
		if pct(s.clearRight, s.clear) < 95 {
			t.Errorf("%s: clear right %.1f%% is below 95%%", lang, pct(s.clearRight, s.clear))
		}
	}
}

// heldOutFiles are the held-out corpora, never used to tune the rules:
// heldout.yaml (written in six batches with the rules of issue 11) and
// heldout2.yaml (written fresh in one sitting afterwards, committed before
// the rule changes it measures). The README reports both.
var heldOutFiles = []string{"testdata/heldout.yaml", "testdata/heldout2.yaml"}

// TestHeldOut runs each held-out corpus: sentences never used to tune the
// rules. Its figures are the ones the README reports.
func TestHeldOut(t *testing.T) {
	t.Parallel()
	tuning := loadLabelled(t)
	seen := map[string]string{}
	for _, c := range tuning {
		seen[c.Text] = "the tuning set"
	}
	held := map[string][]labelled{}
	for _, file := range heldOutFiles {
		held[file] = loadCorpus(t, file)
		for _, c := range held[file] {
			if where, ok := seen[c.Text]; ok {
				t.Errorf("held-out sentence %q of %s is also in %s", c.Text, file, where)
			}
			seen[c.Text] = file
		}
	}
	// At least a quarter of the sentences written for issue 11 (all but
	// the 79 the parser started with) are held out.
	nHeld := 0
	for _, cases := range held {
		nHeld += len(cases)
	}
	if 4*nHeld < nHeld+len(tuning)-79 {
		t.Errorf("held-out sets have %d sentences, under 25%% of the new ones", nHeld)
	}
	for _, file := range heldOutFiles {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(file, "testdata/"), ".yaml"), func(t *testing.T) {
			stats := runCorpus(t, newCorpusParser(t), held[file])
			for _, lang := range []string{"en", "zh"} {
				s := stats[lang]
				t.Logf("held-out %s %s: %s", file, lang, s)
				// Hard: never a wrong intent, always ask when unclear.
				if s.wrongAbove > 0 {
					t.Errorf("%s: %d wrong intents above the threshold", lang, s.wrongAbove)
				}
				if s.unclearAskedBack != s.unclear {
					t.Errorf("%s: %d unclear sentences were not asked back", lang, s.unclear-s.unclearAskedBack)
				}
				// The aim is 95% of the clear ones; a sentence missed is
				// asked back, not misread, so under the aim is reported
				// and only a fall under 85% fails. The rules are never
				// tuned to these files.
				right := pct(s.clearRight, s.clear)
				if right < 95 {
					t.Logf("%s: clear right %.1f%% is under the 95%% aim", lang, right)
				}
				if right < 85 {
					t.Errorf("%s: clear right %.1f%% is below 85%%", lang, right)
				}
			}
		})
	}
}
