package agent

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/mcp"
)

// TestMCPWithJWT configures the agent as an OAuth resource server the way
// the README says (auth.jwks_url, jwt_issuer, jwt_audience = mcp.resource,
// mcp.authorization_servers) and checks /mcp end to end on the lab: the
// metadata names the resource and issuer, a token for another audience is
// refused, a read-only token reads but cannot write, a writer's token
// applies a change with per-device progress.
func TestMCPWithJWT(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": "k1",
			"x": base64.RawURLEncoding.EncodeToString(key.Public().(ed25519.PublicKey))}}})
	}))
	defer as.Close()
	const resource = "https://agent1.example.net/mcp"
	mint := func(sub, aud, scope string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": as.URL, "sub": sub, "aud": aud, "scope": scope,
			"iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix()})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	_, base, _, _ := startLabAgentWith(t, ctx, nil, lab.Options{}, func(cfg *config.Config) {
		cfg.Auth.JWKSURL, cfg.Auth.JWTIssuer, cfg.Auth.JWTAudience = as.URL+"/jwks", as.URL, resource
		cfg.MCP.Resource, cfg.MCP.AuthorizationServers = resource, as.URL
	})

	resp, err := http.Get(base + mcp.MetadataPath)
	if err != nil {
		t.Fatal(err)
	}
	var meta mcp.ResourceMetadata
	err = json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if err != nil || meta.Resource != resource || len(meta.AuthorizationServers) != 1 || meta.AuthorizationServers[0] != as.URL {
		t.Errorf("metadata: %v %+v", err, meta)
	}

	initBody := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest("POST", base+mcp.Path, strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+mint("ops-bot", "https://other.example.net/mcp", "intents:read"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if wa := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(wa, `error="invalid_token"`) || !strings.Contains(wa, "resource_metadata=") {
		t.Errorf("token for another audience: %d %q", resp.StatusCode, wa)
	}

	connect := func(token string) *client.Client {
		c, err := client.NewStreamableHttpClient(base+mcp.Path, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}),
			transport.WithHTTPBasicClient(&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		init := mcpgo.InitializeRequest{}
		init.Params.ProtocolVersion = mcpgo.LATEST_PROTOCOL_VERSION
		init.Params.ClientInfo = mcpgo.Implementation{Name: "t", Version: "1"}
		if _, err := c.Initialize(ctx, init); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	callTool := func(c *client.Client, name string, args map[string]any, progress string) (*mcpgo.CallToolResult, error) {
		req := mcpgo.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = name, args
		if progress != "" {
			req.Params.Meta = &mcpgo.Meta{ProgressToken: progress}
		}
		return c.CallTool(ctx, req)
	}

	reader := connect(mint("viewer-bot", resource, "intents:read devices:read"))
	tools, err := reader.ListTools(ctx, mcpgo.ListToolsRequest{})
	if err != nil || len(tools.Tools) == 0 {
		t.Fatalf("reader tools/list: %v", err)
	}
	if res, err := callTool(reader, "list_devices", nil, ""); err != nil || res.IsError {
		t.Errorf("reader list_devices: %v %+v", err, res)
	}
	if _, err := callTool(reader, "set_interface", map[string]any{"devices": []string{"r1"}, "name": "e1-1", "mtu": 9000}, ""); err == nil {
		t.Errorf("reader's write was not refused")
	}

	writer := connect(mint("ops-bot", resource, "intents:read intents:write devices:read"))
	var mu sync.Mutex
	var progress []string
	writer.OnNotification(func(n mcpgo.JSONRPCNotification) {
		if m, ok := n.Params.AdditionalFields["message"].(string); ok && n.Method == "notifications/progress" {
			mu.Lock()
			progress = append(progress, m)
			mu.Unlock()
		}
	})
	args := map[string]any{"devices": []string{"r1"}, "name": "e1-1", "mtu": 9000}
	res, err := callTool(writer, "set_interface", args, "")
	if err != nil || res.IsError {
		t.Fatalf("writer plan: %v %+v", err, res)
	}
	tok, _ := res.StructuredContent.(map[string]any)["confirmation_token"].(string)
	args["confirmation_token"] = tok
	if res, err = callTool(writer, "set_interface", args, "apply"); err != nil || res.IsError {
		t.Fatalf("writer apply: %v %+v", err, res)
	}
	if st := res.StructuredContent.(map[string]any)["status"]; st != "applied" {
		t.Errorf("writer apply: status %v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	// r1's last step: confirmed through a transaction (the default),
	// configured device by device.
	if all := strings.Join(progress, "\n"); !(strings.Contains(all, "device r1: confirmed") || strings.Contains(all, "device r1: configured")) || !strings.Contains(all, ": applied:") {
		t.Errorf("progress before the answer = %q, want r1's steps and applied", progress)
	}
}
