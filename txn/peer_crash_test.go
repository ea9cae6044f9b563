package txn_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/pki"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
)

// peerPolicy admits agents a and b with txn:participate, c without it.
func peerPolicy(id auth.CertIdentity) ([]auth.Scope, bool) {
	switch id.Name {
	case "a", "b":
		return []auth.Scope{auth.TxnParticipate}, id.Kind == "agent"
	case "c":
		return []auth.Scope{auth.DevicesRead}, id.Kind == "agent"
	}
	return nil, false
}

func leafSpineLabels() map[string]map[string]string {
	labels := map[string]map[string]string{}
	for _, d := range leafSpine {
		role := "leaf"
		if strings.HasPrefix(d, "spine") {
			role = "spine"
		}
		labels[d] = map[string]string{"role": role}
	}
	return labels
}

// runParticipant is the test binary as participant agent b (TXN_CHILD=
// participant): it owns the leaves of the lab, serves the peer API over
// mutual TLS at TXN_LISTEN with its certificate from TXN_PKI, asks agent a
// (TXN_COORDINATOR) for decisions, and, with TXN_KILL_DEVICE and
// TXN_KILL_PHASE, SIGKILLs itself when that phase reaches that device.
func runParticipant() error {
	ctx := context.Background()
	inv, err := adapters.LoadInventory(os.Getenv("TXN_INVENTORY"), adapters.LoadOptions{})
	if err != nil {
		return err
	}
	pool := adapters.NewPool(inv, registry(nil), adapters.TargetOptions{Timeouts: adapters.Timeouts{RPC: 3 * time.Second, Commit: 3 * time.Second}}, adapters.FailoverOptions{})
	db, err := store.Open(ctx, os.Getenv("TXN_DB"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		return err
	}
	dir := os.Getenv("TXN_PKI")
	cert, err := pki.LoadCert(dir, "b")
	if err != nil {
		return err
	}
	roots, err := pki.LoadPool(pki.CertPath(dir, "ca"))
	if err != nil {
		return err
	}
	var local txn.Devices = poolDevices{pool}
	if d := os.Getenv("TXN_KILL_DEVICE"); d != "" {
		local = dieAtPhase{pool: pool, device: d, phase: os.Getenv("TXN_KILL_PHASE")}
	}
	peers, err := txn.NewPeers(txn.PeersConfig{Self: "b", Local: local, Labels: leafSpineLabels(), Timeout: 3 * time.Second,
		Peers: []txn.PeerSpec{{Name: "a", URL: os.Getenv("TXN_COORDINATOR"), Labels: map[string]string{"role": "spine"}}},
		TLS:   func(n string) *tls.Config { return pki.ClientConfig(cert, roots, n) }})
	if err != nil {
		return err
	}
	c, err := txn.New(ctx, txn.Config{Store: db, Devices: peers, RollbackTimeout: 5 * time.Second})
	if err != nil {
		return err
	}
	ps, err := c.NewPeerServer(txn.PeerServerConfig{Agent: "b", Decision: peers.Decision, Log: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Owns: func(d string) bool { _, ok := inv.Device(d); return ok && peers.Owns(d) }})
	if err != nil {
		return err
	}
	layer, err := auth.NewLayer(auth.WithClientCerts(peerPolicy), auth.WithRealm("netagent-peer"))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", os.Getenv("TXN_LISTEN"))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: layer.Handler(ps.Routes()), TLSConfig: pki.ServerConfig(cert, roots), ErrorLog: log.New(io.Discard, "", 0)}
	return srv.ServeTLS(ln, "", "")
}

// dieAtPhase is the participant's pool, except that the phase named on
// device SIGKILLs the process: before the device does it (commit,
// confirm, abort, rollback), after the other devices of the call had a
// moment to do theirs.
type dieAtPhase struct {
	pool          *adapters.Pool
	device, phase string
}

type dyingDevice struct {
	*adapters.Failover
	phase string
}

func (d dyingDevice) at(phase string) {
	if d.phase != phase {
		return
	}
	time.Sleep(300 * time.Millisecond)
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

func (d dyingDevice) Commit(ctx context.Context, tx string, timeout time.Duration) error {
	d.at("commit")
	return d.Failover.Commit(ctx, tx, timeout)
}

func (d dyingDevice) Confirm(ctx context.Context, tx string) error {
	d.at("confirm")
	return d.Failover.Confirm(ctx, tx)
}

func (d dyingDevice) Abort(ctx context.Context, tx string) error {
	d.at("abort")
	return d.Failover.Abort(ctx, tx)
}

func (d dyingDevice) Rollback(ctx context.Context, tx string) error {
	d.at("rollback")
	return d.Failover.Rollback(ctx, tx)
}

func (k dieAtPhase) Device(ctx context.Context, name string) (adapters.Device, error) {
	d, err := k.pool.Device(ctx, name)
	if err != nil || name != k.device {
		return d, err
	}
	return dyingDevice{Failover: d, phase: k.phase}, nil
}

// peerKillCase is one row of the participant SIGKILL matrix: participant
// b (the leaves, its part a stage before a's spines) is killed at a step,
// restarted at once, and every device must end with all of the change or
// none of it.
type peerKillCase struct {
	name string
	// phase and device: b kills itself when the phase reaches the device.
	phase, device string
	// at and stage: agent a kills b after logging this step (of this stage).
	at    txn.Step
	stage string
	// badSpine: spine1's change is refused at prepare (a aborts);
	// rejectSpine: spine1 rejects its commit (a rolls back).
	badSpine, rejectSpine bool
	// want is "all", "none", or "" for either.
	want string
}

var peerKillMatrix = []peerKillCase{
	{name: "participant killed with its devices prepared", at: txn.StepPrepare, stage: "a", want: "none"},
	{name: "participant killed while committing", phase: "commit", device: "leaf2", want: "none"},
	{name: "participant killed with its devices committed", at: txn.StepVerify, want: ""},
	{name: "participant killed while confirming", phase: "confirm", device: "leaf1", want: "all"},
	{name: "participant killed while aborting", phase: "abort", device: "leaf2", badSpine: true, want: "none"},
	{name: "participant killed while rolling back", phase: "rollback", device: "leaf4", rejectSpine: true, want: "none"},
}

// TestParticipantSIGKILL runs agent a here and participant agent b in a
// separate process (the test binary, mutual TLS), b owning the leaves of
// the leaf-spine lab and its part a stage before a's spines. b is
// SIGKILLed at each step of its part (prepared, committing, committed,
// confirming, aborting, rolling back) and restarted at once, without its
// memory of the transaction; a drives the transaction to its outcome
// through the restarted b (which confirms or cancels what its devices hold
// under the transaction's persist-id), and every device's running
// configuration is read from the lab: all of the change or none of it.
func TestParticipantSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts participant processes; skipped with -short")
	}
	l := startLab(t, topologies.LeafSpine)
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	ca, err := pki.Init(pkiDir, "test")
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
	bAddr := freeAddr(t)
	a := coordinatorA(t, l, p, "https://"+bAddr, txn.Config{})
	stats := newChaosStats()
	n := 0
	for _, kc := range peerKillMatrix {
		t.Run(kc.name, func(t *testing.T) {
			for run := 0; run < *chaosRuns; run++ {
				n++
				ok, rec := peerKillOnce(t, l, a, p, pkiDir, bAddr, kc, fmt.Sprintf("203.0.%d.0/24", n%250))
				stats.add(kc.name, ok, rec)
				if t.Failed() {
					return
				}
			}
		})
	}
	if *chaosRuns > 1 {
		names := make([]string, len(peerKillMatrix))
		for i, kc := range peerKillMatrix {
			names[i] = kc.name
		}
		stats.print(os.Stdout, "participant SIGKILL case", names)
	}
}

