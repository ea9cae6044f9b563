package fleet_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
)

// syncBuffer is a log sink safe for the service's goroutines.
type syncBuffer struct {
	mu sync.Mutex // protects following fields
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDeviceErrorsReachTheCaller: a plan whose device read fails answers
// problem+json 502 naming the device, the phase and the reason (wrong
// password, changed host key, device down) instead of 500; a submitted
// intent with a wrong password or a refused host key fails at once with
// the fix in its reason, without planning retries; messages do not repeat
// themselves.
func TestDeviceErrorsReachTheCaller(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the lab")
	}
	tp, err := topo.Parse(topologies.TwoNode)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(context.Background(), tp, lab.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })

	// Copies of the lab's inventory: one with a wrong password, one whose
	// known_hosts holds another key for every device.
	inv, err := os.ReadFile(l.InventoryPath())
	if err != nil {
		t.Fatal(err)
	}
	wrongPassword := filepath.Join(l.Dir(), "inventory-wrong-password.yml")
	if err := os.WriteFile(filepath.Join(l.Dir(), "credentials", "wrong.password"), []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrongPassword, bytes.ReplaceAll(inv, []byte("lab.password"), []byte("wrong.password")), 0o644); err != nil {
		t.Fatal(err)
	}
	kh, err := os.ReadFile(l.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	// Every host presents, as far as this file says, a key it does not have.
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	var other bytes.Buffer
	for _, line := range strings.Split(strings.TrimSpace(string(kh)), "\n") {
		host, _, _ := strings.Cut(line, " ")
		other.WriteString(host + " " + string(ssh.MarshalAuthorizedKey(sshPub)))
	}
	if err := os.WriteFile(filepath.Join(l.Dir(), "known_hosts.other"), other.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	hostKey := filepath.Join(l.Dir(), "inventory-host-key.yml")
	if err := os.WriteFile(hostKey, bytes.ReplaceAll(inv, []byte("known_hosts: known_hosts"), []byte("known_hosts: known_hosts.other")), 0o644); err != nil {
		t.Fatal(err)
	}

	const route = `{"kind":"static-route","targets":{"devices":["r2"]},"spec":{"prefix":"192.0.2.0/24","next_hops":[{"next_hop":"10.0.0.0"}]}}`
	cases := []struct {
		name      string
		inventory string
		fault     *fault.Fault
		status    int
		reason    string // in the problem's detail and the failed record
		fix       string // what the failed record tells the operator to do
	}{
		{"wrong password", wrongPassword, nil, http.StatusBadGateway, "authentication failed", "password file"},
		{"changed host key", hostKey, nil, http.StatusBadGateway, "host key", "known_hosts"},
		{"device down", l.InventoryPath(), &fault.Fault{Kind: fault.Down, Protocol: fault.CLI}, http.StatusBadGateway, "unreachable", ""},
		{"device hangs", l.InventoryPath(), &fault.Fault{Kind: fault.Hang, Protocol: fault.CLI}, http.StatusGatewayTimeout, "timed out", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault != nil {
				if err := l.InjectFault("r2", *tc.fault); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _, _ = l.ClearFaults("r2", tc.fault.Protocol, tc.fault.Kind) })
			}
			var logs syncBuffer
			svc, srv := startREST(t, tc.inventory, slog.New(slog.NewTextHandler(&logs, nil)))
			resp, err := http.Post(srv.URL+"/v1/intents:plan", "application/json", strings.NewReader(route))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var p struct {
				Status int    `json:"status"`
				Detail string `json:"detail"`
				Device string `json:"device"`
				Phase  string `json:"phase"`
			}
			if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("plan: %d %s %v %s, want %d problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), err, body, tc.status)
			}
			if p.Device != "r2" || p.Phase == "" || !strings.Contains(p.Detail, tc.reason) {
				t.Errorf("plan problem %+v does not name device r2, a phase and %q", p, tc.reason)
			}
			if n := len(regexp.MustCompile(`\br2\b`).FindAllString(p.Detail, -1)); n != 1 {
				t.Errorf("the detail repeats itself: %s", p.Detail)
			}
			if tc.fix == "" {
				return
			}
			// Submitted, it fails at once with the fix, without retries.
			rec, err := svc.Submit(context.Background(), []byte(route), intent.Source{Channel: "test"})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			got, err := svc.Wait(ctx, rec.ID, intent.StateFailed, intent.StateApplied)
			if err != nil || got.State != intent.StateFailed {
				t.Fatalf("submit: %v %v", err, got)
			}
			if !strings.Contains(got.Error, tc.reason) || !strings.Contains(got.Error, tc.fix) {
				t.Errorf("failed record's error %q does not say %q and the fix (%s)", got.Error, tc.reason, tc.fix)
			}
			if strings.Contains(logs.String(), "will be retried") {
				t.Errorf("planning was retried:\n%s", logs.String())
			}
		})
	}
}

// startREST starts a service over the inventory at invPath and its REST API.
func startREST(t *testing.T, invPath string, log *slog.Logger) (*intent.Service, *httptest.Server) {
	t.Helper()
	// Short timeouts, so a device that hangs answers 504 soon.
	svc, _ := startService(t, invPath, adapters.TargetOptions{Timeouts: adapters.Timeouts{Connect: 2 * time.Second, Auth: 2 * time.Second, RPC: 2 * time.Second}}, log)
	srv := httptest.NewServer(rest.New(svc, nil, log).Serve())
	t.Cleanup(srv.Close)
	return svc, srv
}

// TestPlanRefusesWhatThePlatformCannotDo: an MTU on FRR's CLI (which has
// no interface mtu command) is refused when planned, naming the device and
// the reason, instead of failing at apply; the same on r1 plans.
func TestPlanRefusesWhatThePlatformCannotDo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the lab")
	}
	tp, err := topo.Parse(topologies.TwoNode)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(context.Background(), tp, lab.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	_, srv := startREST(t, l.InventoryPath(), nil)
	post := func(body string) (int, []byte) {
		resp, err := http.Post(srv.URL+"/v1/intents:plan", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, body := post(`{"kind":"interface","targets":{"devices":["r2"]},"spec":{"name":"eth1","mtu":9000}}`)
	var p rest.Problem
	if err := json.Unmarshal(body, &p); err != nil || code != http.StatusUnprocessableEntity || len(p.Errors) != 1 {
		t.Fatalf("MTU on r2 (FRR CLI): %d %s, want 422 with one problem", code, body)
	}
	if e := p.Errors[0]; e.Pointer != "/spec/mtu" || !strings.Contains(e.Reason, "r2") || !strings.Contains(e.Reason, "mtu") || !strings.Contains(e.Reason, "FRR") {
		t.Errorf("problem %+v does not point at /spec/mtu naming r2, frr and the reason", e)
	}
	if code, body := post(`{"kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":9000}}`); code != http.StatusOK {
		t.Errorf("MTU on r1: %d %s", code, body)
	}
	if code, body := post(`{"kind":"interface","targets":{"devices":["r2"]},"spec":{"name":"eth1","description":"uplink"}}`); code != http.StatusOK {
		t.Errorf("description on r2: %d %s", code, body)
	}
}
