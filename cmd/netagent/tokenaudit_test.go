package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/agent"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
)

// TestTokenChangesAreAudited: with the agent running on the same data dir,
// `token create` and `token revoke` each append an auth.token entry to the
// agent's audit chain, attributed to the local operator and naming the
// token (never its secret); the agent's own entries (the refusal of the
// revoked token) follow them in the same chain, and `audit verify` passes.
func TestTokenChangesAreAudited(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dataDir := t.TempDir()
	t.Setenv("NETAGENT_DATA_DIR", dataDir)
	tp, err := topo.Parse([]byte("name: tok\ntopology:\n  nodes:\n    r2: {kind: linux}\n"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(ctx, tp, lab.Options{Dir: t.TempDir(), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := config.Default()
	cfg.Listen, cfg.DataDir, cfg.Inventory = "127.0.0.1:0", dataDir, l.InventoryPath()
	cfg.Telemetry.Enabled = false
	a, err := agent.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	stopped := false
	stopAgent := func() {
		if !stopped {
			stopped = true
			stop()
			if err := <-done; err != nil {
				t.Errorf("agent Run: %v", err)
			}
		}
	}
	defer stopAgent()
	addr, err := a.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}

	out, err := runCLI(t, "", "token", "create", "--subject", "carol", "--scope", "intents:read", "--ttl", "1h")
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	var secret, id string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, auth.TokenPrefix) {
			secret = line
		}
		if f := strings.Fields(line); len(f) > 1 && f[0] == "token" {
			id = f[1]
		}
	}
	if secret == "" || id == "" {
		t.Fatalf("token create printed no secret or id:\n%s", out)
	}
	if out, err := runCLI(t, "", "token", "revoke", id); err != nil {
		t.Fatalf("token revoke: %v\n%s", err, out)
	}
	// The agent refuses the revoked token (it reloads the file within a
	// second) and records the refusal in the same chain.
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/v1/intents", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked token still answered %d", resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopAgent()

	out, err = runCLI(t, "", "audit", "show", "-o", "json")
	if err != nil {
		t.Fatalf("audit show: %v\n%s", err, out)
	}
	if strings.Contains(out, secret) {
		t.Fatal("the audit trail holds the token's secret")
	}
	var es []audit.Entry
	if err := json.Unmarshal([]byte(out), &es); err != nil {
		t.Fatalf("audit show -o json: %v\n%s", err, out)
	}
	var ops []string
	lastToken, firstDenial := int64(0), int64(0)
	for _, e := range es {
		switch e.Action {
		case audit.ActionTokenChange:
			var c audit.TokenChange
			_ = json.Unmarshal(e.Detail, &c)
			p, _ := e.Principal()
			if p.Subject == "netagent" && c.Subject == "admin" && c.Op == "create" {
				continue // the agent's first start created its admin token
			}
			if c.TokenID != id || c.Subject != "carol" || len(c.Scopes) != 1 || !strings.HasPrefix(p.Subject, "local:") || e.Trace == "" {
				t.Errorf("entry %d: token change %+v by %q trace %q", e.Seq, c, p.Subject, e.Trace)
			}
			ops = append(ops, c.Op)
			lastToken = e.Seq
		case audit.ActionAuthFailure:
			if firstDenial == 0 {
				firstDenial = e.Seq
			}
		}
	}
	if strings.Join(ops, ",") != "create,revoke" {
		t.Errorf("token changes audited: %v, want create,revoke", ops)
	}
	if firstDenial <= lastToken {
		t.Errorf("the agent's refusal (entry %d) does not follow the token changes (last %d) in one chain", firstDenial, lastToken)
	}
	if out, err := runCLI(t, "", "audit", "verify"); err != nil || !strings.Contains(out, "audit chain intact") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
}
