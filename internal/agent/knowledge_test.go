package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/knowledge"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/netconfsrv"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
)

// TestKnowledgeOnTheLab drives the agent against the leaf-spine lab and
// injects three failures: a NETCONF lock held by another session, a value
// the device rejects, an SSH host key that changed. Each is recorded as a
// case; the same failure on another device with other values is the same
// case, seen once more; the lock case's remediation (wait, re-plan, retry)
// runs and the intent succeeds; the records show the case and its fix.
// Then the other remediations: a protocol that refuses the change (switch
// protocol), a device whose part needs the others' first (reorder), an
// operator-taught session limit (reduce fan-out): each runs because its
// case matched, the intent succeeds, and the outcome is on the case, the
// record and the audit log (with the submitter and the trace).
func TestKnowledgeOnTheLab(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tp, err := topo.Parse(topologies.LeafSpine)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l, err := lab.Start(ctx, tp, lab.Options{Dir: filepath.Join(dir, "lab"), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Inventory = l.InventoryPath()
	a, err := New(ctx, cfg, nil)
	if err != nil {
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
	addr, err := a.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	api := "http://" + addr
	kbAPI = bearerClient(t, cfg.AdminTokenPath())

	t.Run("lock held by another session", func(t *testing.T) {
		// On leaf1, then on leaf2 with another value (and another session
		// holding the lock): the same case, seen once more.
		var caseID string
		for i, tc := range []struct {
			device string
			mtu    int
		}{{"leaf1", 9100}, {"leaf2", 9124}} {
			before := lockCasesSeen(ctx, t, api)
			release := holdNETCONFLock(t, l, tc.device)
			// The lock frees once the failure is recorded (or after 20 s
			// at most), so the first attempt surely meets it and a retry
			// surely finds it free.
			rctx, stopWaiting := context.WithCancel(ctx)
			released := make(chan struct{})
			go func() {
				defer close(released)
				waitLockSighting(rctx, api, before, 20*time.Second)
				release()
			}()
			id := fmt.Sprintf("kb-lock-%d", i)
			rec := submitAndWait(ctx, t, api, fmt.Sprintf(`{"id":%q,"kind":"interface","targets":{"devices":[%q]},"spec":{"name":"e1-49","mtu":%d}}`,
				id, tc.device, tc.mtu))
			stopWaiting()
			<-released
			if rec.State != intent.StateApplied {
				t.Fatalf("%s: intent ended %s: %s", tc.device, rec.State, rec.Error)
			}
			checkRunning(t, l, tc.device, "/interfaces/interface[name=e1-49]/config/mtu", uint64(tc.mtu))
			if len(rec.Failures) == 0 || rec.Failures[0].Kind != "locked" || rec.Failures[0].Device != tc.device {
				t.Fatalf("%s: record failures %+v, want %s locked", tc.device, rec.Failures, tc.device)
			}
			if len(rec.Advice) == 0 || rec.Advice[0].ErrorType != "lock" || rec.Advice[0].Fix == "" {
				t.Fatalf("%s: record advice %+v, want a lock case with its fix", tc.device, rec.Advice)
			}
			applied := rec.Advice[0].Applied
			if len(applied) == 0 || applied[len(applied)-1].Outcome != "succeeded" || applied[0].Kind != intent.RemediationRetryAfterLock {
				t.Fatalf("%s: remediations %+v, want retry-after-lock ending in success", tc.device, applied)
			}
			if caseID == "" {
				caseID = rec.Advice[0].Case
			} else if rec.Advice[0].Case != caseID {
				t.Fatalf("%s matched %s, the first device's lock matched %s", tc.device, rec.Advice[0].Case, caseID)
			}
			want := before[caseID] + 1
			c := waitCase(ctx, t, api, caseID, func(c knowledge.Case) bool {
				return c.Seen >= want && c.FixWorked >= i+1 && c.Impact != nil && c.Impact.DeviceCount >= i+1
			})
			checkRemediationAudit(ctx, t, a, id, caseID, intent.RemediationRetryAfterLock)
			t.Logf("lock on %s: case %s (%s) seen %d, fix worked %d, devices %v, attempts %d; fix: %s",
				tc.device, c.ID, c.Title, c.Seen, c.FixWorked, c.Impact.Devices, len(applied), c.Fix)
		}
	})

	t.Run("remediation switches protocol", func(t *testing.T) {
		// leaf2's gNMI (its preferred protocol) refuses every Set as not
		// implemented: the case says use another protocol; NETCONF takes it.
		if err := l.InjectFault("leaf2", fault.Fault{Kind: fault.RejectCommit, Protocol: fault.GNMI, ErrorTag: "Unimplemented",
			Message: "Set is not implemented for this path", Count: 1000}); err != nil {
			t.Fatal(err)
		}
		defer func() { _, _ = l.ClearFaults("leaf2", fault.GNMI, fault.RejectCommit) }()
		rec := remediated(ctx, t, a, api, l, "kb-switch", `{"id":"kb-switch","kind":"interface","targets":{"devices":["leaf2"]},"spec":{"name":"e1-50","mtu":9050}}`,
			intent.RemediationSwitchProtocol)
		checkRunning(t, l, "leaf2", "/interfaces/interface[name=e1-50]/config/mtu", uint64(9050))
		if rec.Failures[0].Protocol != "gnmi" || rec.Failures[0].Kind != "unsupported" {
			t.Errorf("failures %+v, want gNMI unsupported", rec.Failures)
		}
	})

	t.Run("remediation reorders a dependency", func(t *testing.T) {
		// leaf1 refuses its part once, as if what it refers to were not
		// there yet: the case says configure it after the others.
		if err := l.InjectFault("leaf1", fault.Fault{Kind: fault.RejectCommit, Protocol: fault.GNMI, ErrorTag: "NotFound",
			Message: "path /network-instances/network-instance[name=default]/interfaces/interface[id=e1-50] not found"}); err != nil {
			t.Fatal(err)
		}
		remediated(ctx, t, a, api, l, "kb-reorder", `{"id":"kb-reorder","kind":"interface","targets":{"devices":["leaf1","leaf2"]},"spec":{"name":"e1-50","description":"reordered"}}`,
			intent.RemediationReorderDependency)
		for _, dev := range []string{"leaf1", "leaf2"} {
			checkRunning(t, l, dev, "/interfaces/interface[name=e1-50]/config/description", "reordered")
		}
	})

	t.Run("remediation reduces fan-out", func(t *testing.T) {
		// An operator teaches the agent a failure of the spines (they share
		// a configuration server), with the remediation to configure one
		// device at a time.
		taught := `{"id":"lab-spine-config-sessions","title":"Spines refuse a configuration session: too many at once","error_type":"resource",
			"protocol":"gnmi","tag":"FailedPrecondition","messages":["gnmi spine1: set: resource-denied: too many concurrent configuration sessions (limit 4)"],
			"fix":"Configure fewer spines at a time: they share one configuration server.",
			"remediation":{"kind":"reduce-fan-out","auto":true,"max_attempts":1,"wait":"1s"}}`
		if code := post(t, api+"/v1/knowledge", taught); code != http.StatusCreated && code != http.StatusOK {
			t.Fatalf("add case: %d", code)
		}
		if err := l.InjectFault("spine2", fault.Fault{Kind: fault.RejectCommit, Protocol: fault.GNMI, ErrorTag: "resource-denied",
			Message: "too many concurrent configuration sessions (limit 6)"}); err != nil {
			t.Fatal(err)
		}
		rec := remediated(ctx, t, a, api, l, "kb-fanout", `{"id":"kb-fanout","kind":"interface","targets":{"devices":["spine1","spine2"]},"spec":{"name":"e1-1","description":"one at a time"}}`,
			intent.RemediationReduceFanOut)
		if rec.Advice[0].Case != "lab-spine-config-sessions" {
			t.Errorf("matched %s, want the case the operator added", rec.Advice[0].Case)
		}
		for _, dev := range []string{"spine1", "spine2"} {
			checkRunning(t, l, dev, "/interfaces/interface[name=e1-1]/config/description", "one at a time")
		}
	})

	t.Run("value the device rejects", func(t *testing.T) {
		var caseID string
		seen := 0
		for i, tc := range []struct {
			device string
			mtu    int
		}{{"leaf1", 9200}, {"leaf2", 9150}} {
			if err := l.InjectFault(tc.device, fault.Fault{Kind: fault.RejectCommit, ErrorTag: "invalid-value",
				Message: fmt.Sprintf("mtu %d is out of range for this line card (max 9000)", tc.mtu)}); err != nil {
				t.Fatal(err)
			}
			rec := submitAndWait(ctx, t, api, fmt.Sprintf(`{"id":"kb-value-%d","kind":"interface","targets":{"devices":[%q]},"spec":{"name":"e1-49","mtu":%d}}`,
				i, tc.device, tc.mtu))
			if rec.State == intent.StateApplied || len(rec.Advice) == 0 || rec.Advice[0].ErrorType != "rejected-value" {
				t.Fatalf("%s: state %s, advice %+v, want a failed intent with a rejected-value case", tc.device, rec.State, rec.Advice)
			}
			if caseID == "" {
				caseID = rec.Advice[0].Case
			} else if rec.Advice[0].Case != caseID {
				t.Fatalf("%s: matched %s, want the case of the first device, %s", tc.device, rec.Advice[0].Case, caseID)
			}
			if rec.Advice[0].Remediation != nil && rec.Advice[0].Remediation.Auto {
				t.Errorf("a rejected value has an automatic remediation: %+v", rec.Advice[0].Remediation)
			}
			want := seen + 1
			c := waitCase(ctx, t, api, caseID, func(c knowledge.Case) bool { return c.Seen >= want })
			seen = c.Seen
			t.Logf("value on %s: case %s seen %d, devices %v; fix: %s", tc.device, c.ID, c.Seen, c.Impact.Devices, c.Fix)
		}
	})

	t.Run("host key changed", func(t *testing.T) {
		// leaf4 speaks only SSH CLI; leaf3's gNMI is down, so it falls back
		// to its SSH CLI. Both present keys that differ from known_hosts.
		if err := l.InjectFault("leaf3", fault.Fault{Kind: fault.Down, Protocol: fault.GNMI}); err != nil {
			t.Fatal(err)
		}
		changeHostKeys(t, l, "leaf3", "leaf4")
		ids := map[string]string{"leaf4": "kb-hostkey-leaf4", "leaf3": "kb-hostkey-leaf3"}
		for dev, id := range ids {
			body := fmt.Sprintf(`{"id":%q,"kind":"interface","targets":{"devices":[%q]},"spec":{"name":"eth1","description":"hk"}}`, id, dev)
			if code := post(t, api+"/v1/intents", body); code != http.StatusAccepted {
				t.Fatalf("submit %s: %d", id, code)
			}
		}
		var caseID string
		for dev, id := range ids {
			rec := waitRecord(ctx, t, api, id)
			hostKey := false
			for _, f := range rec.Failures {
				hostKey = hostKey || f.Kind == "host-key" && f.Device == dev
			}
			if rec.State != intent.StateFailed || !hostKey {
				t.Fatalf("%s: state %s failures %+v, want failed on the host key", dev, rec.State, rec.Failures)
			}
			var adv *intent.Advice
			for i := range rec.Advice {
				if rec.Advice[i].ErrorType == "host-key" {
					adv = &rec.Advice[i]
				}
			}
			if adv == nil || adv.Fix == "" {
				t.Fatalf("%s: advice %+v, want a host-key case with its fix", dev, rec.Advice)
			}
			if caseID != "" && adv.Case != caseID {
				t.Fatalf("%s matched %s, the other device %s", dev, adv.Case, caseID)
			}
			caseID = adv.Case
		}
		c := waitCase(ctx, t, api, caseID, func(c knowledge.Case) bool { return c.Impact != nil && c.Impact.DeviceCount >= 2 })
		t.Logf("host key: case %s seen %d on %v; fix: %s", c.ID, c.Seen, c.Impact.Devices, c.Fix)
	})
}

// holdNETCONFLock opens a second NETCONF session to dev (a raw one, as an
// operator's tool would) and locks running and candidate; release unlocks
// and closes it.
func holdNETCONFLock(t *testing.T, l *lab.Lab, dev string) (release func()) {
	t.Helper()
	d, _ := l.Device(dev)
	ep, ok := d.Endpoint(lab.ProtoNETCONF)
	if !ok {
		t.Fatalf("%s has no NETCONF", dev)
	}
	hk, err := knownhosts.New(l.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	c := l.Credentials()
	cl, err := ssh.Dial("tcp", ep.Addr(), &ssh.ClientConfig{User: c.Username, Auth: []ssh.AuthMethod{ssh.Password(c.Password)}, HostKeyCallback: hk, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	w, _ := s.StdinPipe()
	r, _ := s.StdoutPipe()
	if err := s.RequestSubsystem("netconf"); err != nil {
		t.Fatal(err)
	}
	fr := netconfsrv.NewFramer(r, w)
	if _, err := fr.ReadMsg(); err != nil {
		t.Fatal(err)
	}
	rpc := func(id int, body string) string {
		if err := fr.WriteMsg([]byte(fmt.Sprintf(`<rpc message-id="%d" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">%s</rpc>`, id, body))); err != nil {
			return err.Error()
		}
		reply, err := fr.ReadMsg()
		if err != nil {
			return err.Error()
		}
		return string(reply)
	}
	if err := fr.WriteMsg([]byte(`<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>`)); err != nil {
		t.Fatal(err)
	}
	for i, ds := range []string{"running", "candidate"} {
		if reply := rpc(i+1, "<lock><target><"+ds+"/></target></lock>"); !strings.Contains(reply, "<ok/>") {
			t.Fatalf("lock %s: %s", ds, reply)
		}
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			rpc(3, "<unlock><target><candidate/></target></unlock>")
			rpc(4, "<unlock><target><running/></target></unlock>")
			_ = s.Close()
			_ = cl.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// changeHostKeys replaces the known_hosts lines of devs' SSH ports with
// fresh keys, as if the devices had been re-keyed.
func changeHostKeys(t *testing.T, l *lab.Lab, devs ...string) {
	t.Helper()
	ports := map[string]bool{}
	for _, dev := range devs {
		d, _ := l.Device(dev)
		for _, p := range []string{lab.ProtoCLI, lab.ProtoNETCONF} {
			if ep, ok := d.Endpoint(p); ok {
				ports[knownhosts.Normalize(ep.Addr())] = true
			}
		}
	}
	b, err := os.ReadFile(l.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	changed := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		host, _, _ := strings.Cut(line, " ")
		if ports[host] {
			pub, _, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			k, err := ssh.NewPublicKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			line = knownhosts.Line([]string{host}, k)
			changed++
		}
		out = append(out, line)
	}
	if changed < len(devs) {
		t.Fatalf("changed %d known_hosts lines for %v (ports %v)", changed, devs, ports)
	}
	if err := os.WriteFile(l.KnownHostsPath(), []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// kbAPI is the admin's client of the agent under test.
var kbAPI = http.DefaultClient

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := kbAPI.Post(url, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		t.Logf("POST %s: %s: %s", url, resp.Status, b.String())
	}
	return resp.StatusCode
}

func submitAndWait(ctx context.Context, t *testing.T, api, body string) *intent.Record {
	t.Helper()
	if code := post(t, api+"/v1/intents", body); code != http.StatusAccepted {
		t.Fatalf("submit %s: %d", body, code)
	}
	var id struct{ ID string }
	_ = json.Unmarshal([]byte(body), &id)
	return waitRecord(ctx, t, api, id.ID)
}

// waitRecord polls an intent until the service is done with it.
func waitRecord(ctx context.Context, t *testing.T, api, id string) *intent.Record {
	t.Helper()
	for {
		resp, err := kbAPI.Get(api + "/v1/intents/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var rec intent.Record
		err = json.NewDecoder(resp.Body).Decode(&rec)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		switch rec.State {
		case intent.StateApplied, intent.StateFailed, intent.StateRolledBack:
			return &rec
		}
		select {
		case <-ctx.Done():
			t.Fatalf("intent %s still %s", id, rec.State)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitCase polls GET /v1/knowledge/{id} until ok (the recorder writes
// asynchronously).
func waitCase(ctx context.Context, t *testing.T, api, id string, ok func(knowledge.Case) bool) knowledge.Case {
	t.Helper()
	for {
		resp, err := kbAPI.Get(api + "/v1/knowledge/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var c knowledge.Case
		err = json.NewDecoder(resp.Body).Decode(&c)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if ok(c) {
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("case %s: %+v", id, c)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
