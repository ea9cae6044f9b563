package agent

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/store"
)

// TestHostKeyRefusalIsAudited: the lab's r2 presents its own key while
// known_hosts records another (a man in the middle, as far as the agent
// can tell). The intent on r2 fails, nothing is sent to it, and the audit
// chain holds a device.hostkey entry naming the device, the address, the
// fingerprint expected and the one presented.
func TestHostKeyRefusalIsAudited(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var presented map[string]string
	var expected string
	a, _, l, _ := startLabAgent(t, ctx, nil, func(c *config.Config) {
		// Before the agent opens any session: swap r2's recorded keys.
		kh := filepath.Join(filepath.Dir(c.Inventory), "known_hosts")
		presented, expected = swapKeys(t, kh)
	})
	before := snapshot(t, l)
	sctx := auth.WithPrincipal(ctx, auth.Principal{Subject: "alice", Kind: "operator", Scopes: []auth.Scope{auth.IntentsWrite}})
	rec, err := a.net.intent.Submit(sctx, []byte(`{"id":"hk-1","kind":"interface","targets":{"devices":["r2"]},"spec":{"name":"eth1","description":"through a mitm?"}}`),
		intent.Source{Channel: "rest", Ref: "test"})
	if err == nil {
		rec, err = a.net.intent.Wait(ctx, rec.ID)
	}
	if err == nil && rec.State != intent.StateFailed {
		t.Fatalf("intent on a device with a changed key ended %s", rec.State)
	}
	if err != nil && !errors.Is(err, adapters.ErrHostKey) && !strings.Contains(err.Error(), "host key") {
		t.Fatalf("submit: %v", err)
	}
	if after := snapshot(t, l); after["r2"] != before["r2"] {
		t.Error("r2's configuration changed although its host key was refused")
	}
	var found *audit.Entry
	deadline := time.Now().Add(30 * time.Second)
	for found == nil {
		es, err := audit.Query(ctx, a.net.db, audit.Filter{Device: "r2"})
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range es {
			if e.Action == audit.ActionHostKey && strings.Contains(string(e.Detail), `"decision":"refused"`) {
				found = &es[i]
			}
		}
		if found == nil && time.Now().After(deadline) {
			t.Fatalf("no host-key refusal audited for r2 in %d entries", len(es))
		}
		time.Sleep(50 * time.Millisecond)
	}
	var d struct {
		Host, Remote, Fingerprint string
		Expected                  []string
		Reason                    string
	}
	if err := json.Unmarshal(found.Detail, &d); err != nil {
		t.Fatal(err)
	}
	if want := presented["["+strings.Replace(d.Host, ":", "]:", 1)]; d.Fingerprint != want || len(d.Expected) != 1 || d.Expected[0] != expected || d.Host == "" || d.Remote == "" ||
		!strings.Contains(d.Reason, "differs from the key recorded") {
		t.Errorf("refusal detail %+v, want presented %v and expected %s", d, presented, expected)
	}
}

// swapKeys replaces every key in the known_hosts file kh with one new
// ed25519 key and returns the fingerprints of the keys the lab's devices
// present, by known_hosts address, and of the one now recorded.
func swapKeys(t *testing.T, kh string) (presented map[string]string, expected string) {
	presented = map[string]string{}
	t.Helper()
	b, err := os.ReadFile(kh)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fake, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	fakeLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(fake)))
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		host, key, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			out = append(out, line)
			continue
		}
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(key))
		if err != nil {
			t.Fatal(err)
		}
		presented[host] = ssh.FingerprintSHA256(k)
		out = append(out, host+" "+fakeLine)
	}
	if err := os.WriteFile(kh, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return presented, ssh.FingerprintSHA256(fake)
}

// TestHostKeyRefusalAuditIsBounded: a device retried in a loop is recorded
// once per refusalEvery, and again once that has passed or the key changes.
func TestHostKeyRefusalAuditIsBounded(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := audit.New(ctx, db, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hook := HostKeyRefusalAudit(ctx, l, nil)
	t0 := time.Now()
	r := adapters.HostKeyRefused{Time: t0, Device: "r2", Host: "[127.0.0.1]:2222", Fingerprint: "SHA256:a", Expected: []string{"SHA256:b"}, Reason: "it differs"}
	for i := range 50 {
		r.Time = t0.Add(time.Duration(i) * time.Second)
		hook(r)
	}
	r2 := r
	r2.Fingerprint = "SHA256:c"
	hook(r2)
	r.Time = t0.Add(refusalEvery + time.Minute)
	hook(r)
	es, err := audit.Query(ctx, db, audit.Filter{Device: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Errorf("%d entries for 52 refusals of two keys over %s, want 3", len(es), refusalEvery+time.Minute)
	}
}
