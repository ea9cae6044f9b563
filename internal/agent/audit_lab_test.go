package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/logging"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/internal/trace"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topo"
)

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

const auditTopology = `name: audit
topology:
  nodes:
    r1: {kind: nokia_srlinux, labels: {netagent.protocols: "netconf,gnmi"}}
    r2: {kind: linux}
  links:
    - endpoints: ["r1:e1-1", "r2:eth1"]
`

// TestAuditTrailOfALabScenario runs the agent on the lab through intents,
// a NETCONF fault that makes r1 fail over to gNMI, an atomic intent rolled
// back because r2 rejects its commit, and an auth failure reported through
// the audit hook. Then the chain verifies, every intent entry carries the
// submitter and the trace id given in the context, the device operations'
// log lines carry that trace id, the lab password never appears in the log,
// and editing, deleting or reordering one entry in a copy of the store
// makes verification fail naming that entry.
func TestAuditTrailOfALabScenario(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tp, err := topo.Parse([]byte(auditTopology))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logs := &syncBuffer{}
	log := slog.New(logging.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l, err := lab.Start(ctx, tp, lab.Options{Dir: filepath.Join(dir, "lab"), NoAdmin: true, Log: log.With("component", "lab")})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Inventory = l.InventoryPath()
	cfg.Timeouts.RPC = time.Second
	cfg.Timeouts.Commit = 2 * time.Second
	a, err := New(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	stopped := false
	stopAgent := func() {
		if stopped {
			return
		}
		stopped = true
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	defer stopAgent()

	alice := auth.Principal{Subject: "alice", Kind: "operator", Scopes: []auth.Scope{auth.IntentsWrite}, Via: "token"}
	traces := map[string]trace.ID{}
	submit := func(id, body string) *intent.Record {
		t.Helper()
		tc := trace.New()
		traces[id] = tc.TraceID
		sctx := trace.With(auth.WithPrincipal(ctx, alice), tc)
		if _, err := a.net.intent.Submit(sctx, []byte(body), intent.Source{Channel: "rest", Ref: "test"}); err != nil {
			t.Fatalf("submit %s: %v", id, err)
		}
		rec, err := a.net.intent.Wait(ctx, id)
		if err != nil {
			t.Fatalf("wait %s: %v", id, err)
		}
		return rec
	}

	// 1. A plain intent on each device.
	if rec := submit("aud-mtu", `{"id":"aud-mtu","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":9000}}`); rec.State != intent.StateApplied {
		t.Fatalf("aud-mtu ended %s: %s", rec.State, rec.Error)
	}
	if rec := submit("aud-shut", `{"id":"aud-shut","kind":"interface","targets":{"devices":["r2"]},"spec":{"name":"eth1","description":"audited"}}`); rec.State != intent.StateApplied {
		t.Fatalf("aud-shut ended %s: %s", rec.State, rec.Error)
	}
	// 2. NETCONF hangs on r1: the next intent lands over gNMI.
	if err := l.InjectFault("r1", fault.Fault{Kind: fault.Hang, Protocol: fault.NETCONF}); err != nil {
		t.Fatal(err)
	}
	if rec := submit("aud-failover", `{"id":"aud-failover","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","description":"over gnmi"}}`); rec.State != intent.StateApplied {
		t.Fatalf("aud-failover ended %s: %s", rec.State, rec.Error)
	}
	if _, err := l.ClearFaults("r1", fault.NETCONF, ""); err != nil {
		t.Fatal(err)
	}
	// 3. An atomic intent on both; r2 rejects its commit; r1 is rolled back.
	if err := l.InjectFault("r2", fault.Fault{Kind: fault.RejectCommit, Protocol: fault.CLI, Message: "commit refused by test"}); err != nil {
		t.Fatal(err)
	}
	rb := submit("aud-rollback", `{"id":"aud-rollback","kind":"static-route","targets":{"devices":["r1","r2"]},"spec":{"prefix":"192.0.2.0/24","next_hops":[{"next_hop":"10.9.9.9"}]}}`)
	if rb.State != intent.StateRolledBack {
		t.Fatalf("aud-rollback ended %s (%s), want rolled-back", rb.State, rb.Error)
	}
	// 4. The authentication layer reports a refused request through the hook.
	if err := a.Audit().RecordAuthFailure(ctx, audit.AuthFailure{Surface: "rest", Route: "POST /v1/intents",
		Remote: "127.0.0.1:5555", Status: 401, Reason: "invalid token"}); err != nil {
		t.Fatal(err)
	}
	stopAgent() // signs the head at shutdown

	db, err := store.Open(ctx, cfg.StorePath(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := audit.LoadPublicKey(cfg.AuditKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, db, pub)
	if err != nil {
		t.Fatalf("verify after the scenario: %v", err)
	}
	if rep.SignedSeq != rep.LastSeq || rep.KeyFromStore {
		t.Errorf("verify report %+v: want the whole chain signed with the agent key", rep)
	}
	entries, err := audit.Query(ctx, db, audit.Filter{})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scenario: %d entries, %d signed heads", rep.Entries, rep.Heads)

	count := map[string]int{}
	defer func() { t.Logf("entries per action: %v", count) }()
	for _, e := range entries {
		count[e.Action]++
		if e.Intent == "" {
			continue
		}
		p, _ := e.Principal()
		if p.Subject != "alice" || trace.ID(e.Trace) != traces[e.Intent] {
			t.Errorf("entry %d (%s of %s): actor %q trace %q, want alice and %s", e.Seq, e.Action, e.Intent, p.Subject, e.Trace, traces[e.Intent])
		}
	}
	if count[audit.ActionIntentAccepted] != 4 || count[audit.ActionIntentPlanned] < 4 || count[audit.ActionFailover] < 1 ||
		count[audit.ActionAuthFailure] != 1 || count[audit.ActionDeviceChange] < 5 {
		t.Errorf("entries per action %v: want 4 accepted, a plan each, a failover, an auth failure, and the device changes (rollback included)", count)
	}
	var failover, rolledBack, rejected bool
	for _, e := range entries {
		switch {
		case e.Action == audit.ActionFailover && e.Device == "r1" && strings.Contains(string(e.Detail), `"from":"netconf"`):
			failover = true
		case e.Action == audit.ActionIntentState && e.Intent == "aud-rollback" && strings.Contains(string(e.Detail), `"to":"rolled-back"`):
			rolledBack = true
		case e.Action == audit.ActionDeviceChange && e.Intent == "aud-rollback" && e.Device == "r2" && strings.Contains(string(e.Detail), "commit refused by test"):
			rejected = true
		case e.Action == audit.ActionDeviceChange:
			var dc intent.DeviceChange
			if err := json.Unmarshal(e.Detail, &dc); err != nil || !strings.HasPrefix(dc.Before, "sha256:") || !strings.HasPrefix(dc.After, "sha256:") {
				t.Errorf("device change %d: detail %s lacks before/after digests", e.Seq, e.Detail)
			}
		}
	}
	if !failover || !rolledBack || !rejected {
		t.Errorf("failover %v, rolled back %v, r2's refusal %v: want each recorded", failover, rolledBack, rejected)
	}

	// The device operations of an intent log its trace id.
	out := logs.String()
	for _, id := range []string{"aud-mtu", "aud-failover", "aud-rollback"} {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, `msg="device configure"`) && strings.Contains(line, "intent="+id) &&
				strings.Contains(line, "trace_id="+string(traces[id])) && strings.Contains(line, "principal=alice") {
				found = true
			}
		}
		if !found {
			t.Errorf("no device configure log line for %s with trace_id=%s", id, traces[id])
		}
	}
	// Hygiene: the lab's password is never in the log.
	if pw := l.Credentials().Password; pw == "" || strings.Contains(out, pw) {
		t.Errorf("the lab password appears in the agent's log (or is empty)")
	}

	// Tampering with one entry of the stored chain is found and named.
	mid := entries[len(entries)/2].Seq
	for _, tt := range []struct {
		name    string
		stmts   []string
		problem string
	}{
		{"edit", []string{`UPDATE audit_entries SET detail = '{"to":"applied"}' WHERE seq = ?`}, audit.ProblemEdited},
		{"delete", []string{`DELETE FROM audit_entries WHERE seq = ?`}, audit.ProblemDeleted},
		{"reorder", []string{`UPDATE audit_entries SET seq = -1 WHERE seq = ?`, `UPDATE audit_entries SET seq = ?1 WHERE seq = ?1 + 1`,
			`UPDATE audit_entries SET seq = ?1 + 1 WHERE seq = -1`}, audit.ProblemReordered},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "netagent.db")
			copyFile(t, cfg.StorePath(), path)
			db, err := store.Open(ctx, path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, s := range []string{`DROP TRIGGER audit_entries_no_update`, `DROP TRIGGER audit_entries_no_delete`} {
				if _, err := db.Exec(s); err != nil {
					t.Fatal(err)
				}
			}
			for _, s := range tt.stmts {
				if _, err := db.Exec(s, mid); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			_, err = audit.Verify(ctx, db, pub)
			var ce *audit.ChainError
			if !errors.As(err, &ce) || ce.Seq != mid || ce.Problem != tt.problem {
				t.Fatalf("verify after %s of entry %d = %v; want entry %d named (%s)", tt.name, mid, err, mid, tt.problem)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
