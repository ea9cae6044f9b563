package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/internal/trace"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestDeviceSetIsAudited: `netagent device set` writes to a device outside
// the intent service; the data dir's audit log records it like an intent
// (accepted, the device change with before/after digests, applied), and a
// host key trusted on first use; `audit verify` passes, then fails naming
// the entry once one is edited in the store.
func TestDeviceSetIsAudited(t *testing.T) {
	dataDir := t.TempDir()
	t.Setenv("NETAGENT_DATA_DIR", dataDir)
	tp, err := topo.Parse([]byte("name: aud\ntopology:\n  nodes:\n    r2: {kind: linux}\n"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(context.Background(), tp, lab.Options{Dir: t.TempDir(), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	kh := filepath.Join(t.TempDir(), "known_hosts")
	desc := "/interfaces/interface[name=eth1]/config/description"
	if out, err := runCLI(t, "", "device", "set", "--inventory", l.InventoryPath(), "--known-hosts", kh, "--ssh-accept-new",
		"--protocol", "cli", "r2", desc, "uplink"); err != nil {
		t.Fatalf("set: %v\n%s", err, out)
	}
	out, err := runCLI(t, "", "audit", "show", "--device", "r2", "-o", "json")
	if err != nil {
		t.Fatalf("show: %v\n%s", err, out)
	}
	var es []audit.Entry
	if err := json.Unmarshal([]byte(out), &es); err != nil {
		t.Fatalf("show -o json: %v\n%s", err, out)
	}
	var actions []string
	for _, e := range es {
		actions = append(actions, e.Action)
		p, _ := e.Principal()
		if !strings.HasPrefix(p.Subject, "local:") || e.Trace == "" || e.Trace != es[0].Trace {
			t.Errorf("entry %d (%s): actor %q trace %q, want the local operator and one trace", e.Seq, e.Action, p.Subject, e.Trace)
		}
	}
	want := []string{audit.ActionHostKey, audit.ActionIntentAccepted, audit.ActionDeviceChange, audit.ActionIntentState}
	if d := cmp.Diff(want, actions); d != "" {
		t.Fatalf("audited actions (-want +got):\n%s", d)
	}
	var dc struct{ Before, After string }
	_ = json.Unmarshal(es[2].Detail, &dc)
	if !strings.HasPrefix(dc.Before, "sha256:") || !strings.HasPrefix(dc.After, "sha256:") || dc.Before == dc.After {
		t.Errorf("device change digests before %q after %q: want two different sha256 digests", dc.Before, dc.After)
	}
	out, err = runCLI(t, "", "audit", "show", "--intent", es[1].Intent)
	if err != nil || strings.Count(out, "\n") != 4 || !strings.Contains(out, "device.change") {
		t.Errorf("show --intent %s: %v\n%s", es[1].Intent, err, out)
	}
	out, err = runCLI(t, "", "audit", "verify")
	if err != nil || !strings.Contains(out, "audit chain intact: 4 entries, 1 signed heads, signed up to entry 4") {
		t.Fatalf("verify: %v\n%s", err, out)
	}

	db, err := store.Open(context.Background(), filepath.Join(dataDir, "netagent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`DROP TRIGGER audit_entries_no_update`, `UPDATE audit_entries SET detail = '{}' WHERE seq = 3`} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	_, err = runCLI(t, "", "audit", "verify")
	var ce *audit.ChainError
	if !errors.As(err, &ce) || ce.Seq != 3 || !strings.Contains(err.Error(), "entry 3 (edited)") {
		t.Fatalf("verify after an edit = %v, want entry 3 named", err)
	}
}

// TestAuditShowGolden renders the table and JSON of a fixed chain.
func TestAuditShowGolden(t *testing.T) {
	dataDir := t.TempDir()
	t.Setenv("NETAGENT_DATA_DIR", dataDir)
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dataDir, "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	l, err := audit.New(ctx, db, audit.Options{Clock: func() time.Time { now = now.Add(time.Second); return now }})
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := trace.Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	alice := auth.WithPrincipal(trace.With(ctx, tc), auth.Principal{Subject: "alice", Kind: "operator", Via: "token"})
	for _, e := range []audit.Entry{
		{Action: audit.ActionIntentAccepted, Intent: "mtu-1", Detail: audit.Detail(map[string]string{"kind": "interface", "state": "planned"})},
		{Action: audit.ActionDeviceChange, Intent: "mtu-1", Device: "r1", Detail: audit.Detail(map[string]any{"changes": 1, "before": "sha256:aa", "after": "sha256:bb"})},
	} {
		if _, err := l.Record(alice, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Record(ctx, audit.Entry{Action: audit.ActionFailover, Device: "r1", Detail: audit.Detail(map[string]string{"from": "netconf", "to": "gnmi"})}); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordAuthFailure(ctx, audit.AuthFailure{Surface: "rest", Route: "POST /v1/intents", Status: 401, Reason: "missing token"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, tc := range []struct{ name, output string }{{"text", "text"}, {"json", "json"}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runCLI(t, "", "audit", "show", "-o", tc.output, "--since", "2026-12-01T00:00:00Z")
			if err != nil {
				t.Fatalf("%v\n%s", err, got)
			}
			golden := filepath.Join("testdata", "TestAuditShowGolden."+tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("audit show -o %s (-want +got):\n%s", tc.output, d)
			}
		})
	}
	if out, err := runCLI(t, "", "audit", "show", "--intent", "nope"); err != nil || strings.Count(out, "\n") != 1 {
		t.Errorf("show --intent nope: %v\n%s (want the header only)", err, out)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"1h", now.Add(-time.Hour), false},
		{"90s", now.Add(-90 * time.Second), false},
		{"2026-11-30T08:00:00Z", time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC), false},
		{"2026-11-30", time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), false},
		{"-1h", time.Time{}, true},
		{"yesterday", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseSince(tt.in, now)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
