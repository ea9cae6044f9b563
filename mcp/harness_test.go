package mcp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/fleet"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/intent/txnplan"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/labtest"
	"github.com/netagent/netagent/mcp"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
)

// network is the intent service over the simulated lab, as the agent runs it.
type network struct {
	lab  *lab.Lab
	pool *adapters.Pool
	svc  *intent.Service
	cfg  mcp.Config

	mu     sync.Mutex
	audits []mcp.AuditEntry
}

func startNetwork(t *testing.T, topology []byte) *network {
	t.Helper()
	return startNetworkWith(t, topology, false)
}

// startNetworkWith starts the network; withTxn runs intents through the
// two-phase-commit coordinator (txn.enabled), whose progress streams feed
// the device steps and txn_status. Otherwise the device executor runs them
// and reports its devices' steps, as the agent wires them.
func startNetworkWith(t *testing.T, topology []byte, withTxn bool) *network {
	t.Helper()
	ctx := context.Background()
	l, inv := labtest.Start(t, topology, lab.Options{})
	pool := labtest.Pool(t, inv, adapters.TargetOptions{}, adapters.FailoverOptions{})
	f := fleet.New(inv, pool)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps := mcp.NewDeviceSteps()
	icfg := intent.Config{Store: db, Inventory: f, Devices: f, Executor: steps.Executor(intent.DeviceExecutor{Devices: steps.Devices(f)})}
	var coord *txn.Coordinator
	if withTxn {
		if coord, err = txn.New(ctx, txn.Config{Store: db, Devices: txnDevices{f}}); err != nil {
			t.Fatal(err)
		}
		if _, err := coord.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		icfg.Executor = txnplan.New(coord)
	}
	svc, err := intent.New(ctx, icfg)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(rctx) }()
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	parser, err := nl.New(f)
	if err != nil {
		t.Fatal(err)
	}
	n := &network{lab: l, pool: pool, svc: svc}
	n.cfg = mcp.Config{Intents: svc, Devices: &mcp.PoolDevices{Inventory: inv, Pool: pool}, Parser: parser, Steps: steps,
		Audit: func(_ context.Context, e mcp.AuditEntry) {
			n.mu.Lock()
			n.audits = append(n.audits, e)
			n.mu.Unlock()
		}}
	if coord != nil {
		n.cfg.Steps, n.cfg.Transactions = mcp.TxnSteps{Txns: coord}, coord
	}
	return n
}

// txnDevices lets the coordinator open the fleet's devices, so that its
// phases refresh the configuration cache plans are computed from.
type txnDevices struct{ f *fleet.Fleet }

func (d txnDevices) Device(ctx context.Context, name string) (adapters.Device, error) {
	dev, err := d.f.Device(ctx, name)
	if err != nil {
		return nil, err
	}
	ad, ok := dev.(adapters.Device)
	if !ok {
		return nil, fmt.Errorf("fleet device %s is not an adapters.Device", name)
	}
	return ad, nil
}

func (n *network) server(t *testing.T, edit func(*mcp.Config)) *mcp.Server {
	t.Helper()
	cfg := n.cfg
	if edit != nil {
		edit(&cfg)
	}
	s, err := mcp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (n *network) leaf(t *testing.T, device string, p yang.Path) any {
	t.Helper()
	tr, err := n.lab.Running(device)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := tr.Get(p)
	return v
}

// local is the stdio transport's principal.
var local = auth.Principal{Subject: "local-operator", Kind: "operator", Via: "local", Scopes: []auth.Scope{auth.Admin}}

// stdioClient connects an mcp-go client to s over the stdio wire protocol
// (newline-delimited JSON-RPC over a pair of pipes), as `netagent mcp` serves it.
func stdioClient(t *testing.T, s *mcp.Server) *client.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	toSrvR, toSrvW := io.Pipe()
	toCliR, toCliW := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.ServeStdio(ctx, toSrvR, toCliW)
		toCliW.Close()
	}()
	c := client.NewClient(transport.NewIO(toCliR, toSrvW, io.NopCloser(strings.NewReader(""))))
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	initialize(t, c)
	t.Cleanup(func() { c.Close(); toSrvW.Close(); cancel(); toSrvR.Close(); <-done })
	return c
}

