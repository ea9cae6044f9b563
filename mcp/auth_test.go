package mcp_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/mcp"
	"github.com/netagent/netagent/yang"
)

// TestJWTAuthorisation runs /mcp behind the agent's auth layer as an OAuth
// resource server trusting a test authorisation server's JWKS, audience
// bound to this /mcp, and checks every refusal over HTTP: no token (401
// with the metadata URL), a token for another audience, an expired one, one
// from another issuer (401 invalid_token), one without the route's scope
// (403), then a read-only token that lists and reads but whose write is
// refused with 403 insufficient_scope and leaves the lab unchanged, and a
// writer's token from the token endpoint that changes it.
func TestJWTAuthorisation(t *testing.T) {
	n := startNetwork(t, topologies.TwoNode)
	rec := &requestLog{}
	as := startAuthServer(t, rec, map[string]asClient{
		"ops-bot": {secret: "s3cret", scopes: []auth.Scope{auth.IntentsRead, auth.IntentsWrite, auth.DevicesRead}},
	})
	srv, resource := jwtAgent(t, n, as, rec)
	meta := srv.URL + mcp.MetadataPath
	initBody := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	other := startAuthServer(t, &requestLog{}, nil) // same claims, another key and issuer

	for _, tc := range []struct {
		name, token string
		code        int
		challenge   []string
	}{
		{"no token", "", http.StatusUnauthorized, []string{`resource_metadata="` + meta + `"`}},
		{"wrong audience", as.mint("ops-bot", "http://127.0.0.1:1/mcp", "intents:read", time.Minute), http.StatusUnauthorized,
			[]string{`error="invalid_token"`, "another audience", `resource_metadata="` + meta + `"`}},
		{"expired", as.mint("ops-bot", resource, "intents:read", -time.Minute), http.StatusUnauthorized,
			[]string{`error="invalid_token"`, "expired", `resource_metadata="` + meta + `"`}},
		{"another issuer's key", other.mint("ops-bot", resource, "intents:read", time.Minute), http.StatusUnauthorized,
			[]string{`error="invalid_token"`}},
		{"no read scope", as.mint("ops-bot", resource, "telemetry:read", time.Minute), http.StatusForbidden,
			[]string{`error="insufficient_scope"`, `scope="intents:read"`, `resource_metadata="` + meta + `"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, srv.URL+mcp.Path, tc.token, initBody)
			wa := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != tc.code {
				t.Errorf("status %d, want %d (WWW-Authenticate %q)", resp.StatusCode, tc.code, wa)
			}
			for _, want := range tc.challenge {
				if !strings.Contains(wa, want) {
					t.Errorf("WWW-Authenticate %q lacks %s", wa, want)
				}
			}
		})
	}

	// The metadata the challenge points at names the resource and the
	// authorisation server.
	resp, err := noRedirects.Get(meta)
	if err != nil {
		t.Fatal(err)
	}
	var md mcp.ResourceMetadata
	err = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if err != nil || md.Resource != resource || len(md.AuthorizationServers) != 1 || md.AuthorizationServers[0] != as.issuer {
		t.Errorf("metadata: %v %+v, want resource %s and issuer %s", err, md, resource, as.issuer)
	}

	// A read-only token lists the tools, reads the lab and plans, but its
	// write is refused and nothing changes.
	mtu := yang.InterfacePath("e1-1").Leaf("config", "mtu")
	reader := as.mint("viewer-bot", resource, "intents:read devices:read", 5*time.Minute)
	rc := httpClient(t, srv, reader)
	checkTools(t, rc)
	var devs struct{ Devices []mcp.DeviceStatus }
	mustCall(t, rc, "list_devices", nil, "", &devs)
	var cfg struct {
		Leaves []struct {
			Path  string
			Value any
		}
	}
	mustCall(t, rc, "get_config", map[string]any{"device": "r1", "path": "/interfaces/interface[name=e1-1]/config/mtu"}, "", &cfg)
	if len(devs.Devices) != 2 || len(cfg.Leaves) != 1 || cfg.Leaves[0].Value != float64(1500) {
		t.Errorf("reader: devices %+v config %+v", devs, cfg)
	}
	write := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"set_interface","arguments":{"devices":["r1"],"name":"e1-1","mtu":9000}}}`
	resp = post(t, srv.URL+mcp.Path, reader, write)
	if wa := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusForbidden || !strings.Contains(wa, `error="insufficient_scope"`) ||
		!strings.Contains(wa, `scope="intents:write"`) {
		t.Errorf("reader's write: %d %q, want 403 insufficient_scope naming intents:write", resp.StatusCode, wa)
	}
	if v := n.leaf(t, "r1", mtu); v != uint64(1500) {
		t.Errorf("lab mtu after the refused write = %v, want 1500", v)
	}

	// A wrong client secret gets no token; the right one gets a token
	// bound to this resource, and its write goes through.
	if _, code := clientCredentials(t, as, "ops-bot", "wrong", resource, "intents:read"); code != http.StatusUnauthorized {
		t.Errorf("wrong client secret: %d, want 401", code)
	}
	writer, code := clientCredentials(t, as, "ops-bot", "s3cret", resource, "intents:read intents:write devices:read")
	if code != http.StatusOK || writer == "" {
		t.Fatalf("token endpoint: %d", code)
	}
	wc := httpClient(t, srv, writer)
	_, applied := planApply(t, wc, "set_interface", map[string]any{"devices": []string{"r1"}, "name": "e1-1", "mtu": 9000}, "")
	if applied.Status != string(intent.StateApplied) || n.leaf(t, "r1", mtu) != uint64(9000) {
		t.Errorf("writer: %+v, lab mtu %v", applied, n.leaf(t, "r1", mtu))
	}
	if applied.Record == nil || !strings.Contains(applied.Record.Requester, "ops-bot") {
		t.Errorf("requester = %+v, want the token's subject", applied.Record)
	}
	// The agent fetched the key set; the refused write never reached the
	// MCP handler's tools, the token endpoint refused the wrong secret.
	lines := rec.all()
	for _, want := range []string{"GET /as/jwks 200", "POST /as/token 401", "POST /as/token 200", "POST /mcp 403"} {
		if !slices.Contains(lines, want) {
			t.Errorf("requests %q lack %q", lines, want)
		}
	}
}