// coordA is agent a of the participant tests: a coordinator over its own
// pool and store whose peer router sends the leaves to b, and a's peer
// listener (b asks it for decisions).
type coordA struct {
	*env
	peers *txn.Peers
	url   string // a's peer listener
	hook  struct {
		sync.Mutex
		fn func(txn.Step, string)
	}
}

func coordinatorA(t *testing.T, l *lab.Lab, p *pkiFiles, bURL string, cfg txn.Config) *coordA {
	t.Helper()
	a := &coordA{env: newEnv(t, l, txn.Config{})}
	peers, err := txn.NewPeers(txn.PeersConfig{Self: "a", Local: poolDevices{a.pool}, Labels: leafSpineLabels(), Timeout: 3 * time.Second,
		Peers: []txn.PeerSpec{{Name: "b", URL: bURL, Labels: map[string]string{"role": "leaf"}}},
		TLS:   func(n string) *tls.Config { return pki.ClientConfig(p.certs["a"], p.roots, n) }})
	if err != nil {
		t.Fatal(err)
	}
	a.peers = peers
	cfg.Store, cfg.Devices = a.db, peers
	if cfg.RollbackTimeout == 0 {
		cfg.RollbackTimeout = 20 * time.Second
	}
	cfg.AfterStep = func(id string, s txn.Step, stage string) {
		a.hook.Lock()
		fn := a.hook.fn
		a.hook.Unlock()
		if fn != nil {
			fn(s, stage)
		}
	}
	if a.coord, err = txn.New(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	ps, err := a.coord.NewPeerServer(txn.PeerServerConfig{Agent: "a", Decision: peers.Decision,
		Owns: func(d string) bool { return strings.HasPrefix(d, "spine") }})
	if err != nil {
		t.Fatal(err)
	}
	layer, err := auth.NewLayer(auth.WithClientCerts(peerPolicy), auth.WithRealm("netagent-peer"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(layer.Handler(ps.Routes()))
	srv.TLS = pki.ServerConfig(p.certs["a"], p.roots)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(func() { ps.Close(); srv.Close(); peers.Close() })
	a.url = srv.URL
	return a
}

func (a *coordA) setHook(fn func(txn.Step, string)) {
	a.hook.Lock()
	a.hook.fn = fn
	a.hook.Unlock()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// participantProc is one run of participant b's process.
type participantProc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	at     time.Time // when it exited
}

// startParticipant starts b and waits until its peer listener answers a.
func startParticipant(t *testing.T, p *pkiFiles, env []string, logPath, url string) (*participantProc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "TXN_CHILD=participant"), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	err = cmd.Start()
	logf.Close()
	if err != nil {
		return nil, err
	}
	pp := &participantProc{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		pp.at = time.Now()
		close(pp.exited)
	}()
	c := p.client("a", "b")
	c.Timeout = 2 * time.Second
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := c.Get(url + "/v1/peer/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return pp, nil
			}
		}
		select {
		case <-pp.exited:
			return nil, fmt.Errorf("participant exited while starting")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			pp.kill()
			return nil, fmt.Errorf("participant did not answer within 90s: %v", err)
		}
	}
}