func initialize(t *testing.T, c *client.Client) {
	t.Helper()
	req := mcpgo.InitializeRequest{}
	req.Params.ProtocolVersion = mcpgo.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcpgo.Implementation{Name: "netagent-test", Version: "1"}
	if _, err := c.Initialize(context.Background(), req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
}

// tokens maps the test's bearer tokens to principals: a stand-in for the
// agent's authentication layer, which sets the principal before /mcp.
var tokens = map[string]auth.Principal{
	"writer": {Subject: "ops-bot", Kind: "agent", Via: "token", Scopes: []auth.Scope{auth.IntentsRead, auth.IntentsWrite, auth.DevicesRead},
		OnBehalfOf: &auth.Principal{Subject: "alice", Kind: "operator"}},
	"reader": {Subject: "viewer-bot", Kind: "agent", Via: "token", Scopes: []auth.Scope{auth.IntentsRead, auth.DevicesRead}},
}

func httpServer(t *testing.T, s *mcp.Server) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for _, rt := range s.Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			if p, ok := tokens[tok]; ok {
				r = r.WithContext(auth.WithPrincipal(r.Context(), p))
			}
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// noRedirects keeps the test client from following redirects (GO-2026-6911).
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func httpClient(t *testing.T, srv *httptest.Server, token string) *client.Client {
	t.Helper()
	c, err := client.NewStreamableHttpClient(srv.URL+mcp.Path,
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}),
		transport.WithHTTPBasicClient(noRedirects))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	initialize(t, c)
	t.Cleanup(func() { c.Close() })
	return c
}

// progressLog collects the progress notifications a client receives.
type progressLog struct {
	mu      sync.Mutex // protects following fields
	got     []map[string]any
	changed chan struct{} // closed and replaced on every notification
}

func watchProgress(c *client.Client) *progressLog {
	p := &progressLog{changed: make(chan struct{})}
	c.OnNotification(func(n mcpgo.JSONRPCNotification) {
		if n.Method != "notifications/progress" {
			return
		}
		p.mu.Lock()
		p.got = append(p.got, n.Params.AdditionalFields)
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	})
	return p
}

// messagesUntil returns the progress messages of token once one holds
// want, or after 30 seconds (a generous bound for a loaded machine).
func (p *progressLog) messagesUntil(token, want string) []string {
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		ch := p.changed
		p.mu.Unlock()
		msgs := p.messages(token)
		if strings.Contains(strings.Join(msgs, "\n"), want) {
			return msgs
		}
		select {
		case <-ch:
		case <-deadline.C:
			return msgs
		}
	}
}

func (p *progressLog) messages(token string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, f := range p.got {
		if f["progressToken"] == token {
			m, _ := f["message"].(string)
			out = append(out, m)
		}
	}
	return out
}

// call calls a tool and decodes its structured result into out (when not
// nil); it returns the error text of a tool error, "" on success.
func call(t *testing.T, c *client.Client, name string, args map[string]any, progress string, out any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	req := mcpgo.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	if progress != "" {
		req.Params.Meta = &mcpgo.Meta{ProgressToken: progress}
	}
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		var parts []string
		for _, ct := range res.Content {
			if tc, ok := ct.(mcpgo.TextContent); ok {
				parts = append(parts, tc.Text)
			}
		}
		return strings.Join(parts, "\n")
	}
	if out != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: structured result: %v\n%s", name, err, b)
		}
	}
	return ""
}

func mustCall(t *testing.T, c *client.Client, name string, args map[string]any, progress string, out any) {
	t.Helper()
	if e := call(t, c, name, args, progress, out); e != "" {
		t.Fatalf("%s(%v): %s", name, args, e)
	}
}

// result is the subset of a write tool's answer the tests read.
type result struct {
	Status            string         `json:"status"`
	IntentID          string         `json:"intent_id"`
	Diff              string         `json:"diff"`
	ConfirmationToken string         `json:"confirmation_token"`
	Record            *intent.Record `json:"record"`
}

// planApply calls a write tool without a token, checks nothing changed and
// a token came back, then calls it again with the token.
func planApply(t *testing.T, c *client.Client, name string, args map[string]any, progress string) (planned, applied result) {
	t.Helper()
	mustCall(t, c, name, args, "", &planned)
	if planned.Status != mcp.StatusNeedsConfirmation || planned.ConfirmationToken == "" {
		t.Fatalf("%s without a token: status %q token %q, want a plan awaiting confirmation", name, planned.Status, planned.ConfirmationToken)
	}
	with := map[string]any{"confirmation_token": planned.ConfirmationToken}
	for k, v := range args {
		with[k] = v
	}
	mustCall(t, c, name, with, progress, &applied)
	return planned, applied
}
