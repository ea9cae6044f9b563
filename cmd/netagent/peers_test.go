package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/pki"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
	"gopkg.in/yaml.v3"
)

// agentProcess is one `netagent serve` process of the two-agent test.
type agentProcess struct {
	name, config, dataDir, api, logPath string
	cmd                                 *exec.Cmd
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (p *agentProcess) start(t *testing.T, bin string) {
	t.Helper()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, "serve", "--config", p.config)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.Env = append(os.Environ(), "NETAGENT_CONFIG=")
	err = p.cmd.Start()
	logf.Close()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + p.api + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.kill()
			b, _ := os.ReadFile(p.logPath)
			t.Fatalf("agent %s did not start: %s", p.name, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL and reaps the process.
func (p *agentProcess) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		p.cmd = nil
	}
}

func (p *agentProcess) client(t *testing.T) *http.Client {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(p.dataDir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: bearer(strings.TrimSpace(string(tok)))}
}

type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// TestTwoAgentProcesses builds the netagent binary and runs two agents in
// separate processes over the leaf-spine lab: agent a owns the spines,
// agent b the leaves, peers over mutual TLS. An intent submitted to a for
// all six devices changes both domains; then one agent is SIGKILLed at a
// step of the transaction (b with its leaves prepared, b with its leaves
// committed, a with everything committed), restarted, and every device's
// running configuration is read from the lab: the change is on all six or
// on none.
func TestTwoAgentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two agent processes; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "netagent")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tp, err := topo.Parse(topologies.LeafSpine)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(context.Background(), tp, lab.Options{Dir: filepath.Join(dir, "lab"), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pkiDir := filepath.Join(dir, "pki")
	ca, err := pki.Init(pkiDir, "two-agent test")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := ca.Issue(n, pki.IssueOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Agent a's inventory names the leaves with a wrong password: a plans
	// and runs the intent without ever logging in to b's devices (it reads
	// them through b's peer API).
	inventories := map[string]string{"a": wrongLeafCredentials(t, l.InventoryPath()), "b": l.InventoryPath()}
	peerAddr := map[string]string{"a": freePort(t), "b": freePort(t)}
	owns := map[string]string{"a": "role=spine", "b": "role=leaf"}
	agents := map[string]*agentProcess{}
	for _, n := range []string{"a", "b"} {
		other := map[string]string{"a": "b", "b": "a"}[n]
		p := &agentProcess{name: n, dataDir: filepath.Join(dir, n), api: freePort(t), logPath: filepath.Join(dir, n+".log"), config: filepath.Join(dir, n+".yaml")}
		cfg := fmt.Sprintf(`listen: %s
data_dir: %s
inventory: %s
log_level: debug
telemetry: {enabled: false}
txn: {enabled: true}
peer:
  listen: %s
  name: %s
  ca: %s
  cert: %s
  key: %s
  allow: %s
peers:
  - name: %s
    url: https://%s
    labels: %s
`, p.api, p.dataDir, inventories[n], peerAddr[n], n, pki.CertPath(pkiDir, "ca"), pki.CertPath(pkiDir, n), pki.KeyPath(pkiDir, n), other, other, peerAddr[other], owns[other])
		if err := os.WriteFile(p.config, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		agents[n] = p
		p.start(t, bin)
		defer p.kill()
	}
	a, b := agents["a"], agents["b"]
	defer func() {
		if t.Failed() {
			for _, p := range agents {
				log, _ := os.ReadFile(p.logPath)
				t.Logf("agent %s log (last 8k):\n%s", p.name, tail(log, 8<<10))
			}
		}
	}()

	// GET /v1/peers on a lists b, up, owning the leaves.
	var peers struct {
		Peers []txn.PeerHealth `json:"peers"`
	}
	getJSON(t, a.client(t), "http://"+a.api+"/v1/peers", &peers)
	if len(peers.Peers) != 1 || peers.Peers[0].Name != "b" || peers.Peers[0].Health != "up" || strings.Join(peers.Peers[0].Devices, ",") != "leaf1,leaf2,leaf3,leaf4" {
		t.Fatalf("a's peers: %+v", peers.Peers)
	}

	devices := []string{"leaf1", "leaf2", "leaf3", "leaf4", "spine1", "spine2"}
	held := func(prefix string) int {
		n := 0
		for _, d := range devices {
			cur, err := l.Running(d)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Has(yang.StaticRoutePath(prefix)) {
				n++
			}
		}
		return n
	}
	cases := []struct {
		name   string
		kill   *agentProcess
		at     string // the step of b's leaves that triggers the kill
		slow   bool   // spine1 answers slowly, so b's leaves wait prepared
		soak   string
		expect string // final intent state, "" for either outcome
	}{
		{name: "no kill", expect: "applied"},
		{name: "participant b killed with its leaves prepared", kill: b, at: "prepared", slow: true},
		{name: "participant b killed with its leaves committed", kill: b, at: "verified", soak: "4s"},
		{name: "coordinator a killed with everything committed", kill: a, at: "verified", soak: "4s"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prefix := fmt.Sprintf("198.51.%d.0/24", 110+i)
			id := fmt.Sprintf("two-agent-%d", i)
			opts := `"confirm_timeout":"12s"`
			if tc.soak != "" {
				opts += `,"soak":"` + tc.soak + `"`
			}
			if tc.slow {
				if err := l.InjectFault("spine1", fault.Fault{Kind: fault.Latency, Delay: 1500 * time.Millisecond}); err != nil {
					t.Fatal(err)
				}
			}
			body := fmt.Sprintf(`{"id":%q,"kind":"static-route","targets":{"devices":["leaf1","leaf2","leaf3","leaf4","spine1","spine2"]},"spec":{"prefix":%q,"next_hops":[{"next_hop":"192.0.2.1"}]},"options":{%s}}`, id, prefix, opts)
			resp, err := a.client(t).Post("http://"+a.api+"/v1/intents", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			rb, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
				t.Fatalf("submit: %d %s", resp.StatusCode, rb)
			}
			if tc.kill != nil {
				txid := waitTxn(t, a, id)
				waitLeaves(t, a, txid, tc.at)
				tc.kill.kill()
				t.Logf("SIGKILLed agent %s with b's leaves %s", tc.kill.name, tc.at)
				if tc.slow {
					if _, err := l.ClearFaults("spine1", "", ""); err != nil {
						t.Fatal(err)
					}
				}
				tc.kill.start(t, bin)
			}
			state := waitIntent(t, a, id)
			// Every device's running configuration, read from the lab:
			// all or none (b may still be ending its part by itself).
			deadline := time.Now().Add(90 * time.Second)
			n := held(prefix)
			for n != 0 && n != len(devices) {
				if time.Now().After(deadline) {
					t.Fatalf("intent %s: %d of %d devices hold %s: a mix", state, n, len(devices), prefix)
				}
				time.Sleep(200 * time.Millisecond)
				n = held(prefix)
			}
			t.Logf("intent %s; %d of %d devices hold the change", state, n, len(devices))
			if tc.kill != nil {
				for _, p := range []*agentProcess{a, b} {
					for _, line := range grepLog(p.logPath, tc.name, "transaction recovered", "txn abort", "peer lease", "txn end", "confirm failed") {
						t.Logf("agent %s: %s", p.name, line)
					}
				}
			}
			switch {
			case tc.expect != "" && state != tc.expect:
				t.Fatalf("intent state %s, want %s", state, tc.expect)
			case state == "applied" && n != len(devices):
				t.Fatalf("intent applied but %d devices hold the change", n)
			case state != "applied" && n != 0:
				t.Fatalf("intent %s but %d devices hold the change", state, n)
			}
		})
	}
}

// wrongLeafCredentials writes, beside the lab's inventory at path, a copy
// in which every leaf logs in with a wrong password, and returns its path.
func wrongLeafCredentials(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var inv map[string]any
	if err := yaml.Unmarshal(raw, &inv); err != nil {
		t.Fatal(err)
	}
	creds := inv["credentials"].(map[string]any)
	lab := creds["lab"].(map[string]any)
	dir := filepath.Dir(path)
	if err := os.WriteFile(filepath.Join(dir, "credentials", "wrong.password"), []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds["wrong"] = map[string]any{"username": lab["username"], "password_file": filepath.Join("credentials", "wrong.password")}
	for _, d := range inv["devices"].([]any) {
		dev := d.(map[string]any)
		if strings.HasPrefix(dev["name"].(string), "leaf") {
			dev["credentials"] = "wrong"
		}
	}
	out, err := yaml.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "a-inventory.yml")
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, b)
	}
}

