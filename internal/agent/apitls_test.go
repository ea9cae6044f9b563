package agent

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/pki"
)

// TestAPIClientCertificates serves the API over TLS and accepts operator
// client certificates alongside bearer tokens: identity from the
// certificate, scopes from auth.cert_scopes.
func TestAPIClientCertificates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(dir, "data")
	ca, err := pki.Init(cfg.PKIDir(), "test")
	if err != nil {
		t.Fatal(err)
	}
	issue := func(ca *pki.CA, name string) tls.Certificate {
		c, err := ca.Issue(name, pki.IssueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	issue(ca, "api")
	alice, mallory := issue(ca, "alice"), issue(ca, "mallory")
	other, err := pki.Init(filepath.Join(dir, "other"), "evil")
	if err != nil {
		t.Fatal(err)
	}
	foreign := issue(other, "alice")
	cfg.Auth.TLSCert, cfg.Auth.TLSKey = pki.CertPath(cfg.PKIDir(), "api"), pki.KeyPath(cfg.PKIDir(), "api")
	cfg.Auth.ClientCA = pki.CertPath(cfg.PKIDir(), "ca")
	cfg.Auth.CertScopes = "alice=intents:read"

	a, err := New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var seen auth.Principal
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen, _ = auth.FromContext(r.Context()) })
	a.Mount([]auth.Route{
		{Pattern: "GET /v1/things", Scope: auth.IntentsRead, Handler: ok},
		{Pattern: "POST /v1/things", Scope: auth.IntentsWrite, Handler: ok},
	})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stop(); <-done }()
	addr, err := a.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := auth.ReadSecretFile(cfg.AdminTokenPath())
	if err != nil {
		t.Fatal(err)
	}
	call := func(cert *tls.Certificate, token, method string) (int, error) {
		tc := &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}
		if cert != nil {
			tc.Certificates = []tls.Certificate{*cert}
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
		defer c.CloseIdleConnections()
		req, _ := http.NewRequest(method, "https://"+addr+"/v1/things", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	tests := []struct {
		name    string
		cert    *tls.Certificate
		token   string
		method  string
		want    int
		wantErr bool
	}{
		{"certificate with the scope", &alice, "", "GET", 200, false},
		{"certificate without the scope", &alice, "", "POST", 403, false},
		{"certificate of an identity not configured", &mallory, "", "GET", 403, false},
		// Go's client does not even offer a certificate the server's CA
		// list excludes: the request arrives without one.
		{"certificate of another CA", &foreign, "", "GET", 401, true},
		{"nothing", nil, "", "GET", 401, false},
		{"bearer token over TLS", nil, admin, "POST", 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := call(tt.cert, tt.token, tt.method)
			if tt.wantErr {
				if err == nil && code != tt.want {
					t.Fatalf("status %d, want the connection refused or %d", code, tt.want)
				}
				return
			}
			if err != nil || code != tt.want {
				t.Fatalf("status %d, %v; want %d", code, err, tt.want)
			}
		})
	}
	if _, err := call(&alice, "", "GET"); err != nil || seen.Subject != "alice" || seen.Via != "mtls" {
		t.Errorf("principal %+v, %v; want alice by mtls", seen, err)
	}
}
