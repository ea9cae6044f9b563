package rest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/rest"
)

// TestEveryErrorIsAProblem: unknown paths (404) and known paths with the
// wrong method (405, with Allow) answer problem+json like every other
// error of the API.
func TestEveryErrorIsAProblem(t *testing.T) {
	s := newServer(t, false)
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/v1/nothing-here", http.StatusNotFound, ""},
		{"GET", "/", http.StatusNotFound, ""},
		{"PUT", "/v1/intents", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{"PATCH", "/v1/intents/x", http.StatusMethodNotAllowed, "DELETE, GET, HEAD"},
		{"GET", "/v1/intents/missing", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		r := s.do(t, tt.method, tt.path, "", nil)
		var p rest.Problem
		if err := json.Unmarshal(r.body, &p); err != nil || r.status != tt.status || p.Status != tt.status ||
			r.header.Get("Content-Type") != "application/problem+json" || p.Title == "" {
			t.Errorf("%s %s: %d %s %s, want %d problem+json", tt.method, tt.path, r.status, r.header.Get("Content-Type"), r.body, tt.status)
		}
		if tt.allow != "" && r.header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, r.header.Get("Allow"), tt.allow)
		}
	}
}

// TestWithdrawDryRun: DELETE ?dry_run=true shows what the withdraw would
// remove, against the device's configuration now, and changes nothing.
func TestWithdrawDryRun(t *testing.T) {
	s := newServer(t, true)
	if r := s.do(t, "POST", "/v1/intents", "application/json", []byte(goodIntent)); r.status != http.StatusAccepted {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	waitState(t, s, "mtu-eth2", intent.StateApplied)
	before := s.net.Config("leaf1")
	r := s.do(t, "DELETE", "/v1/intents/mtu-eth2?dry_run=true", "", nil)
	var pr rest.WithdrawPlan
	if err := json.Unmarshal(r.body, &pr); err != nil || r.status != http.StatusOK {
		t.Fatalf("withdraw dry run: %d %v %s", r.status, err, r.body)
	}
	if pr.Plan.Len() != 1 || !strings.Contains(pr.Diff, "mtu: 9000 -> 1500") {
		t.Errorf("withdraw dry run diff:\n%s", pr.Diff)
	}
	if got := s.net.Config("leaf1"); !got.Equal(before) {
		t.Error("a withdraw dry run changed the device")
	}
	if rec, _ := s.svc.Get(t.Context(), "mtu-eth2"); rec.State != intent.StateApplied {
		t.Errorf("after a withdraw dry run the intent is %s", rec.State)
	}
	if r := s.do(t, "DELETE", "/v1/intents/nope?dry_run=true", "", nil); r.status != http.StatusNotFound {
		t.Errorf("dry run of an unknown intent: %d", r.status)
	}
}

func waitState(t *testing.T, s *server, id string, st intent.State) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.svc.Wait(ctx, id, st); err != nil {
		t.Fatal(err)
	}
}
