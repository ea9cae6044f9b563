package mcp_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/mcp"
)

// authServer is a small OAuth 2.1 authorisation server on loopback, as an
// MCP client meets one: RFC 8414 metadata, a client-credentials token
// endpoint (client_secret_basic) issuing EdDSA JWTs whose audience is the
// RFC 8707 resource asked for, and the JWKS that verifies them. It records
// every request it serves, for tests that check a client's discovery.
type authServer struct {
	srv    *httptest.Server
	issuer string
	key    ed25519.PrivateKey
	kid    string
	// clients maps a client id to its secret and the scopes it may get.
	clients map[string]asClient
	rec     *requestLog
}

type asClient struct {
	secret string
	scopes []auth.Scope
}

// requestLog records "METHOD path status" lines in the order they were served.
type requestLog struct {
	mu    sync.Mutex // protects lines
	lines []string
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		l.mu.Lock()
		l.lines = append(l.lines, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, sw.code))
		l.mu.Unlock()
	})
}

func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) { w.code = code; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Flush()               { _ = http.NewResponseController(w.ResponseWriter).Flush() }
func (w *statusWriter) Unwrap() http.ResponseWriter {
	return w.ResponseWriter
}

func startAuthServer(t *testing.T, rec *requestLog, clients map[string]asClient) *authServer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	as := &authServer{key: key, kid: "test-key-1", clients: clients, rec: rec}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server/as", as.metadata)
	mux.HandleFunc("POST /as/token", as.token)
	mux.HandleFunc("GET /as/jwks", as.jwks)
	as.srv = httptest.NewServer(rec.wrap(mux))
	t.Cleanup(as.srv.Close)
	as.issuer = as.srv.URL + "/as"
	return as
}

func (as *authServer) metadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer": as.issuer,
		// The client-credentials flow never uses it, but clients (the
		// TypeScript SDK) require it in the document.
		"authorization_endpoint":                as.issuer + "/authorize",
		"token_endpoint":                        as.issuer + "/token",
		"jwks_uri":                              as.issuer + "/jwks",
		"grant_types_supported":                 []string{"client_credentials"},
		"response_types_supported":              []string{"code"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (as *authServer) jwks(w http.ResponseWriter, _ *http.Request) {
	pub := as.key.Public().(ed25519.PublicKey)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
		"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": as.kid,
		"x": base64.RawURLEncoding.EncodeToString(pub),
	}}})
}

func (as *authServer) token(w http.ResponseWriter, r *http.Request) {
	oauthErr := func(code int, kind, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": kind, "error_description": desc})
	}
	id, secret, ok := r.BasicAuth()
	c, known := as.clients[id]
	if !ok || !known || c.secret != secret {
		oauthErr(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		oauthErr(http.StatusBadRequest, "unsupported_grant_type", "only client_credentials")
		return
	}
	resource := r.PostForm.Get("resource")
	if resource == "" {
		oauthErr(http.StatusBadRequest, "invalid_target", "a resource (RFC 8707) is required")
		return
	}
	var granted []string
	asked := strings.Fields(r.PostForm.Get("scope"))
	for _, s := range c.scopes {
		if len(asked) == 0 || slices.Contains(asked, string(s)) {
			granted = append(granted, string(s))
		}
	}
	if len(granted) == 0 {
		oauthErr(http.StatusBadRequest, "invalid_scope", "none of the scopes asked for is granted to this client")
		return
	}
	tok := as.mint(id, resource, strings.Join(granted, " "), 5*time.Minute)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 300, "scope": strings.Join(granted, " ")})
}

// mint signs a JWT for sub with audience aud and the space-separated
// scope, valid for ttl (a negative ttl gives an expired token).
func (as *authServer) mint(sub, aud, scope string, ttl time.Duration) string {
	now := time.Now()
	iat := now
	if ttl < 0 {
		iat = now.Add(2 * ttl)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": as.issuer, "sub": sub, "aud": aud, "scope": scope,
		"iat": iat.Unix(), "exp": now.Add(ttl).Unix(),
	})
	tok.Header["kid"] = as.kid
	s, err := tok.SignedString(as.key)
	if err != nil {
		panic(err)
	}
	return s
}

// jwtAgent serves s's routes behind the agent's real auth layer, trusting
// only JWTs of as whose audience is this server's /mcp. It returns the
// server and the resource URL.
func jwtAgent(t *testing.T, n *network, as *authServer, rec *requestLog) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	resource := "http://" + srv.Listener.Addr().String() + mcp.Path
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := auth.NewJWTVerifier(ctx, auth.JWTConfig{JWKSURL: as.issuer + "/jwks", Issuer: as.issuer, Audience: resource})
	if err != nil {
		t.Fatal(err)
	}
	layer, err := auth.NewLayer(auth.WithJWT(v))
	if err != nil {
		t.Fatal(err)
	}
	s := n.server(t, func(c *mcp.Config) { c.AuthorizationServers = []string{as.issuer} })
	srv.Config.Handler = rec.wrap(layer.Handler(s.Routes()))
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, resource
}

// clientCredentials gets a token from as the way an MCP client does.
func clientCredentials(t *testing.T, as *authServer, id, secret, resource, scope string) (string, int) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {scope}}
	req, _ := http.NewRequest("POST", as.issuer+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.AccessToken, resp.StatusCode
}