// waitTxn waits for intent id's transaction at agent p and returns its id.
func waitTxn(t *testing.T, p *agentProcess, id string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var list struct {
			Txns []txn.Summary `json:"txns"`
		}
		getJSON(t, p.client(t), "http://"+p.api+"/v1/txns?intent="+id, &list)
		if len(list.Txns) > 0 {
			return list.Txns[0].ID
		}
		if time.Now().After(deadline) {
			t.Fatalf("intent %s got no transaction", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitLeaves follows transaction txid at agent p until every leaf has
// reached step.
func waitLeaves(t *testing.T, p *agentProcess, txid, step string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.api+"/v1/txns/"+txid+"/events", nil)
	c := p.client(t)
	c.Timeout = 0
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	seen := map[string]bool{}
	errDone := fmt.Errorf("done")
	err = txn.ReadEvents(resp.Body, func(e txn.Event) error {
		for d, s := range e.Devices { // the snapshot
			if s == step {
				seen[d] = true
			}
		}
		if e.Step == step {
			seen[e.Device] = true
		}
		if seen["leaf1"] && seen["leaf2"] && seen["leaf3"] && seen["leaf4"] {
			return errDone
		}
		if e.Type == "outcome" {
			return fmt.Errorf("the transaction ended (%s) before b's leaves were %s", e.State, step)
		}
		return nil
	})
	if err != errDone {
		t.Fatalf("following %s: %v (seen %v)", txid, err, seen)
	}
}

// waitIntent waits until intent id at agent p is applied, failed or
// rolled back, and returns the state.
func waitIntent(t *testing.T, p *agentProcess, id string) string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var rec struct {
			State string `json:"state"`
		}
		resp, err := p.client(t).Get("http://" + p.api + "/v1/intents/" + id)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && json.Unmarshal(b, &rec) == nil {
				switch rec.State {
				case "applied", "failed", "rolled-back":
					return rec.State
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("intent %s did not end: %s", id, rec.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return bytes.TrimSpace(b)
}

// grepLog returns the lines of the agent log at path holding one of
// words, from the mark of case name on (logs are appended across cases).
func grepLog(path, name string, words ...string) []string {
	b, _ := os.ReadFile(path)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		for _, w := range words {
			if strings.Contains(line, w) {
				if len(line) > 240 {
					line = line[:240] + "..."
				}
				out = append(out, line)
				break
			}
		}
	}
	if len(out) > 12 {
		out = out[len(out)-12:]
	}
	return out
}
