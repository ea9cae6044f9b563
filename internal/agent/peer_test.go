package agent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/pki"
)

// TestPeerMutualTLS runs the agent's peer listener and calls it as other
// agents would: only a current certificate of the agent's CA naming an
// admitted agent, over TLS 1.3, gets in.
func TestPeerMutualTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Peer.Listen = "127.0.0.1:0"
	cfg.Peer.Name = "a1"
	cfg.Peer.Allow = "b1,b2"

	ca, err := pki.Init(cfg.PKIDir(), "test")
	if err != nil {
		t.Fatal(err)
	}
	issue := func(ca *pki.CA, name string, o pki.IssueOptions) tls.Certificate {
		c, err := ca.Issue(name, o)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	issue(ca, "a1", pki.IssueOptions{})
	good := issue(ca, "b1", pki.IssueOptions{})
	expired := issue(ca, "b2", pki.IssueOptions{NotBefore: time.Now().Add(-48 * time.Hour), Validity: 24 * time.Hour})
	otherName := issue(ca, "c1", pki.IssueOptions{})
	other, err := pki.Init(filepath.Join(dir, "other-ca"), "evil")
	if err != nil {
		t.Fatal(err)
	}
	foreign := issue(other, "b1", pki.IssueOptions{})

	a, err := New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var seen auth.Principal
	if err := a.MountPeer([]auth.Route{
		{Pattern: "POST /v1/txn/{id}/prepare", Scope: auth.TxnParticipate, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen, _ = auth.FromContext(r.Context())
			_ = json.NewEncoder(w).Encode(map[string]string{"vote": "yes"})
		})},
		{Pattern: "POST /v1/admin", Scope: auth.Admin, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})},
	}); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	addr, err := a.PeerAddr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.PeerRoutes(); len(got) != 2 {
		t.Errorf("PeerRoutes = %d routes, want 2", len(got))
	}

	_, opWithTxn, err := a.Tokens().Create("alice", []auth.Scope{auth.TxnParticipate, auth.IntentsWrite}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, opWithout, err := a.Tokens().Create("bob", []auth.Scope{auth.IntentsRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var bearer string
	post := func(cert *tls.Certificate, maxVersion uint16, path string) (int, error) {
		tc := pki.ClientConfig(tls.Certificate{}, ca.Pool(), "a1")
		tc.Certificates = nil
		if cert != nil {
			tc.Certificates = []tls.Certificate{*cert}
		}
		if maxVersion != 0 {
			tc.MinVersion, tc.MaxVersion = tls.VersionTLS12, maxVersion
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
		defer c.CloseIdleConnections()
		req, _ := http.NewRequest(http.MethodPost, "https://"+addr+path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
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
		maxTLS  uint16
		path    string
		want    int // 0: the handshake must fail
		wantErr bool
	}{
		{"admitted agent", &good, 0, "/v1/txn/t1/prepare", http.StatusOK, false},
		{"admitted agent, scope it lacks", &good, 0, "/v1/admin", http.StatusForbidden, false},
		{"certificate of another CA", &foreign, 0, "/v1/txn/t1/prepare", 0, true},
		{"expired certificate", &expired, 0, "/v1/txn/t1/prepare", 0, true},
		{"certificate for another agent name", &otherName, 0, "/v1/txn/t1/prepare", http.StatusForbidden, false},
		{"TLS 1.2", &good, tls.VersionTLS12, "/v1/txn/t1/prepare", 0, true},
		{"no client certificate", nil, 0, "/v1/txn/t1/prepare", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := post(tt.cert, tt.maxTLS, tt.path)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("status %d, want the connection refused", code)
				}
				return
			}
			if err != nil || code != tt.want {
				t.Fatalf("status %d, %v; want %d", code, err, tt.want)
			}
		})
	}
	if seen.Subject != "b1" || seen.Via != "mtls" || seen.Kind != "agent" || !seen.Has(auth.TxnParticipate) || seen.Has(auth.IntentsWrite) {
		t.Errorf("principal of the admitted peer = %+v, want agent b1 over mtls with txn:participate only", seen)
	}

	// An agent acting for an operator: the certificate and the operator's
	// token together, scopes narrowed to what both may do.
	bearer = opWithTxn
	if code, err := post(&good, 0, "/v1/txn/t1/prepare"); err != nil || code != http.StatusOK {
		t.Fatalf("b1 for alice: %d, %v; want 200", code, err)
	}
	if seen.String() != "b1 for alice" || seen.Has(auth.IntentsWrite) {
		t.Errorf("principal %q with scopes %v, want \"b1 for alice\" without intents:write", seen.String(), seen.Scopes)
	}
	bearer = opWithout
	if code, err := post(&good, 0, "/v1/txn/t1/prepare"); err != nil || code != http.StatusForbidden {
		t.Errorf("b1 for bob (who lacks txn:participate): %d, %v; want 403: an agent never widens its operator's scopes", code, err)
	}
	bearer = ""

	// The caller checks the server too: dialling a1's address while
	// expecting agent z9 is refused.
	tc := pki.ClientConfig(good, ca.Pool(), "z9")
	conn, err := tls.Dial("tcp", addr, tc)
	if err == nil {
		conn.Close()
		t.Fatal("a client expecting agent z9 accepted a1's certificate")
	}
	if !errors.Is(err, pki.ErrWrongPeer) {
		t.Errorf("dial error %v, want ErrWrongPeer", err)
	}
}
