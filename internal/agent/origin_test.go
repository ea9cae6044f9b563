package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuf) lines() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(s.b.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// TestWhoAndTraceTravelWithTheIntent submits an intent over REST with a
// traceparent and a token for alice: the record keeps both, and the
// worker's and the device operation's log lines name them, although the
// work runs after the request has been answered.
func TestWhoAndTraceTravelWithTheIntent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var logs syncBuf
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, base, _, _ := startLabAgent(t, ctx, log, nil)
	addr := strings.TrimPrefix(base, "http://")
	_, secret, err := a.Tokens().Create("alice", []auth.Scope{auth.IntentsWrite, auth.IntentsRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/intents",
		strings.NewReader(`{"id":"who","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":4321}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	api := tokenClient(secret)
	resp, err := api.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(resp.Header.Get("traceparent"), traceID) {
		t.Fatalf("status %d, traceparent %q", resp.StatusCode, resp.Header.Get("traceparent"))
	}
	if st := waitState(ctx, t, api, addr, "who"); st != "applied" {
		t.Fatalf("intent %s", st)
	}
	rec, err := a.net.intent.Get(ctx, "who")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Source.TraceID != traceID || rec.Source.Principal == nil || rec.Source.Principal.Subject != "alice" || rec.Source.Principal.Via != "token" {
		t.Errorf("record source %+v (principal %+v), want trace %s and alice by token", rec.Source, rec.Source.Principal, traceID)
	}
	// The same trace and principal on every audit entry of the intent,
	// the device change included.
	entries, err := audit.Query(ctx, a.net.db, audit.Filter{Intent: "who"})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, e := range entries {
		actions[e.Action] = true
		if e.Trace != traceID || !strings.Contains(string(e.Actor), `"alice"`) {
			t.Errorf("audit entry %d (%s): trace %q actor %s, want trace %s and alice", e.Seq, e.Action, e.Trace, e.Actor, traceID)
		}
	}
	for _, want := range []string{audit.ActionIntentAccepted, audit.ActionDeviceChange} {
		if !actions[want] {
			t.Errorf("no %s audit entry for the intent; entries: %v", want, actions)
		}
	}
	found := map[string]bool{}
	for _, m := range logs.lines() {
		msg, _ := m["msg"].(string)
		if m["trace_id"] == traceID && m["principal"] == "alice" {
			found[msg] = true
		}
	}
	for _, msg := range []string{"intent accepted", "device configured", "intent applied"} {
		if !found[msg] {
			t.Errorf("no %q log line with trace_id %s and principal alice; lines with both: %v", msg, traceID, found)
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the log holds the token's secret")
	}
}
