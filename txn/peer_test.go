package txn_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/pki"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/txn/event"
	"github.com/netagent/netagent/yang"
)

var (
	spines = []string{"spine1", "spine2"}
	leaves = []string{"leaf1", "leaf2", "leaf3", "leaf4"}
)

// peerAgent is one agent of a two-agent test: its coordinator over its own
// pool and store, the peer router, and its peer listener (mutual TLS, the
// auth layer granting txn:participate to agents a and b).
type peerAgent struct {
	*env
	name   string
	peers  *txn.Peers
	server *txn.PeerServer
	srv    *httptest.Server
	url    string
}

// pkiFiles is a test CA with agent certificates a, b (admitted with
// txn:participate) and c (admitted without it).
type pkiFiles struct {
	ca    *pki.CA
	roots *x509.CertPool
	certs map[string]tls.Certificate
}

func newPKI(t *testing.T) *pkiFiles {
	t.Helper()
	ca, err := pki.Init(filepath.Join(t.TempDir(), "pki"), "test")
	if err != nil {
		t.Fatal(err)
	}
	p := &pkiFiles{ca: ca, roots: ca.Pool(), certs: map[string]tls.Certificate{}}
	for _, n := range []string{"a", "b", "c"} {
		c, err := ca.Issue(n, pki.IssueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p.certs[n] = c
	}
	return p
}

// client calls peer as agent name over mutual TLS.
func (p *pkiFiles) client(name, peer string) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: pki.ClientConfig(p.certs[name], p.roots, peer)}}
}

// peerPair starts agent a (owning the spines) and agent b (owning the
// leaves) over one lab. route, if set, rewrites the address a calls b at
// (a proxy in between).
func peerPair(t *testing.T, l *lab.Lab, p *pkiFiles, cfgA txn.Config, route func(string) string) (a, b *peerAgent) {
	t.Helper()
	return peerPairFirst(t, l, p, cfgA, route, false)
}

