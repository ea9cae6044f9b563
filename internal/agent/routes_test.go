package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
)

// routeRequests gives a realistic request for the routes whose effect the
// test checks: writes carry a body that would change the lab if it got
// through. Routes not listed get their pattern with each {wildcard}
// replaced and an empty JSON object.
var routeRequests = map[string]struct{ path, body string }{
	"POST /v1/intents":        {"/v1/intents", `{"id":"ro-try","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":1234}}`},
	"POST /v1/intents:plan":   {"/v1/intents:plan", `{"id":"ro-plan","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":1235}}`},
	"POST /v1/intents:parse":  {"/v1/intents:parse", `{"text":"set mtu 1500 on e1-1 of r1","session":"ro"}`},
	"GET /v1/intents/{id}":    {"/v1/intents/seed", ""},
	"DELETE /v1/intents/{id}": {"/v1/intents/seed", ""},
	"GET /v1/schemas/{kind}":  {"/v1/schemas/interface", ""},
	"PUT /v1/nl/rules":        {"/v1/nl/rules", "version: 1\n"},
}

var wildcard = regexp.MustCompile(`\{[^}]+\}`)

func requestFor(rt auth.Route) (method, path, body string) {
	method, pattern, _ := strings.Cut(rt.Pattern, " ")
	if r, ok := routeRequests[rt.Pattern]; ok {
		return method, r.path, r.body
	}
	path = wildcard.ReplaceAllString(pattern, "x")
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		body = "{}"
	}
	return method, path, body
}

