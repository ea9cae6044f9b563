package agent

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/logging"
	"github.com/netagent/netagent/internal/trace"
)

// TestWithdrawIsAttributedToWhoWithdrew: alice submits an intent over
// REST, bob withdraws it (DELETE) under his own traceparent. The withdraw's
// steps on the record, its audit entries (the transitions and the device
// change that removes the configuration) and the log line of its device
// operation name bob and his trace; the submission's still name alice.
func TestWithdrawIsAttributedToWhoWithdrew(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logs := &syncBuffer{}
	log := slog.New(logging.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	a, base, _, _ := startLabAgent(t, ctx, log, nil)
	client := func(subject string) *http.Client {
		_, secret, err := a.Tokens().Create(subject, []auth.Scope{auth.IntentsRead, auth.IntentsWrite}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tokenClient(secret)
	}
	alice, bob := client("alice"), client("bob")
	aliceTrace, bobTrace := trace.New(), trace.New()
	do := func(c *http.Client, method, path, body string, tc trace.Context) int {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("traceparent", tc.Header())
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const id = "wd-attr"
	if code := do(alice, "POST", "/v1/intents", `{"id":"`+id+`","kind":"interface","targets":{"devices":["r2"]},"spec":{"name":"eth1","description":"alice's"}}`, aliceTrace); code/100 != 2 {
		t.Fatalf("submit: %d", code)
	}
	if rec, err := a.net.intent.Wait(ctx, id, intent.StateApplied, intent.StateFailed); err != nil || rec.State != intent.StateApplied {
		t.Fatalf("submit ended %v: %v", rec, err)
	}
	if code := do(bob, "DELETE", "/v1/intents/"+id, "", bobTrace); code/100 != 2 {
		t.Fatalf("withdraw: %d", code)
	}
	rec, err := a.net.intent.Wait(ctx, id, intent.StateWithdrawn, intent.StateFailed)
	if err != nil || rec.State != intent.StateWithdrawn {
		t.Fatalf("withdraw ended %v: %v", rec, err)
	}

	// The record: each step names who made it and its trace.
	for _, h := range rec.History {
		who, tr := "alice", aliceTrace.TraceID
		if h.State == intent.StateWithdrawing || h.State == intent.StateWithdrawn {
			who, tr = "bob", bobTrace.TraceID
		}
		if h.By == nil || h.By.Subject != who || h.TraceID != tr {
			t.Errorf("step to %s: by %v trace %s, want %s and %s", h.State, h.By, h.TraceID, who, tr)
		}
	}

	// The audit chain: everything from the withdraw on is bob's.
	es, err := audit.Query(ctx, a.net.db, audit.Filter{Intent: id})
	if err != nil {
		t.Fatal(err)
	}
	withdrawing, removed := false, false
	for _, e := range es {
		if e.Action == audit.ActionIntentState && strings.Contains(string(e.Detail), `"to":"withdrawing"`) {
			withdrawing = true
		}
		who, tr := "alice", aliceTrace.TraceID
		if withdrawing {
			who, tr = "bob", bobTrace.TraceID
			if e.Action == audit.ActionDeviceChange && e.Device == "r2" {
				removed = true
			}
		}
		if p, _ := e.Principal(); p.Subject != who || trace.ID(e.Trace) != tr {
			t.Errorf("entry %d %s %s: actor %q trace %s, want %s and %s", e.Seq, e.Action, e.Detail, p.Subject, e.Trace, who, tr)
		}
	}
	if !withdrawing || !removed {
		t.Errorf("no withdraw entries (withdrawing %v, device change %v) in %d entries", withdrawing, removed, len(es))
	}

	// The log lines of the device operations: one configure each.
	got := map[string]string{}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `msg="device configured"`) && strings.Contains(l, "intent="+id) {
			for _, who := range []string{"alice", "bob"} {
				if strings.Contains(l, "principal="+who) {
					got[who] = l
				}
			}
		}
	}
	if !strings.Contains(got["alice"], "trace_id="+string(aliceTrace.TraceID)) || !strings.Contains(got["bob"], "trace_id="+string(bobTrace.TraceID)) {
		t.Errorf("device configure log lines by principal: %v", got)
	}
	if b, _ := json.Marshal(rec.History); !strings.Contains(string(b), `"by":{"subject":"bob"`) {
		t.Errorf("record history JSON does not name bob: %s", b)
	}
}
