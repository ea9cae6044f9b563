package knowledge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Lock failed, lock is already held by session 7", "lock failed, lock is already held by session <num>"},
		{"value 70000 out of range 68..9214 for mtu", "value <num> out of range <num>..<num> for mtu"},
		{"dial tcp 10.0.0.5:830: connect: connection refused", "dial tcp <addr>: connect: connection refused"},
		{"% Invalid input (at token 1: '70000')", "% invalid input (at token <num>: <str>)"},
		{"% Invalid input detected at '^' marker.", "% invalid input detected at '^' marker."},
		{"cannot delete /interfaces/interface[name=Ethernet7]/config/description: data does not exist", "cannot delete <path>: data does not exist"},
		{"route 198.51.100.0/24 already exists", "route <prefix> already exists"},
		{"% Interface Ethernet48/2 does not exist", "% interface <ifname> does not exist"},
		{"x509: certificate is valid for leaf1.lab, not leaf2.lab", "x509: certificate is valid for <host>, not <host>"},
		{"r7: configure failed on r7", "<device>: configure failed on <device>"},
		{"locked since 2026-10-01 10:00:00 UTC, idle 00:05:10", "locked since <time>, idle <time>"},
		{"attempted methods [none password], no supported methods remain", "attempted methods <list>, no supported methods remain"},
	} {
		if got := Normalise(tc.in, "r7"); got != tc.want {
			t.Errorf("Normalise(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// The same failure on another device, with other values, is the same case:
// its count goes up. An unknown failure becomes a learned case that later
// sightings (other values) find by fingerprint.
func TestRecordRecognises(t *testing.T) {
	ctx := context.Background()
	b := newBase(t, Options{})
	first, err := b.Record(ctx, Observation{Device: "leaf1", Protocol: "netconf", Kind: "rejected", Tag: "invalid-value",
		Message: "value 70000 out of range 68..9214 for leaf mtu", Intent: "i1", Service: "interface"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.Record(ctx, Observation{Device: "spine7", Protocol: "netconf", Kind: "rejected", Tag: "invalid-value",
		Message: "value 123456 out of range 68..65535 for leaf mtu", Intent: "i2", Service: "interface"})
	if err != nil {
		t.Fatal(err)
	}
	if first.Case != "netconf-invalid-value" || second.Case != first.Case || first.New || second.Seen != 2 {
		t.Fatalf("sightings %+v then %+v: want netconf-invalid-value seen twice", first, second)
	}
	c, err := b.Get(ctx, first.Case)
	if err != nil {
		t.Fatal(err)
	}
	if c.Seen != 2 || c.Impact.DeviceCount != 2 || c.Impact.IntentCount != 2 || c.FirstSeen == nil || c.LastSeen == nil {
		t.Errorf("case after two sightings: seen %d, impact %+v", c.Seen, c.Impact)
	}

	odd := Observation{Device: "fw3", Protocol: "netconf", Kind: "rejected", Tag: "operation-failed", Message: "FPC 3 is offline"}
	l1, err := b.Record(ctx, odd)
	if err != nil {
		t.Fatal(err)
	}
	odd.Device, odd.Message = "fw9", "FPC 11 is offline"
	l2, err := b.Record(ctx, odd)
	if err != nil {
		t.Fatal(err)
	}
	if !l1.New || l2.New || l1.Case != l2.Case || l2.Seen != 2 || !strings.HasPrefix(l1.Case, "learned-") {
		t.Fatalf("learned sightings %+v then %+v", l1, l2)
	}
	ms, err := b.Lookup(ctx, odd)
	if err != nil || len(ms) == 0 || !ms[0].Exact || ms[0].Case.ID != l1.Case {
		t.Fatalf("lookup of a learned failure: %+v %v", ms, err)
	}
	lc, _ := b.Get(ctx, l1.Case)
	if lc.Origin != OriginLearned || lc.ErrorType != TypeRejectedValue {
		t.Errorf("learned case %+v", lc)
	}
	// An operator corrects it; its sightings stay.
	lc.Fix = "An FPC (line card) is offline: bring it online or move the change to ports on another card."
	lc.ErrorType = TypeResource
	fixed, created, err := b.Put(ctx, lc)
	if err != nil || created || fixed.Seen != 2 || fixed.Revision != 2 || fixed.Origin != OriginOperator || fixed.ErrorType != TypeResource {
		t.Fatalf("correct: %+v created=%v err=%v", fixed, created, err)
	}
	if err := b.Outcome(ctx, "netconf-lock-denied", true); err != nil {
		t.Fatal(err)
	}
	if c, _ := b.Get(ctx, "netconf-lock-denied"); c.FixWorked != 1 {
		t.Errorf("fix_worked %d", c.FixWorked)
	}
}

func TestRecorderDoesNotBlock(t *testing.T) {
	b := newBase(t, Options{})
	r := NewRecorder(b, nil, 2)
	for i := range 10 {
		r.Submit(Observation{Device: "d", Message: "EOF", Intent: string(rune('a' + i))})
	}
	if r.Dropped() != 8 {
		t.Fatalf("dropped %d, want 8 (buffer 2, never blocking)", r.Dropped())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Run drains what is queued, then returns.
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Recorded() != 2 {
		t.Errorf("recorded %d, want 2", r.Recorded())
	}
	if c, _ := b.Get(context.Background(), "transport-session-closed"); c.Seen != 2 {
		t.Errorf("seen %d, want 2", c.Seen)
	}
}

func serve(t *testing.T, b *Base) *httptest.Server {
	mux := http.NewServeMux()
	for _, rt := range NewHandler(b, nil).Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func call(t *testing.T, s *httptest.Server, method, path, body string) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes(), resp.Header
}

const goodCase = `{"id":"lab-mtu-9100","title":"Lab platform refuses MTU 9100","error_type":"rejected-value","protocol":"netconf","tag":"invalid-value","messages":["mtu 9100 is not supported on this line card"],"fix":"Use an MTU of at most 9000 on this platform."}`

func TestBadCasesAreRefused(t *testing.T) {
	b := newBase(t, Options{NoSeeds: true})
	s := serve(t, b)
	with := func(member, value string) string {
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(goodCase), &m)
		if value == "" {
			delete(m, member)
		} else {
			m[member] = json.RawMessage(value)
		}
		out, _ := json.Marshal(m)
		return string(out)
	}
	for _, tc := range []struct {
		name     string
		body     string
		pointers []string
	}{
		{"empty", ``, []string{""}},
		{"not json", `fix the lock`, []string{""}},
		{"array", `[` + goodCase + `]`, []string{""}},
		{"trailing data", goodCase + `{}`, []string{""}},
		{"missing id", with("id", ""), []string{"/id"}},
		{"missing fix", with("fix", ""), []string{"/fix"}},
		{"missing title and error type", with("title", ""), []string{"/title"}},
		{"id with spaces", with("id", `"my case"`), []string{"/id"}},
		{"id not a string", with("id", `7`), []string{"/id"}},
		{"unknown error type", with("error_type", `"bad-luck"`), []string{"/error_type"}},
		{"unknown protocol", with("protocol", `"snmp"`), []string{"/protocol"}},
		{"fix too short", with("fix", `"retry"`), []string{"/fix"}},
		{"messages not an array", with("messages", `"one"`), []string{"/messages"}},
		{"empty message", with("messages", `["ok",""]`), []string{"/messages/1"}},
		{"no template nor messages", with("messages", ""), []string{"/messages"}},
		{"unknown member", with("colour", `"blue"`), []string{"/colour"}},
		{"seen negative", with("seen", `-1`), []string{"/seen"}},
		{"unknown remediation", with("remediation", `{"kind":"reboot"}`), []string{"/remediation/kind"}},
		{"automatic reorder five times", with("remediation", `{"kind":"reorder-dependency","auto":true,"max_attempts":5}`), []string{"/remediation/max_attempts"}},
		{"automatic without bound", with("remediation", `{"kind":"retry-after-lock","auto":true}`), []string{"/remediation/max_attempts"}},
		{"attempts 50", with("remediation", `{"kind":"retry-after-lock","auto":true,"max_attempts":50}`), []string{"/remediation/max_attempts"}},
		{"wait an hour", with("remediation", `{"kind":"retry-after-lock","auto":true,"max_attempts":2,"wait":"1h"}`), []string{"/remediation/wait"}},
		{"wait not a duration", with("remediation", `{"kind":"retry-later","max_attempts":2,"wait":"soon"}`), []string{"/remediation/wait"}},
		{"remediation extra member", with("remediation", `{"kind":"retry-later","command":"reload"}`), []string{"/remediation/command"}},
		{"several at once", `{"id":"X","title":"x","error_type":"nope","fix":"short"}`, []string{"/error_type", "/fix", "/id", "/messages", "/title"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, h := call(t, s, "POST", "/v1/knowledge", tc.body)
			if code != http.StatusUnprocessableEntity || h.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d %s: %s", code, h.Get("Content-Type"), body)
			}
			var p HTTPProblem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range p.Errors {
				got = append(got, e.Pointer)
				if e.Reason == "" {
					t.Errorf("problem at %q has no reason", e.Pointer)
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(tc.pointers, got); diff != "" {
				t.Errorf("pointers (-want +got):\n%s\n%s", diff, body)
			}
		})
	}
	if cs, _ := b.List(context.Background(), "", 10); len(cs) != 0 {
		t.Errorf("%d cases stored after refusing every one", len(cs))
	}
}

func TestAPIAddSearchExportImport(t *testing.T) {
	ctx := context.Background()
	b := newBase(t, Options{})
	s := serve(t, b)
	code, body, h := call(t, s, "POST", "/v1/knowledge", goodCase)
	if code != http.StatusCreated || h.Get("Location") != "/v1/knowledge/lab-mtu-9100" {
		t.Fatalf("add: %d %s", code, body)
	}
	code, body, _ = call(t, s, "GET", "/v1/knowledge?q="+strings.ReplaceAll("mtu 9216 is not supported on this line card", " ", "+"), "")
	var sr SearchResult
	if err := json.Unmarshal(body, &sr); err != nil || code != 200 || len(sr.Matches) == 0 || sr.Matches[0].Case.ID != "lab-mtu-9100" {
		t.Fatalf("search: %d %s", code, body)
	}
	if len(sr.Matches[0].Why) == 0 {
		t.Errorf("match without a reason: %+v", sr.Matches[0])
	}
	if code, body, _ = call(t, s, "GET", "/v1/knowledge/nope", ""); code != 404 {
		t.Errorf("get unknown: %d %s", code, body)
	}
	code, exported, _ := call(t, s, "GET", "/v1/knowledge:export", "")
	var ex Export
	if err := json.Unmarshal(exported, &ex); err != nil || code != 200 || len(ex.Cases) < 41 {
		t.Fatalf("export: %d, %d cases, %v", code, len(ex.Cases), err)
	}

	// Into another agent's base: one bad case refuses the whole import.
	other := newBase(t, Options{NoSeeds: true})
	os := serve(t, other)
	var doc map[string]any
	_ = json.Unmarshal(exported, &doc)
	cases := doc["cases"].([]any)
	cases[3].(map[string]any)["error_type"] = "weather"
	delete(cases[7].(map[string]any), "fix")
	bad, _ := json.Marshal(doc)
	code, body, _ = call(t, os, "POST", "/v1/knowledge:import", string(bad))
	var p HTTPProblem
	_ = json.Unmarshal(body, &p)
	var ptrs []string
	for _, e := range p.Errors {
		ptrs = append(ptrs, e.Pointer)
	}
	if code != 422 || !slices.Equal(ptrs, []string{"/cases/3/error_type", "/cases/7/fix"}) {
		t.Fatalf("bad import: %d %v %s", code, ptrs, body)
	}
	if cs, _ := other.List(ctx, "", 10); len(cs) != 0 {
		t.Fatalf("a refused import stored %d cases", len(cs))
	}
	code, body, _ = call(t, os, "POST", "/v1/knowledge:import", string(exported))
	var ir ImportResult
	_ = json.Unmarshal(body, &ir)
	if code != 200 || ir.Created != len(ex.Cases) {
		t.Fatalf("import: %d %s", code, body)
	}
	c, err := other.Get(ctx, "lab-mtu-9100")
	if err != nil || c.Origin != OriginImport {
		t.Fatalf("imported case: %+v %v", c, err)
	}
	if _, err := other.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get unknown: %v", err)
	}
}
