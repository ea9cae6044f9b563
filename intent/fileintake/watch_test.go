package fileintake_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/fileintake"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/internal/store"
)

type rig struct {
	dir string
	net *intenttest.Network
	svc *intent.Service
	w   *fileintake.Watcher
}

func newRig(t *testing.T, run bool) *rig {
	t.Helper()
	ctx := context.Background()
	tmp := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(tmp, "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	net := intenttest.Lab()
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "inbox")
	w, err := fileintake.New(fileintake.Config{Dir: dir, Service: svc, Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	if run {
		go func() { defer close(done); _ = svc.Run(rctx) }()
	} else {
		close(done)
	}
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	return &rig{dir: dir, net: net, svc: svc, w: w}
}

func (r *rig) write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func TestFilesAcceptedOrFailed(t *testing.T) {
	r := newRig(t, false)
	r.write(t, "a-one.json", `{"id":"f1","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9000}}`)
	r.write(t, "b-array.json", `[{"id":"f2","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth3","mtu":9000}},
		{"id":"f3","kind":"static-route","targets":{"devices":["leaf1"]},"spec":{"prefix":"192.0.2.0/24","next_hops":[{"next_hop":"10.0.0.0"}]}}]`)
	r.write(t, "c-docs.yaml", "id: f4\nkind: interface\ntargets: {devices: [leaf2]}\nspec: {name: eth2, enabled: false}\n---\nid: f5\nkind: bgp-neighbor\ntargets: {selector: {role: spine}}\nspec: {address: 10.0.2.0, peer_as: 65001}\n")
	r.write(t, "d-list.yml", "- {id: f6, kind: interface, targets: {devices: [leaf2]}, spec: {name: eth3, description: \"to spine1\"}}\n")
	r.write(t, "e-bad.yaml", "- {id: g1, kind: interface, targets: {devices: [leaf2]}, spec: {name: eth4, mtu: 9000}}\n- {id: g2, kind: interface, targets: {devices: [leaf2]}, spec: {name: eth4, mtu: 70000, speed: 1}}\n- {id: g3, kind: interface, targets: {devices: [leaf7]}, spec: {name: eth4, mtu: 9000}}\n")
	r.write(t, "f-dup-key.yaml", "id: h1\nid: h2\nkind: interface\n")
	r.write(t, "g-semantic.json", `{"id":"h3","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","ipv4":["10.0.0.1/31"]}}`)
	r.write(t, ".hidden.json", `{}`)
	r.write(t, "partial.json.part", `{}`)
	r.write(t, "notes.txt", `hello`)

	outs, err := r.w.ProcessOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, o := range outs {
		got[o.File] = o.IDs
		if o.Err != nil {
			got[o.File] = []string{"failed"}
		}
	}
	want := map[string][]string{
		"a-one.json": {"f1"}, "b-array.json": {"f2", "f3"}, "c-docs.yaml": {"f4", "f5"}, "d-list.yml": {"f6"},
		"e-bad.yaml": {"failed"}, "f-dup-key.yaml": {"failed"}, "g-semantic.json": {"failed"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{".hidden.json", "notes.txt", "partial.json.part"}, list(t, r.dir)); diff != "" {
		t.Errorf("inbox (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a-one.json", "b-array.json", "c-docs.yaml", "d-list.yml"}, list(t, filepath.Join(r.dir, "done"))); diff != "" {
		t.Errorf("done (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"e-bad.yaml", "e-bad.yaml.error", "f-dup-key.yaml", "f-dup-key.yaml.error", "g-semantic.json", "g-semantic.json.error"},
		list(t, filepath.Join(r.dir, "failed"))); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
	report, err := os.ReadFile(filepath.Join(r.dir, "failed", "e-bad.yaml.error"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"intent 1: schema check: /spec/mtu: 70000 is above the maximum 9216", "intent 1: schema check: /spec/speed:", "intent 2: semantic check: /targets/devices/0:"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("e-bad.yaml.error lacks %q:\n%s", want, report)
		}
	}
	// All or nothing: the good intent of the failed file was not stored.
	for _, id := range []string{"g1", "g2", "g3", "h1", "h2", "h3"} {
		if _, err := r.svc.Get(context.Background(), id); err == nil {
			t.Errorf("intent %s of a failed file was stored", id)
		}
	}
	rec, err := r.svc.Get(context.Background(), "f5")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Source.Channel != "file" || rec.Source.Ref != "c-docs.yaml#1" || rec.Source.TraceID == "" {
		t.Errorf("source = %+v", rec.Source)
	}
}

// A crash after some intents of a file were stored, before the file was
// moved: processing it again stores the rest and applies nothing twice.
func TestCrashMidwayIsResumed(t *testing.T) {
	r := newRig(t, true)
	content := "- {kind: interface, targets: {devices: [leaf1]}, spec: {name: eth2, mtu: 9000}}\n- {kind: interface, targets: {devices: [leaf1]}, spec: {name: eth3, mtu: 9000}}\n"
	sum := sha256.Sum256([]byte(content))
	firstID := "file-" + hex.EncodeToString(sum[:8]) + "-0"
	// Before the crash: the first intent was stored and applied.
	if _, err := r.svc.Submit(context.Background(), []byte(`{"id":"`+firstID+`","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9000}}`),
		intent.Source{Channel: "file", Ref: "x.yaml#0"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.svc.Wait(ctx, firstID, intent.StateApplied); err != nil {
		t.Fatal(err)
	}
	r.write(t, "x.yaml", content)
	wctx, wcancel := context.WithCancel(ctx)
	werr := make(chan error, 1)
	go func() { werr <- r.w.Run(wctx) }()
	for len(list(t, filepath.Join(r.dir, "done"))) == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("file never reached done/")
		case <-time.After(10 * time.Millisecond):
		}
	}
	wcancel()
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	second := "file-" + hex.EncodeToString(sum[:8]) + "-1"
	if _, err := r.svc.Wait(ctx, second, intent.StateApplied); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.net.Applied("leaf1"); n != 2 {
		t.Errorf("leaf1 configured %d times, want 2 (one per intent)", n)
	}
}
