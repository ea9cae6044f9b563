package nl_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/nl"
)

type labelled struct {
	Session string         `yaml:"session"`
	Text    string         `yaml:"text"`
	Want    nl.Status      `yaml:"want"`
	Kind    string         `yaml:"kind"`
	Device  string         `yaml:"device"`
	Spec    map[string]any `yaml:"spec"`
}

func loadLabelled(t testing.TB) []labelled {
	t.Helper()
	data, err := os.ReadFile("testdata/labelled.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []labelled
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// wantIntent builds the intent a labelled case expects, through the same
// strict decoder, so that the comparison is of canonical forms.
func wantIntent(t *testing.T, c labelled) *intent.Intent {
	t.Helper()
	in, err := intent.DecodeValue(map[string]any{
		"kind":    c.Kind,
		"targets": map[string]any{"devices": []any{c.Device}},
		"spec":    c.Spec,
	})
	if err != nil {
		t.Fatalf("labelled case %q: expected intent is invalid: %v", c.Text, err)
	}
	return in
}

// TestAccuracy runs the labelled set and reports accuracy. It fails below
// 95% right, and on any wrong intent at or above the threshold: the parser
// must ask rather than guess.
func TestAccuracy(t *testing.T) {
	cases := loadLabelled(t)
	if len(cases) < 60 {
		t.Fatalf("labelled set has %d sentences, want at least 60", len(cases))
	}
	p, err := nl.New(intenttest.Lab())
	if err != nil {
		t.Fatal(err)
	}
	right, wrongConfident := 0, 0
	langs := map[string][2]int{}
	for _, c := range cases {
		res, err := p.Parse(context.Background(), nl.Request{Text: c.Text, Session: c.Session})
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.Text, err)
		}
		ok := res.Status == c.Want
		if ok && c.Want == nl.StatusConfirm {
			got, _ := json.Marshal(res.Intent)
			want, _ := json.Marshal(wantIntent(t, c))
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				ok = false
				t.Logf("%q: intent (-want +got):\n%s", c.Text, diff)
			}
		}
		l := langs[res.Language]
		l[1]++
		if ok {
			right++
			l[0]++
		} else {
			t.Logf("WRONG %q: want %s, got %s (confidence %.2f, question %q)", c.Text, c.Want, res.Status, res.Confidence, res.Question)
			if res.Status == nl.StatusConfirm {
				wrongConfident++
			}
		}
		langs[res.Language] = l
	}
	acc := float64(right) / float64(len(cases))
	t.Logf("accuracy %.1f%% (%d/%d); en %d/%d, zh %d/%d; wrong intents above threshold: %d",
		100*acc, right, len(cases), langs["en"][0], langs["en"][1], langs["zh"][0], langs["zh"][1], wrongConfident)
	if acc < 0.95 {
		t.Errorf("accuracy %.1f%% is below 95%%", 100*acc)
	}
	if wrongConfident > 0 {
		t.Errorf("%d wrong intents were returned above the threshold", wrongConfident)
	}
}
