package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/trace"
)

// echo answers with the principal and trace id the layer put in the context.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	_ = json.NewEncoder(w).Encode(map[string]any{"subject": p.Subject, "via": p.Via, "trace": trace.IDFrom(r.Context())})
})

var testRoutes = []auth.Route{
	{Pattern: "GET /healthz", Scope: auth.Public, Handler: echo},
	{Pattern: "GET /v1/intents", Scope: auth.IntentsRead, Handler: echo},
	{Pattern: "POST /v1/intents", Scope: auth.IntentsWrite, Handler: echo},
}

type jwtIssuer struct {
	priv ed25519.PrivateKey
	url  string
}

// newJWKS serves an Ed25519 key set on loopback, as an authorisation server would.
func newJWKS(t *testing.T) *jwtIssuer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	store := jwkset.NewMemoryStorage()
	jwk, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "k1", USE: jwkset.UseSig}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.KeyWrite(context.Background(), jwk); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := store.JSONPublic(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return &jwtIssuer{priv: priv, url: srv.URL}
}

func (j *jwtIssuer) sign(t *testing.T, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(j.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLayer(t *testing.T) {
	dir := t.TempDir()
	store, err := auth.OpenTokenStore(filepath.Join(dir, "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, reader, err := store.Create("ro", []auth.Scope{auth.IntentsRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, writer, err := store.Create("alice", []auth.Scope{auth.IntentsRead, auth.IntentsWrite}, 0)
	if err != nil {
		t.Fatal(err)
	}
	revTok, revoked, err := store.Create("bob", []auth.Scope{auth.Admin}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Revoke(revTok.ID); err != nil {
		t.Fatal(err)
	}
	_, expired, err := store.Create("carol", []auth.Scope{auth.Admin}, time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)

	iss := newJWKS(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := auth.NewJWTVerifier(ctx, auth.JWTConfig{JWKSURL: iss.url, Issuer: "https://as.example", Audience: "netagent://agent/a1"})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Unix()
	goodJWT := iss.sign(t, jwt.MapClaims{"iss": "https://as.example", "aud": "netagent://agent/a1", "sub": "ci", "exp": exp, "scope": "intents:read intents:write other:thing"})
	readJWT := iss.sign(t, jwt.MapClaims{"iss": "https://as.example", "aud": "netagent://agent/a1", "sub": "ci", "exp": exp, "scope": "intents:read"})
	wrongAud := iss.sign(t, jwt.MapClaims{"iss": "https://as.example", "aud": "netagent://agent/other", "sub": "ci", "exp": exp, "scope": "admin"})
	wrongIss := iss.sign(t, jwt.MapClaims{"iss": "https://evil.example", "aud": "netagent://agent/a1", "sub": "ci", "exp": exp, "scope": "admin"})
	noExp := iss.sign(t, jwt.MapClaims{"iss": "https://as.example", "aud": "netagent://agent/a1", "sub": "ci", "scope": "admin"})
	oldJWT := iss.sign(t, jwt.MapClaims{"iss": "https://as.example", "aud": "netagent://agent/a1", "sub": "ci", "exp": time.Now().Add(-time.Hour).Unix(), "scope": "admin"})
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	forged := (&jwtIssuer{priv: otherKey}).sign(t, jwt.MapClaims{"iss": "https://as.example", "aud": "netagent://agent/a1", "sub": "ci", "exp": exp, "scope": "admin"})

	var mu sync.Mutex
	var denials []auth.Denial
	l, err := auth.NewLayer(auth.WithTokens(store), auth.WithJWT(v), auth.WithOnDenied(func(_ context.Context, d auth.Denial) {
		mu.Lock()
		denials = append(denials, d)
		mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	h := l.Handler(testRoutes)

	tests := []struct {
		name, method, path, authz string
		want                      int
		wantChallenge             string // substring of WWW-Authenticate
		wantSubject               string
	}{
		{"public needs nothing", "GET", "/healthz", "", 200, "", ""},
		{"no token", "GET", "/v1/intents", "", 401, `Bearer realm="netagent"`, ""},
		{"basic scheme", "GET", "/v1/intents", "Basic YWxpY2U6eA==", 401, `error="invalid_request"`, ""},
		{"unknown token", "GET", "/v1/intents", "Bearer nat_nope", 401, `error="invalid_token"`, ""},
		{"reader reads", "GET", "/v1/intents", "Bearer " + reader, 200, "", "ro"},
		{"scheme is case-insensitive", "GET", "/v1/intents", "bearer " + reader, 200, "", "ro"},
		{"reader cannot write", "POST", "/v1/intents", "Bearer " + reader, 403, `error="insufficient_scope", scope="intents:write"`, ""},
		{"writer writes", "POST", "/v1/intents", "Bearer " + writer, 200, "", "alice"},
		{"revoked", "GET", "/v1/intents", "Bearer " + revoked, 401, "the token was revoked", ""},
		{"expired", "GET", "/v1/intents", "Bearer " + expired, 401, "the token has expired", ""},
		{"jwt writes", "POST", "/v1/intents", "Bearer " + goodJWT, 200, "", "ci"},
		{"jwt without the scope", "POST", "/v1/intents", "Bearer " + readJWT, 403, "insufficient_scope", ""},
		{"jwt for another audience", "GET", "/v1/intents", "Bearer " + wrongAud, 401, "another audience", ""},
		{"jwt from another issuer", "GET", "/v1/intents", "Bearer " + wrongIss, 401, "another issuer", ""},
		{"jwt without exp", "GET", "/v1/intents", "Bearer " + noExp, 401, `error="invalid_token"`, ""},
		{"jwt expired", "GET", "/v1/intents", "Bearer " + oldJWT, 401, "has expired", ""},
		{"jwt signed by another key", "GET", "/v1/intents", "Bearer " + forged, 401, "could not be verified", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.authz != "" {
				req.Header.Set("Authorization", tt.authz)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			if tt.wantChallenge != "" && !strings.Contains(rec.Header().Get("WWW-Authenticate"), tt.wantChallenge) {
				t.Errorf("WWW-Authenticate %q, want it to hold %q", rec.Header().Get("WWW-Authenticate"), tt.wantChallenge)
			}
			if tt.want >= 400 {
				var p struct {
					Type   string `json:"type"`
					Status int    `json:"status"`
					Scope  string `json:"scope"`
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q, want application/problem+json", ct)
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tt.want || p.Type == "" {
					t.Errorf("problem %s: %+v, %v", rec.Body, p, err)
				}
				if tt.want == 403 && p.Scope != "intents:write" {
					t.Errorf("403 names scope %q, want intents:write", p.Scope)
				}
				if strings.Contains(rec.Body.String(), "nat_") || strings.Contains(rec.Header().Get("WWW-Authenticate"), "nat_") {
					t.Errorf("the refusal echoes the credential: %s", rec.Body)
				}
				return
			}
			var got map[string]string
			_ = json.Unmarshal(rec.Body.Bytes(), &got)
			if got["subject"] != tt.wantSubject {
				t.Errorf("principal %q, want %q", got["subject"], tt.wantSubject)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if len(denials) != 12 {
		t.Errorf("OnDenied called %d times, want 12", len(denials))
	}
	for _, d := range denials {
		if d.Route == "" || d.Reason == "" || d.TraceID == "" || (d.Status != 401 && d.Status != 403) {
			t.Errorf("incomplete denial %+v", d)
		}
		if strings.Contains(d.Reason, "nat_") || strings.Contains(d.Who, "nat_") {
			t.Errorf("denial holds a secret: %+v", d)
		}
	}
}

func TestLayerTraceparent(t *testing.T) {
	l, err := auth.NewLayer()
	if err != nil {
		t.Fatal(err)
	}
	h := l.Handler(testRoutes)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("traceparent", tp)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var got map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	if got["trace"] != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace in context %q, want the caller's", got["trace"])
	}
	echoed, err := trace.Parse(rec.Header().Get("traceparent"))
	if err != nil || echoed.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || echoed.SpanID == "00f067aa0ba902b7" {
		t.Errorf("echoed traceparent %q: %v (want the caller's trace, this agent's span)", rec.Header().Get("traceparent"), err)
	}
	// A bad traceparent starts a fresh trace, also on a refused request.
	req = httptest.NewRequest("GET", "/v1/intents", nil)
	req.Header.Set("traceparent", "garbage")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Fatalf("status %d, want 401", rec.Code)
	}
	if _, err := trace.Parse(rec.Header().Get("traceparent")); err != nil {
		t.Errorf("no fresh traceparent on a refusal: %v", err)
	}
}

func TestCheckRoutesRefusesUndeclaredScope(t *testing.T) {
	err := auth.CheckRoutes([]auth.Route{{Pattern: "GET /x", Handler: echo}, {Pattern: "GET /y", Scope: "intents:everything", Handler: echo}})
	if err == nil || !strings.Contains(err.Error(), `"GET /x"`) || !strings.Contains(err.Error(), `"GET /y"`) {
		t.Fatalf("CheckRoutes = %v, want both routes named", err)
	}
	l, _ := auth.NewLayer()
	defer func() {
		if recover() == nil {
			t.Error("Wrap accepted a route without a scope")
		}
	}()
	l.Wrap(auth.Route{Pattern: "GET /x", Handler: echo})
}

func TestTokenStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	s, err := auth.OpenTokenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, secret, err := s.Create("alice", []auth.Scope{auth.DevicesRead}, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, %v; want 0600", fi.Mode(), err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), secret) || strings.Contains(string(data), strings.TrimPrefix(secret, auth.TokenPrefix)) {
		t.Fatal("the token file holds the secret")
	}
	if !strings.Contains(string(data), tok.Hash) {
		t.Fatal("the token file lacks the hash")
	}
	// A second store (another process: `netagent token revoke`) revokes;
	// the first sees it on its next re-read.
	other, err := auth.OpenTokenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Revoke(tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Revoke("tok_missing"); err == nil {
		t.Error("revoking an unknown id succeeded")
	}
	fresh, err := auth.OpenTokenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := fresh.Lookup(secret); err == nil {
		t.Error("a revoked token still works")
	}
	// Group-readable files are refused.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.OpenTokenStore(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a 0644 token file was accepted: %v", err)
	}
	if _, _, err := s.Create("x", []auth.Scope{"root"}, 0); err == nil {
		t.Error("created a token with an unknown scope")
	}
}

func TestBootstrap(t *testing.T) {
	dir := t.TempDir()
	s, err := auth.OpenTokenStore(filepath.Join(dir, "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	adminPath := filepath.Join(dir, "admin.token")
	created, err := auth.Bootstrap(s, adminPath)
	if err != nil || created == nil || created.Subject != "admin" {
		t.Fatalf("Bootstrap = %+v, %v; want a new admin token", created, err)
	}
	secret, err := auth.ReadSecretFile(adminPath)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := s.Lookup(secret)
	if err != nil || !p.Has(auth.Admin) {
		t.Fatalf("admin token: %+v, %v", p, err)
	}
	if created, err := auth.Bootstrap(s, adminPath); err != nil || created != nil {
		t.Fatalf("second Bootstrap = %v, %v; want the existing token kept", created, err)
	}
	if toks, _ := s.List(); len(toks) != 1 {
		t.Fatalf("%d tokens after two starts, want 1", len(toks))
	}
}
