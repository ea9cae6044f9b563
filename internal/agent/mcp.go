package agent

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/mcp"
)

// mcpKeyFile holds the key that signs MCP confirmation tokens, so a token
// survives an agent restart and `netagent mcp` and `netagent serve` on the
// same data dir accept each other's.
const mcpKeyFile = "mcp-token.key"

// LocalOperator is the principal `netagent mcp` (stdio) acts as: whoever
// started the process on this machine.
var LocalOperator = auth.Principal{Subject: "local-operator", Kind: "operator", Via: "local", Scopes: []auth.Scope{auth.Admin}}

// newMCP returns an MCP server over the agent's network; local is the
// principal for calls without one (stdio), nil over HTTP.
func (a *Agent) newMCP(local *auth.Principal) (*mcp.Server, error) {
	key, err := mcpKey(a.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	var issuers []string
	for _, s := range strings.Split(a.cfg.MCP.AuthorizationServers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			issuers = append(issuers, s)
		}
	}
	var tele mcp.Telemetry
	if a.net.tele != nil {
		tele = mcpTelemetry{t: a.net.tele}
	}
	var kb mcp.Knowledge
	if a.net.kb != nil {
		kb = mcpKnowledge{base: a.net.kb.base}
	}
	// Progress per device: from the transactions' streams when the
	// coordinator runs intents, from the device executor otherwise.
	var steps mcp.Steps = a.net.steps
	if a.net.viaTxn {
		steps = mcp.TxnSteps{Txns: a.net.txn}
	}
	return mcp.New(mcp.Config{
		Steps:                steps,
		Transactions:         a.net.txn,
		Telemetry:            tele,
		Knowledge:            kb,
		Intents:              a.net.intent,
		Devices:              &mcp.PoolDevices{Inventory: a.net.inv, Pool: a.net.pool},
		Parser:               a.net.nl,
		Log:                  a.log,
		Audit:                a.mcpAudit,
		DirectApply:          a.cfg.MCP.DirectApply,
		TokenKey:             key,
		TokenTTL:             a.cfg.MCP.TokenTTL,
		Resource:             a.cfg.MCP.Resource,
		AuthorizationServers: issuers,
		Local:                local,
		Version:              Version,
	})
}

// mcpAudit records every MCP tool call in the audit log: the calling
// principal chain comes from ctx, the tool, outcome and intent from e (the
// tool-call line is logged by the mcp package too).
func (a *Agent) mcpAudit(ctx context.Context, e mcp.AuditEntry) {
	if a.net == nil || a.net.audit == nil {
		return
	}
	if _, err := a.net.audit.Record(ctx, audit.Entry{Action: audit.ActionMCPToolCall, Intent: e.IntentID, Detail: audit.Detail(e)}); err != nil {
		a.log.ErrorContext(ctx, "audit: MCP tool call not recorded", "tool", e.Tool, "err", err)
	}
}

// mountMCP mounts the streamable HTTP endpoint /mcp and its Protected
// Resource Metadata on the API server.
func (a *Agent) mountMCP() error {
	s, err := a.newMCP(nil)
	if err != nil {
		return err
	}
	a.Mount(s.Routes())
	return nil
}

// ServeMCP runs the agent's services in-process and serves MCP over r and w
// (`netagent mcp`: stdio) as LocalOperator until ctx ends or r closes, then
// releases the network. It replaces Run: no HTTP listener is opened.
func (a *Agent) ServeMCP(ctx context.Context, r io.Reader, w io.Writer) error {
	defer a.lock.Release()
	if a.net == nil {
		return errors.New("agent: mcp needs an inventory or the simulated lab")
	}
	s, err := a.newMCP(&LocalOperator)
	if err != nil {
		return errors.Join(err, a.net.close())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := a.net.intent.Run(gctx); gctx.Err() == nil {
			return err
		}
		return nil
	})
	g.Go(func() error {
		defer cancel() // stdin closed: stop the service too
		err := s.ServeStdio(gctx, r, w)
		if gctx.Err() != nil || errors.Is(err, io.EOF) {
			return nil
		}
		return err
	})
	err = g.Wait()
	return errors.Join(err, a.net.close())
}

// mcpKey reads the token key from the data dir, creating it on first use.
func mcpKey(dir string) ([]byte, error) {
	p := filepath.Join(dir, mcpKeyFile)
	if b, err := os.ReadFile(p); err == nil && len(b) >= 32 {
		return b, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("agent: mcp token key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent: mcp token key: %w", err)
	}
	if err := os.WriteFile(p, key, 0o600); err != nil {
		return nil, fmt.Errorf("agent: mcp token key %s: %w", p, err)
	}
	return key, nil
}