func (pp *participantProc) kill() {
	_ = pp.cmd.Process.Kill()
	<-pp.exited
}

// peerKillOnce runs one case: b started (set to kill itself, or killed by
// a's hook), restarted as soon as it died, the transaction run by a to its
// outcome. It reports whether every device held all of the change or none
// of it as the case wants, and the recovery time (from b's death to a's
// outcome).
func peerKillOnce(t *testing.T, l *lab.Lab, a *coordA, p *pkiFiles, pkiDir, bAddr string, kc peerKillCase, prefix string) (bool, time.Duration) {
	t.Helper()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "b.log")
	url := "https://" + bAddr
	env := []string{"TXN_INVENTORY=" + l.InventoryPath(), "TXN_DB=" + filepath.Join(dir, "b.db"), "TXN_PKI=" + pkiDir,
		"TXN_LISTEN=" + bAddr, "TXN_COORDINATOR=" + a.url}
	first := env
	if kc.phase != "" {
		first = append(append([]string(nil), env...), "TXN_KILL_DEVICE="+kc.device, "TXN_KILL_PHASE="+kc.phase)
	}
	b1, err := startParticipant(t, p, first, logPath, url)
	if err != nil {
		t.Fatal(err)
	}
	failed := false
	check := func(cond bool, format string, args ...any) {
		if !cond {
			failed = true
			t.Errorf(format, args...)
		}
	}
	defer func() {
		if failed {
			b, _ := os.ReadFile(logPath)
			t.Logf("participant b's log (last 6k):\n%s", tail(b, 6<<10))
		}
	}()
	// Restart b as soon as it dies, without the kill.
	var b2 *participantProc
	var b2err error
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		<-b1.exited
		b2, b2err = startParticipant(t, p, env, logPath, url)
	}()
	defer func() {
		b1.kill()
		<-restarted
		if b2 != nil {
			b2.kill()
		}
	}()

	req := request(t, l, leafSpine, prefix)
	req.ID = txn.NewID()
	req.Options.ConfirmTimeout = 10 * time.Second
	req.Stages = []txn.Stage{{Name: "b"}, {Name: "a", After: []string{"b"}}}
	for i := range req.Participants {
		req.Participants[i].Stage = "a"
		if strings.HasPrefix(req.Participants[i].Device, "leaf") {
			req.Participants[i].Stage = "b"
		}
		if kc.badSpine && req.Participants[i].Device == "spine1" {
			// An address another interface already has: spine1's
			// validation refuses it at prepare.
			cur, _ := l.Running("spine1")
			want := cur.Clone()
			_ = want.Set(yang.AddressPath("e1-2", 0, "10.0.0.0").Leaf("config", "prefix-length"), uint64(31))
			req.Participants[i].Changes = append(req.Participants[i].Changes, yang.Diff(cur, want)...)
		}
	}
	if kc.rejectSpine {
		if err := l.InjectFault("spine1", fault.Fault{Kind: fault.RejectCommit, Message: "refused by the participant crash test"}); err != nil {
			t.Fatal(err)
		}
		defer l.ClearFaults("spine1", fault.Any, "")
	}
	if kc.at != "" {
		var once sync.Once
		a.setHook(func(s txn.Step, stage string) {
			if s == kc.at && (kc.stage == "" || stage == kc.stage) {
				once.Do(func() { b1.kill() })
			}
		})
		defer a.setHook(nil)
	}
	res, err := a.coord.Run(context.Background(), req)
	ended := time.Now()
	a.setHook(nil)
	_, _ = l.ClearFaults("spine1", fault.Any, "")
	var recovery time.Duration
	select {
	case <-b1.exited:
		// It died before a's outcome (a's call to it failed then), and
		// is reaped a moment later.
		recovery = max(0, ended.Sub(b1.at))
	case <-time.After(30 * time.Second):
		check(false, "participant b was not killed (outcome %v)", err)
	}
	<-restarted
	if b2err != nil {
		t.Fatalf("restart b: %v", b2err)
	}
	if res != nil {
		defer func() {
			if failed {
				t.Logf("a's outcome %s: %s", res.State, res.Reason)
			}
		}()
		for _, d := range res.Devices {
			check(d.Outcome != txn.OutcomeFailed && d.Outcome != "", "%s: outcome %q at %s: %+v", d.Device, d.Outcome, d.Phase, d.Error)
		}
	}
	// Every device's running configuration, read from the lab once a has
	// its outcome: all or none.
	held := allOrNothing(t, l, leafSpine, prefix)
	check(held == 0 || held == len(leafSpine), "mix")
	switch kc.want {
	case "all":
		check(err == nil, "run: %v, want confirmed", err)
		check(held == len(leafSpine), "the change is on %d of %d devices, want all", held, len(leafSpine))
	case "none":
		check(errors.Is(err, txn.ErrRolledBack), "run: %v, want rolled back", err)
		check(held == 0, "the change is on %d of %d devices, want none", held, len(leafSpine))
	default:
		check((err == nil) == (held == len(leafSpine)), "run: %v, and %d of %d devices hold the change", err, held, len(leafSpine))
	}
	if kc.badSpine {
		cur, _ := l.Running("spine1")
		check(!cur.Has(yang.AddressPath("e1-2", 0, "10.0.0.0")), "the refused address is on spine1")
	}
	if held == len(leafSpine) {
		// Take the route away again, through the restarted b.
		undo := txn.Request{}
		for _, pt := range req.Participants {
			undo.Participants = append(undo.Participants, txn.Participant{Device: pt.Device, Changes: pt.Undo, Undo: pt.Changes})
		}
		if _, err := a.coord.Run(context.Background(), undo); err != nil {
			t.Fatalf("clean up through the restarted participant: %v", err)
		}
	}
	return !failed, recovery
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return b
}