// peerPairFirst is peerPair; with bFirst a's peer entry for b says First
// (b's part runs as a stage before a's).
func peerPairFirst(t *testing.T, l *lab.Lab, p *pkiFiles, cfgA txn.Config, route func(string) string, bFirst bool) (a, b *peerAgent) {
	t.Helper()
	policy := func(id auth.CertIdentity) ([]auth.Scope, bool) {
		switch id.Name {
		case "a", "b":
			return []auth.Scope{auth.TxnParticipate}, id.Kind == "agent"
		case "c":
			return []auth.Scope{auth.DevicesRead}, id.Kind == "agent"
		}
		return nil, false
	}
	layer, err := auth.NewLayer(auth.WithClientCerts(policy), auth.WithRealm("netagent-peer"))
	if err != nil {
		t.Fatal(err)
	}
	a, b = &peerAgent{name: "a"}, &peerAgent{name: "b"}
	for _, x := range []*peerAgent{a, b} {
		x.srv = httptest.NewUnstartedServer(nil)
		x.srv.TLS = pki.ServerConfig(p.certs[x.name], p.roots)
		x.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		x.url = "https://" + x.srv.Listener.Addr().String()
	}
	bURL := b.url
	if route != nil {
		bURL = route(b.url)
	}
	labels := map[string]map[string]string{}
	for _, d := range leafSpine {
		role := "leaf"
		if strings.HasPrefix(d, "spine") {
			role = "spine"
		}
		labels[d] = map[string]string{"role": role}
	}
	for _, x := range []struct {
		ag      *peerAgent
		cfg     txn.Config
		other   string
		url     string
		otherLs map[string]string
	}{
		{a, cfgA, "b", bURL, map[string]string{"role": "leaf"}},
		{b, txn.Config{}, "a", a.url, map[string]string{"role": "spine"}},
	} {
		ag := x.ag
		ag.env = newEnv(t, l, txn.Config{})
		peers, err := txn.NewPeers(txn.PeersConfig{Self: ag.name, Local: poolDevices{ag.pool}, Labels: labels, Timeout: 3 * time.Second,
			Peers: []txn.PeerSpec{{Name: x.other, URL: x.url, Labels: x.otherLs, First: bFirst && ag == a}},
			TLS:   func(n string) *tls.Config { return pki.ClientConfig(p.certs[ag.name], p.roots, n) }})
		if err != nil {
			t.Fatal(err)
		}
		ag.peers = peers
		cfg := x.cfg
		cfg.Store, cfg.Devices = ag.db, peers
		if cfg.RollbackTimeout == 0 {
			cfg.RollbackTimeout = 5 * time.Second
		}
		if ag.coord, err = txn.New(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		if ag.server, err = ag.coord.NewPeerServer(txn.PeerServerConfig{Agent: ag.name, Decision: peers.Decision,
			Owns: func(d string) bool { return slices.Contains(leafSpine, d) && peers.Owns(d) }}); err != nil {
			t.Fatal(err)
		}
		ag.srv.Config.Handler = layer.Handler(ag.server.Routes())
		ag.srv.StartTLS()
		t.Cleanup(func() { ag.server.Close(); ag.srv.Close(); peers.Close() })
	}
	return a, b
}

// TestPeerCrossDomain runs one transaction from agent a over the spines (its
// own) and the leaves (agent b's, driven over the peer API with mutual
// TLS): every device holds the change, b saw only its leaves, and a lists b
// as up.
func TestPeerCrossDomain(t *testing.T) {
	l := startLab(t, topologies.LeafSpine)
	p := newPKI(t)
	a, b := peerPair(t, l, p, txn.Config{}, nil)
	if h := a.peers.Health(context.Background(), 5*time.Second); len(h) != 1 || h[0].Name != "b" || h[0].Health != "up" || !slices.Equal(h[0].Devices, leaves) {
		t.Fatalf("a's peers: %+v", h)
	}
	req := request(t, l, leafSpine, testPrefix)
	req.Options.ConfirmTimeout = 10 * time.Second
	// b's progress stream for the transaction: only its leaves, ending
	// with its outcome.
	var bEvents []txn.Event
	var bDone sync.WaitGroup
	req.ID = txn.NewID()
	bDone.Add(1)
	go func() {
		defer bDone.Done()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			ok, _ := b.coord.Follow(context.Background(), req.ID, 0, func(e txn.Event) error { bEvents = append(bEvents, e); return nil })
			if ok {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	res, err := a.coord.Run(context.Background(), req)
	if err != nil {
		t.Fatalf("run: %v (%+v)", err, res)
	}
	for _, d := range res.Devices {
		if d.Outcome != txn.OutcomeConfirmed {
			t.Errorf("%s: %s (%v)", d.Device, d.Outcome, d.Error)
		}
	}
	if d, _ := res.Device("leaf4"); d.UndoBy != txn.UndoByInverse {
		t.Errorf("leaf4 (CLI at b) undo by %q, want %q", d.UndoBy, txn.UndoByInverse)
	}
	if d, _ := res.Device("leaf1"); d.UndoBy != txn.UndoByTimer {
		t.Errorf("leaf1 (NETCONF at b) undo by %q, want %q", d.UndoBy, txn.UndoByTimer)
	}
	if n := allOrNothing(t, l, leafSpine, testPrefix); n != len(leafSpine) {
		t.Fatalf("%d devices hold the route, want all", n)
	}
	bDone.Wait()
	if len(bEvents) == 0 || bEvents[len(bEvents)-1].Type != "outcome" || bEvents[len(bEvents)-1].State != txn.StateConfirmed {
		t.Fatalf("b's events: %+v", bEvents)
	}
	for _, e := range bEvents {
		if e.Device != "" && !slices.Contains(leaves, e.Device) {
			t.Errorf("b saw device %s, which a owns", e.Device)
		}
	}
	// The same stream over b's peer API (SSE, mutual TLS): it ends with
	// b's outcome.
	resp, err := p.client("a", "b").Get(b.url + "/v1/peer/txns/" + req.ID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	var last txn.Event
	if err := txn.ReadEvents(resp.Body, func(e txn.Event) error { last = e; return nil }); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if last.Type != "outcome" || last.State != txn.StateConfirmed || last.Result == nil || len(last.Result.Devices) != len(leaves) {
		t.Fatalf("b's peer event stream ended with %+v", last)
	}
	// Planning at a sees what b says leaf4's platform (FRR, CLI) cannot
	// set, as for a device of its own.
	dev, err := a.peers.Device(context.Background(), "leaf4")
	if err != nil {
		t.Fatal(err)
	}
	lim, ok := dev.(interface{ Unsupported() map[string]string })
	if !ok || lim.Unsupported()["/interfaces/interface/config/mtu"] == "" {
		t.Errorf("leaf4 through b: unsupported %v, want the FRR mtu limit", dev.(adapters.Capabler).Capabilities().Unsupported)
	}
	// b's writer slots are free again: a second transaction runs.
	req2 := request(t, l, leafSpine, "198.51.101.0/24")
	if _, err := a.coord.Run(context.Background(), req2); err != nil {
		t.Fatalf("second run: %v", err)
	}
}

// TestPeerPartFirst: with a's peer entry for b saying first, b's leaves
// are a stage of their own that prepares and commits before a's spines
// (the write-ahead log's steps, in order); without it, one stage for all
// six. Either way every device holds the change.
func TestPeerPartFirst(t *testing.T) {
	l := startLab(t, topologies.LeafSpine)
	p := newPKI(t)
	for _, first := range []bool{true, false} {
		var mu sync.Mutex
		var steps []string
		a, _ := peerPairFirst(t, l, p, txn.Config{AfterStep: func(id string, s txn.Step, stage string) {
			if s == txn.StepPrepare || s == txn.StepCommit {
				mu.Lock()
				steps = append(steps, string(s)+" "+stage)
				mu.Unlock()
			}
		}}, nil, first)
		prefix := "198.51.120.0/24"
		if !first {
			prefix = "198.51.121.0/24"
		}
		req := request(t, l, leafSpine, prefix)
		req.Options.ConfirmTimeout = 10 * time.Second
		res, err := a.coord.Run(context.Background(), req)
		if err != nil {
			t.Fatalf("first=%v: run: %v (%+v)", first, err, res)
		}
		want := []string{"prepare peer:b", "prepare ", "commit peer:b", "commit "}
		if !first {
			want = []string{"prepare ", "commit "}
		}
		mu.Lock()
		if !slices.Equal(steps, want) {
			t.Errorf("first=%v: steps %q, want %q", first, steps, want)
		}
		mu.Unlock()
		for _, d := range res.Devices {
			wantStage := ""
			if first && strings.HasPrefix(d.Device, "leaf") {
				wantStage = txn.PeerStage("b")
			}
			if d.Stage != wantStage {
				t.Errorf("first=%v: %s in stage %q, want %q", first, d.Device, d.Stage, wantStage)
			}
		}
		if n := allOrNothing(t, l, leafSpine, prefix); n != len(leafSpine) {
			t.Fatalf("first=%v: %d devices hold the route, want all", first, n)
		}
	}
}

// TestPeerRejectRollsBackEverywhere has one of b's leaves refuse the
// commit: a rolls back its spines and has b roll back the other leaves;
// no device holds the change.
func TestPeerRejectRollsBackEverywhere(t *testing.T) {
	l := startLab(t, topologies.LeafSpine)
	p := newPKI(t)
	var once sync.Once
	a, _ := peerPair(t, l, p, txn.Config{AfterStep: func(id string, s txn.Step, stage string) {
		if s == txn.StepCommit {
			once.Do(func() {
				if err := l.InjectFault("leaf2", fault.Fault{Kind: fault.RejectCommit, ErrorTag: "operation-failed", Message: "commit refused by test"}); err != nil {
					t.Error(err)
				}
			})
		}
	}}, nil)
	req := request(t, l, leafSpine, testPrefix)
	req.Options.ConfirmTimeout = 4 * time.Second
	res, err := a.coord.Run(context.Background(), req)
	if !errors.Is(err, txn.ErrRolledBack) {
		t.Fatalf("run: %v, want rolled back (%+v)", err, res)
	}
	if _, err := l.ClearFaults("leaf2", "", ""); err != nil {
		t.Fatal(err)
	}
	if n := allOrNothing(t, l, leafSpine, testPrefix); n != 0 {
		t.Fatalf("%d devices hold the route, want none", n)
	}
}

// TestPeerAPIBadInput calls b's peer API as a coordinator would, wrongly:
// each call is refused with a problem naming why, and no device changes.
func TestPeerAPIBadInput(t *testing.T) {
	l := startLab(t, topologies.LeafSpine)
	p := newPKI(t)
	_, b := peerPair(t, l, p, txn.Config{}, nil)
	before := running(t, l)
	asA, asC := p.client("a", "b"), p.client("c", "b")
	change := func(dev string) json.RawMessage {
		part := routeChange(t, l, dev, testPrefix, "192.0.2.1")
		raw, _ := json.Marshal(map[string]any{"devices": []any{map[string]any{"device": dev, "changes": txn.EncodeChanges(part.Changes)}}, "confirm_timeout_ms": 3000})
		return raw
	}
	names := func(devs ...string) json.RawMessage {
		var ds []any
		for _, d := range devs {
			ds = append(ds, map[string]string{"device": d})
		}
		raw, _ := json.Marshal(map[string]any{"devices": ds})
		return raw
	}
	// A transaction b holds, prepared on leaf1 only, for the order cases.
	if code, body := call(t, asA, b.url+"/v1/peer/txns/tx-held/prepare", change("leaf1")); code != http.StatusOK {
		t.Fatalf("prepare tx-held: %d %s", code, body)
	}
	cases := []struct {
		name       string
		client     *http.Client
		path       string
		body       []byte
		status     int
		typ, names string
	}{
		{"unknown transaction", asA, "/v1/peer/txns/tx-never/commit", names("leaf1"), 404, "/problems/unknown-transaction", "tx-never"},
		{"unknown transaction status", asA, "/v1/peer/txns/tx-never", nil, 404, "/problems/unknown-transaction", "tx-never"},
		{"device not owned", asA, "/v1/peer/txns/tx-own/prepare", change("spine1"), 403, "/problems/not-owner", "spine1"},
		{"one of the devices not owned", asA, "/v1/peer/txns/tx-own2/prepare", []byte(`{"devices":[{"device":"leaf2","changes":[{"op":"create","path":"/network-instances/network-instance[name=default]"}]},{"device":"spine2","changes":[{"op":"create","path":"/network-instances/network-instance[name=default]"}]}]}`), 403, "/problems/not-owner", "spine2"},
		{"unknown device", asA, "/v1/peer/txns/tx-own3/commit", names("nosuch"), 403, "/problems/not-owner", "nosuch"},
		{"replayed prepare", asA, "/v1/peer/txns/tx-held/prepare", change("leaf1"), 409, "/problems/phase-order", "replayed prepare"},
		{"confirm before commit", asA, "/v1/peer/txns/tx-held/confirm", names("leaf1"), 409, "/problems/phase-order", "not committed"},
		{"commit of a device never prepared", asA, "/v1/peer/txns/tx-held/commit", names("leaf2"), 409, "/problems/phase-order", "leaf2 was not prepared"},
		{"malformed json", asA, "/v1/peer/txns/tx-bad/prepare", []byte(`{"devices":[`), 400, "/problems/malformed-request", "unexpected EOF"},
		{"unknown field", asA, "/v1/peer/txns/tx-bad/prepare", []byte(`{"devices":[],"force":true}`), 400, "/problems/malformed-request", "force"},
		{"no devices", asA, "/v1/peer/txns/tx-bad/prepare", []byte(`{"devices":[]}`), 400, "/problems/malformed-request", "at least one device"},
		{"bad change path", asA, "/v1/peer/txns/tx-bad/prepare", []byte(`{"devices":[{"device":"leaf1","changes":[{"op":"update","path":"/nope","new":"1"}]}]}`), 400, "/problems/malformed-request", "/nope"},
		{"bad op", asA, "/v1/peer/txns/tx-bad/prepare", []byte(`{"devices":[{"device":"leaf1","changes":[{"op":"merge","path":"/network-instances/network-instance[name=default]"}]}]}`), 400, "/problems/malformed-request", "merge"},
		{"trailing data", asA, "/v1/peer/txns/tx-bad/commit", []byte(`{"devices":[{"device":"leaf1"}]} {}`), 400, "/problems/malformed-request", "trailing"},
		{"bad transaction id", asA, "/v1/peer/txns/..%2f/commit", names("leaf1"), 400, "/problems/malformed-request", "not a transaction id"},
		{"peer without txn:participate", asC, "/v1/peer/txns/tx-c/prepare", change("leaf2"), 403, "/problems/forbidden", "txn:participate"},
		{"peer without txn:participate reads", asC, "/v1/peer/devices/leaf1/config", nil, 403, "/problems/forbidden", "txn:participate"},
		{"pending: unknown action", asA, "/v1/peer/devices/leaf1/pending", []byte(`{"txn":"tx-held","action":"undo"}`), 400, "/problems/malformed-request", "undo"},
		{"pending: bad transaction id", asA, "/v1/peer/devices/leaf1/pending", []byte(`{"txn":"../x","action":"cancel"}`), 400, "/problems/malformed-request", "not a transaction id"},
		{"pending: unknown field", asA, "/v1/peer/devices/leaf1/pending", []byte(`{"txn":"tx-held","action":"cancel","force":1}`), 400, "/problems/malformed-request", "force"},
		{"pending: device not owned", asA, "/v1/peer/devices/spine1/pending", []byte(`{"txn":"tx-held","action":"confirm"}`), 403, "/problems/not-owner", "spine1"},
		{"pending: confirm of a device only prepared", asA, "/v1/peer/devices/leaf1/pending", []byte(`{"txn":"tx-held","action":"confirm"}`), 409, "/problems/phase-order", "only prepared"},
		{"pending: nothing pending", asA, "/v1/peer/devices/leaf2/pending", []byte(`{"txn":"tx-never","action":"confirm"}`), 409, "/problems/nothing-pending", "leaf2"},
		{"pending: a device without confirm timer", asA, "/v1/peer/devices/leaf4/pending", []byte(`{"txn":"tx-never","action":"cancel"}`), 422, "/problems/unsupported", "leaf4"},
		{"pending: peer without txn:participate", asC, "/v1/peer/devices/leaf2/pending", []byte(`{"txn":"tx-never","action":"cancel"}`), 403, "/problems/forbidden", "txn:participate"},
		{"configure a device not owned", asA, "/v1/peer/devices/spine1/configure", []byte(`{"changes":[{"op":"create","path":"/network-instances/network-instance[name=default]"}]}`), 403, "/problems/not-owner", "spine1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var code int
			var body []byte
			var ctype string
			if tc.body == nil {
				code, body, ctype = get(t, tc.client, b.url+tc.path)
			} else {
				code, body, ctype = post(t, tc.client, b.url+tc.path, tc.body)
			}
			if code != tc.status || ctype != "application/problem+json" {
				t.Fatalf("%d %s %s, want %d problem+json", code, ctype, body, tc.status)
			}
			var prob struct {
				Type   string `json:"type"`
				Detail string `json:"detail"`
				Title  string `json:"title"`
			}
			if err := json.Unmarshal(body, &prob); err != nil {
				t.Fatal(err)
			}
			if prob.Type != tc.typ || !strings.Contains(string(body), tc.names) {
				t.Fatalf("problem %s, want type %s naming %q", body, tc.typ, tc.names)
			}
		})
	}
	// Abort the held one (and, idempotently, one never seen).
	for _, id := range []string{"tx-held", "tx-never"} {
		if code, body := call(t, asA, b.url+"/v1/peer/txns/"+id+"/abort", names("leaf1")); code != http.StatusOK {
			t.Fatalf("abort %s: %d %s", id, code, body)
		}
	}
	after := running(t, l)
	for d, cfg := range before {
		if !after[d].Equal(cfg) {
			t.Errorf("%s changed:\nbefore %s\nafter %s", d, cfg, after[d])
		}
	}
	// The refused prepare of leaf2 by c took no writer slot: a prepares it.
	if code, body := call(t, asA, b.url+"/v1/peer/txns/tx-after/prepare", change("leaf2")); code != http.StatusOK {
		t.Fatalf("prepare after the refusals: %d %s", code, body)
	}
	if code, body := call(t, asA, b.url+"/v1/peer/txns/tx-after/abort", names("leaf2")); code != http.StatusOK {
		t.Fatalf("abort: %d %s", code, body)
	}
}

// TestPeerNetworkHangs makes the network between a and b hang once b's
// leaves are committed (a's read-back gets no answer): a rolls back its
// spines, b, its coordinator silent past the confirm timer, asks a for the
// decision, finds none and rolls its leaves back (the CLI leaf, which has
// no timer, by the inverse). Every device ends without the change. make
// chaos runs it -chaos times, a fresh pair of agents each, with the
// summary table (recovery: from the hang until no device holds the
// change).
func TestPeerNetworkHangs(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for confirm timers and leases; skipped with -short")
	}
	l := startLab(t, topologies.LeafSpine)
	p := newPKI(t)
	const name = "network to the participant hangs"
	stats := newChaosStats()
	for run := 0; run < *chaosRuns; run++ {
		ok := false
		var rec time.Duration
		t.Run(fmt.Sprintf("run-%d", run+1), func(t *testing.T) {
			rec = peerHangOnce(t, l, p, fmt.Sprintf("198.51.%d.0/24", 150+run%100))
			ok = !t.Failed()
		})
		stats.add(name, ok, rec)
		if !ok {
			break
		}
	}
	if *chaosRuns > 1 {
		stats.print(os.Stdout, "peer network case", []string{name})
	}
}

func peerHangOnce(t *testing.T, l *lab.Lab, p *pkiFiles, prefix string) time.Duration {
	proxy := newHangProxy(t)
	var once sync.Once
	heldAtHang := 0
	var hungAt time.Time
	a, _ := peerPair(t, l, p, txn.Config{AfterStep: func(id string, s txn.Step, stage string) {
		if s == txn.StepVerify {
			once.Do(func() {
				for _, d := range leaves {
					if hasRoute(t, l, d, prefix) {
						heldAtHang++
					}
				}
				hungAt = time.Now()
				proxy.hang()
			})
		}
	}}, proxy.route)
	req := request(t, l, leafSpine, prefix)
	req.Options.ConfirmTimeout = 3 * time.Second
	res, err := a.coord.Run(context.Background(), req)
	if err == nil {
		t.Fatalf("run confirmed through a hung network: %+v", res)
	}
	if heldAtHang != len(leaves) {
		t.Fatalf("%d of b's leaves were committed when the network hung, want all", heldAtHang)
	}
	for _, d := range spines {
		if hasRoute(t, l, d, prefix) {
			t.Errorf("%s (a's) holds the change", d)
		}
	}
	// b ends its part by itself: wait for it (the lease is the confirm
	// timer plus a margin).
	deadline := time.Now().Add(60 * time.Second)
	for {
		n := 0
		for _, d := range leafSpine {
			if hasRoute(t, l, d, prefix) {
				n++
			}
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d devices still hold the change a minute after the hang (a's outcome %s: %s)", n, res.State, res.Reason)
		}
		time.Sleep(100 * time.Millisecond)
	}
	rec := time.Since(hungAt)
	allOrNothing(t, l, leafSpine, prefix)
	return rec
}

// hangProxy forwards TCP to a target until hang is called; from then on
// it holds every connection open and passes nothing.
type hangProxy struct {
	ln     net.Listener
	target atomic.Value
	hung   atomic.Bool
	closed atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newHangProxy(t *testing.T) *hangProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &hangProxy{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		p.closed.Store(true)
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.track(c)
			wg.Go(func() { p.serve(c) })
		}
	})
	return p
}

func (p *hangProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

func (p *hangProxy) route(u string) string {
	p.target.Store(strings.TrimPrefix(u, "https://"))
	return "https://" + p.ln.Addr().String()
}

func (p *hangProxy) hang() { p.hung.Store(true) }

func (p *hangProxy) serve(c net.Conn) {
	defer c.Close()
	up, err := net.Dial("tcp", p.target.Load().(string))
	if err != nil {
		return
	}
	p.track(up)
	defer up.Close()
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if err != nil {
				dst.Close()
				src.Close()
				return
			}
			for p.hung.Load() && !p.closed.Load() {
				// Hold the bytes: the network is hung until cleanup.
				time.Sleep(50 * time.Millisecond)
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { pipe(up, c) })
	pipe(c, up)
	wg.Wait()
}

func running(t *testing.T, l *lab.Lab) map[string]*yang.Tree {
	t.Helper()
	out := map[string]*yang.Tree{}
	for _, d := range leafSpine {
		cur, err := l.Running(d)
		if err != nil {
			t.Fatal(err)
		}
		out[d] = cur
	}
	return out
}

func call(t *testing.T, c *http.Client, url string, body []byte) (int, string) {
	code, b, _ := post(t, c, url, body)
	return code, string(b)
}

func post(t *testing.T, c *http.Client, url string, body []byte) (int, []byte, string) {
	t.Helper()
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header.Get("Content-Type")
}

func get(t *testing.T, c *http.Client, url string) (int, []byte, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header.Get("Content-Type")
}

// TestPeerEventsVerified has agent a follow peer b's signed events over
// mutual TLS while b's stream carries, between two good events, the first
// one again (a replay), a tampered one, and one signed by agent c: a adds
// only the two good ones.
func TestPeerEventsVerified(t *testing.T) {
	p := newPKI(t)
	signer := func(name string) *event.Signer {
		c := p.certs[name]
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		s, err := event.NewSigner(c.PrivateKey.(crypto.Signer), []*x509.Certificate{leaf})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	sb, sc := signer("b"), signer("c")
	sign := func(s *event.Signer, typ string) *event.Signed {
		m, err := s.Sign(typ, "txn/tx-1", map[string]any{"device": "leaf1"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	good1 := sign(sb, event.TypeTxnProgress)
	tampered := sign(sb, event.TypeTxnProgress)
	tampered.Envelope = bytes.Replace(tampered.Envelope, []byte("leaf1"), []byte("leaf9"), 1)
	forged := sign(sc, event.TypeTxnProgress)
	good2 := sign(sb, event.TypeTxnOutcome)
	stream := []*event.Signed{good1, good1, tampered, forged, good2}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i, m := range stream {
			b, _ := json.Marshal(m)
			fmt.Fprintf(w, "id: %d\ndata: %s\n\n", i+1, b)
		}
	}))
	srv.TLS = pki.ServerConfig(p.certs["b"], p.roots)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	peers, err := txn.NewPeers(txn.PeersConfig{Self: "a", Peers: []txn.PeerSpec{{Name: "b", URL: srv.URL, Devices: []string{"leaf1"}}},
		TLS: func(n string) *tls.Config { return pki.ClientConfig(p.certs["a"], p.roots, n) }})
	if err != nil {
		t.Fatal(err)
	}
	defer peers.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	var added []string
	done := make(chan error, 1)
	go func() {
		done <- peers.FollowEvents(ctx, &event.Verifier{Roots: p.roots}, func(m *event.Signed, env *event.Envelope) {
			mu.Lock()
			defer mu.Unlock()
			added = append(added, fmt.Sprintf("%s/%s/%d", env.Source, env.Type, env.Seq))
			if env.Type == event.TypeTxnOutcome {
				cancel()
			}
		}, nil)
	}()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"b/txn.progress/1", "b/txn.outcome/3"}; !slices.Equal(added, want) {
		t.Fatalf("added %v, want %v", added, want)
	}
}
