package nl_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/nl"
)

func newParser(t testing.TB) *nl.Parser {
	t.Helper()
	p, err := nl.New(intenttest.Lab())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadRulesAtRunTime(t *testing.T) {
	p := newParser(t)
	ctx := context.Background()
	const sentence = "quiesce eth1 on leaf1"
	res, err := p.Parse(ctx, nl.Request{Text: sentence})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status == nl.StatusConfirm {
		t.Fatalf("default rules already confirm %q", sentence)
	}
	// A broken rule set is refused and the old one stays.
	if err := p.LoadRules([]byte("intents: [{name: x, kind: teleport}]")); !errors.Is(err, nl.ErrRules) {
		t.Fatalf("LoadRules(bad kind) err = %v, want ErrRules", err)
	}
	if err := p.LoadRules([]byte("threshold: 0.75\nintents: [{name: x, kind: interface, patterns: {en: [\"{nope}\"]}}]")); !errors.Is(err, nl.ErrRules) {
		t.Fatalf("LoadRules(unknown slot) err = %v, want ErrRules", err)
	}
	if err := p.LoadRules([]byte("bogus_field: 1")); !errors.Is(err, nl.ErrRules) {
		t.Fatalf("LoadRules(unknown field) err = %v, want ErrRules", err)
	}
	// A new verb, added as data, is understood at once.
	rules := strings.Replace(string(nl.DefaultRules()),
		`"(shut down|shutdown|shut|disable|turn off|bring down|take down) (the )?(interface |port )?{interface} (on|of|at) (device |router |switch )?{device}"`,
		`"(quiesce|shut down|shutdown|shut|disable|turn off|bring down|take down) (the )?(interface |port )?{interface} (on|of|at) (device |router |switch )?{device}"`, 1)
	if rules == string(nl.DefaultRules()) {
		t.Fatal("test rule edit did not apply")
	}
	if err := p.LoadRules([]byte(rules)); err != nil {
		t.Fatal(err)
	}
	res, err = p.Parse(ctx, nl.Request{Text: sentence})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != nl.StatusConfirm || res.Candidates[0].Rule != "interface.shutdown" {
		t.Errorf("after reload: %s %+v", res.Status, res.Candidates)
	}
	if string(p.Rules()) != rules {
		t.Error("Rules() does not return the loaded rule set")
	}
}

func TestSessionContextAndQuestions(t *testing.T) {
	p := newParser(t)
	ctx := context.Background()
	turns := []struct {
		req         nl.Request
		status      nl.Status
		fromContext []string
		question    string
	}{
		{nl.Request{Text: "shut down eth1", Session: "a"}, nl.StatusClarify, nil, "Which device?"},
		{nl.Request{Text: "关闭 eth1 接口", Session: "b"}, nl.StatusClarify, nil, "请问是哪台设备？"},
		{nl.Request{Text: "enable eth1 on spine1", Session: "a"}, nl.StatusConfirm, nil, ""},
		{nl.Request{Text: "shut down eth3", Session: "a"}, nl.StatusConfirm, []string{"device"}, ""},
		{nl.Request{Text: "shut down eth3", Session: "other"}, nl.StatusClarify, nil, "Which device?"},
	}
	for i, tt := range turns {
		res, err := p.Parse(ctx, tt.req)
		if err != nil {
			t.Fatal(err)
		}
		got := struct {
			S nl.Status
			C []string
			Q string
		}{res.Status, nil, res.Question}
		if len(res.Candidates) > 0 {
			got.C = res.Candidates[0].FromContext
		}
		want := struct {
			S nl.Status
			C []string
			Q string
		}{tt.status, tt.fromContext, tt.question}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("turn %d %q (-want +got):\n%s", i, tt.req.Text, diff)
		}
		if res.Status == nl.StatusConfirm && (res.Intent == nil || res.Summary == "" || res.Confidence < res.Threshold) {
			t.Errorf("turn %d: confirm without intent, summary or confidence: %+v", i, res)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range loadLabelled(f) {
		f.Add(c.Text)
	}
	f.Add("")
	f.Add("{device} (((")
	f.Add("shut down eth1 on leaf1 \x00\xff")
	p := newParser(f)
	f.Fuzz(func(t *testing.T, text string) {
		res, err := p.Parse(context.Background(), nl.Request{Text: text, Session: "fuzz"})
		if err != nil {
			t.Fatalf("Parse(%q): %v", text, err)
		}
		switch res.Status {
		case nl.StatusConfirm:
			if res.Document == nil || res.Confidence < res.Threshold {
				t.Fatalf("confirm without an intent above threshold: %+v", res)
			}
			if spec, _ := res.Document["spec"].(map[string]any); res.Intent == nil && spec["ensure"] != "absent" {
				t.Fatalf("confirm of a creating intent not checked against its schema: %+v", res)
			}
		case nl.StatusClarify, nl.StatusNoMatch:
			if res.Question == "" || res.Intent != nil || res.Document != nil {
				t.Fatalf("%s without a question, or with an intent: %+v", res.Status, res)
			}
		default:
			t.Fatalf("unknown status %q", res.Status)
		}
		if !utf8.ValidString(res.Question) {
			t.Fatalf("question is not valid UTF-8: %q", res.Question)
		}
	})
}

// FuzzLoadRules: any rule file either loads or is refused with ErrRules,
// and a refused one leaves the rules in force.
func FuzzLoadRules(f *testing.F) {
	def := string(nl.DefaultRules())
	f.Add(def)
	f.Add(strings.Replace(def, "{interface} (on|of|at)", "{interfaze} (on|of|at)", 1))
	f.Add(strings.Replace(def, "(shut down|", "((shut down|", 1))
	f.Add("intents:\n  - name: x\n    kind: [\n")
	f.Add("threshold: 2")
	f.Add("intents: [{name: a, follow_up: true}, {name: b, follow_up: true}]")
	f.Add("intents: [{name: a, kind: interface, cues: {en: [[\"{nope}\"]]}}]")
	p := newParser(f)
	f.Fuzz(func(t *testing.T, data string) {
		before := p.Rules()
		err := p.LoadRules([]byte(data))
		if err != nil {
			if !errors.Is(err, nl.ErrRules) {
				t.Fatalf("LoadRules error %v does not match ErrRules", err)
			}
			if string(p.Rules()) != string(before) {
				t.Fatal("a refused rule file replaced the rules in force")
			}
			return
		}
		if _, err := p.Parse(context.Background(), nl.Request{Text: "shut down eth1 on leaf1"}); err != nil {
			t.Fatalf("Parse after loading: %v", err)
		}
		if err := p.LoadRules(nl.DefaultRules()); err != nil {
			t.Fatal(err)
		}
	})
}

// Parses running while the rules are reloaded see the old rules or the
// new ones, never a mixture or a failure (run with -race).
func TestConcurrentParseAndReload(t *testing.T) {
	p := newParser(t)
	ctx := context.Background()
	edited := strings.Replace(string(nl.DefaultRules()), "threshold: 0.75", "threshold: 0.8", 1)
	sets := [][]byte{nl.DefaultRules(), []byte(edited)}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				res, err := p.Parse(ctx, nl.Request{Text: "shut down eth1 on leaf1", Session: fmt.Sprintf("g%d", g)})
				if err == nil && (res.Status != nl.StatusConfirm || (res.Threshold != 0.75 && res.Threshold != 0.8)) {
					err = fmt.Errorf("parse during reload: %s threshold %v", res.Status, res.Threshold)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 6; i++ {
			if err := p.LoadRules(sets[i%2]); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