func call(t *testing.T, c *http.Client, base string, rt auth.Route) (int, http.Header, []byte) {
	t.Helper()
	method, path, body := requestFor(rt)
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		if rt.Pattern == "PUT /v1/nl/rules" {
			req.Header.Set("Content-Type", "application/yaml")
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", rt.Pattern, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// startLabAgent runs the agent over the embedded two-node lab and returns
// it, its base URL and the lab.
func startLabAgent(t *testing.T, ctx context.Context, log *slog.Logger, mutate func(*config.Config)) (*Agent, string, *lab.Lab, config.Config) {
	t.Helper()
	return startLabAgentWith(t, ctx, log, lab.Options{}, mutate)
}

// startLabAgentWith is startLabAgent with lab options (anomalies scripted
// into its telemetry, say); the lab's directory is the test's.
func startLabAgentWith(t *testing.T, ctx context.Context, log *slog.Logger, opts lab.Options, mutate func(*config.Config)) (*Agent, string, *lab.Lab, config.Config) {
	t.Helper()
	tp, err := topo.Parse(topologies.TwoNode)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	opts.Dir, opts.NoAdmin = filepath.Join(dir, "lab"), true
	l, err := lab.Start(ctx, tp, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Inventory = l.InventoryPath()
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := New(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	addr, err := a.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return a, "http://" + addr, l, cfg
}

func snapshot(t *testing.T, l *lab.Lab) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range l.Devices() {
		run, err := l.Running(d.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[d.Name] = run.String()
	}
	return out
}

// TestRouteTable walks every route the agent serves: each declares a
// scope; only health, version and the OpenAPI document are public; every
// other route answers 401 without a token and 403 with a token holding
// every scope but its own; and a read-only token (intents:read,
// devices:read) reads what it should and changes nothing on the lab's
// devices or in the intent store.
func TestRouteTable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var denials atomic.Int64
	a, base, l, cfg := startLabAgent(t, ctx, nil, nil)
	a.SetDenialHook(func(_ context.Context, d auth.Denial) { denials.Add(1) })
	routes := a.Routes()
	if err := auth.CheckRoutes(routes); err != nil {
		t.Fatal(err)
	}
	var public []string
	for _, rt := range routes {
		if rt.Scope == auth.Public {
			public = append(public, rt.Pattern)
		}
	}
	slices.Sort(public)
	// MCP's Protected Resource Metadata (RFC 9728) must be readable before
	// a client has a token.
	if want := []string{"GET /.well-known/oauth-protected-resource", "GET /.well-known/oauth-protected-resource/mcp",
		"GET /healthz", "GET /v1/openapi.json", "GET /version"}; !slices.Equal(public, want) {
		t.Fatalf("public routes %v, want only %v", public, want)
	}

	admin := bearerClient(t, cfg.AdminTokenPath())
	// An intent to read back, applied on the lab.
	resp, err := admin.Post(base+"/v1/intents", "application/json",
		bytes.NewReader([]byte(`{"id":"seed","kind":"interface","targets":{"devices":["r2"]},"spec":{"name":"eth1","description":"seeded"}}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("seed intent: status %d", resp.StatusCode)
	}
	if st := waitState(ctx, t, admin, strings.TrimPrefix(base, "http://"), "seed"); st != "applied" {
		t.Fatalf("seed intent %s", st)
	}

	anon := &http.Client{Timeout: 30 * time.Second}
	for _, rt := range routes {
		if rt.Scope == auth.Public {
			if code, _, body := call(t, anon, base, rt); code != http.StatusOK {
				t.Errorf("%s without a token: %d %s, want 200", rt.Pattern, code, body)
			}
			continue
		}
		t.Run(rt.Pattern+"/no token", func(t *testing.T) {
			code, h, body := call(t, anon, base, rt)
			if code != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("status %d, WWW-Authenticate %q; want 401 with a Bearer challenge (%s)", code, h.Get("WWW-Authenticate"), body)
			}
		})
		t.Run(rt.Pattern+"/wrong scope", func(t *testing.T) {
			var others []auth.Scope
			for _, s := range auth.Scopes() {
				if s != rt.Scope && s != auth.Admin {
					others = append(others, s)
				}
			}
			_, secret, err := a.Tokens().Create("lacks-"+string(rt.Scope), others, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			code, h, body := call(t, tokenClient(secret), base, rt)
			var p struct {
				Scope string `json:"scope"`
			}
			_ = json.Unmarshal(body, &p)
			if code != http.StatusForbidden || p.Scope != string(rt.Scope) || !strings.Contains(h.Get("WWW-Authenticate"), `scope="`+string(rt.Scope)+`"`) {
				t.Errorf("status %d, problem %s; want 403 naming scope %s", code, body, rt.Scope)
			}
		})
	}

	before := snapshot(t, l)
	_, roSecret, err := a.Tokens().Create("auditor", []auth.Scope{auth.IntentsRead, auth.DevicesRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ro := tokenClient(roSecret)
	for _, rt := range routes {
		code, _, body := call(t, ro, base, rt)
		readable := rt.Scope == auth.Public || rt.Scope == auth.IntentsRead || rt.Scope == auth.DevicesRead
		switch {
		case readable && (code == http.StatusUnauthorized || code == http.StatusForbidden || code >= 500):
			t.Errorf("read-only token on %s: %d %s, want it served", rt.Pattern, code, body)
		case readable && rt.Pattern == "GET /v1/intents/{id}" && !strings.Contains(string(body), `"seeded"`):
			t.Errorf("read-only token on %s: %s, want the seeded intent", rt.Pattern, body)
		case !readable && code != http.StatusForbidden:
			t.Errorf("read-only token on %s (scope %s): %d %s, want 403", rt.Pattern, rt.Scope, code, body)
		}
	}
	time.Sleep(300 * time.Millisecond) // anything that slipped through would be applying now
	after := snapshot(t, l)
	for dev, run := range before {
		if after[dev] != run {
			t.Errorf("a read-only token changed %s:\nbefore:\n%s\nafter:\n%s", dev, run, after[dev])
		}
	}
	rec, err := a.net.intent.Get(ctx, "ro-try")
	if err == nil {
		t.Errorf("a read-only token stored intent %+v", rec)
	}
	seed, err := a.net.intent.Get(ctx, "seed")
	if err != nil || seed.State != "applied" {
		t.Errorf("seed intent after the read-only pass: %+v, %v; want it still applied", seed, err)
	}
	if denials.Load() == 0 {
		t.Error("the denial hook saw no refusal")
	}
}
