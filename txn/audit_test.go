package txn_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/trace"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/txn"
)

// TestAuditEntries: every write-ahead log step of a transaction and every
// device's outcome are audit entries in the same chain, attributed to the
// principal and the trace id of the caller's context; the chain verifies.
// A transaction a device refuses has its abort and the refusal on record.
func TestAuditEntries(t *testing.T) {
	ctx := context.Background()
	l := startLab(t, topologies.LeafSpine)
	e := newEnv(t, l, txn.Config{})
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	alog, err := audit.New(ctx, e.db, audit.Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	coord, err := txn.New(ctx, txn.Config{Store: e.db, Devices: poolDevices{e.pool}, Audit: alog, RollbackTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	alice := auth.Principal{Subject: "alice", Kind: "operator", Via: "token"}
	tc := trace.New()
	rctx := trace.With(auth.WithPrincipal(ctx, alice), tc)

	ok := request(t, l, leafSpine, "198.51.101.0/24")
	ok.ID, ok.Intent = "tx-audit-ok", "intent-audit"
	ok.Options.ConfirmTimeout = 5 * time.Second
	if _, err := coord.Run(rctx, ok); err != nil {
		t.Fatal(err)
	}
	if err := l.InjectFault("leaf1", fault.Fault{Kind: fault.RejectCommit, Message: "commit refused by the audit test"}); err != nil {
		t.Fatal(err)
	}
	bad := request(t, l, leafSpine, "198.51.102.0/24")
	bad.ID = "tx-audit-refused"
	bad.Options.ConfirmTimeout = 5 * time.Second
	_, err = coord.Run(rctx, bad)
	_, _ = l.ClearFaults("leaf1", fault.Any, "")
	if err == nil {
		t.Fatal("the refused transaction confirmed")
	}

	entries, err := audit.Query(ctx, e.db, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string][]string{}
	devices := map[string]map[string]string{}
	for _, en := range entries {
		if en.Action != txn.AuditAction && en.Action != txn.AuditDeviceAction {
			continue
		}
		p, _ := en.Principal()
		if p.Subject != "alice" || trace.ID(en.Trace) != tc.TraceID {
			t.Errorf("entry %d (%s of %s): actor %q trace %q, want alice and %s", en.Seq, en.Action, en.Txn, p.Subject, en.Trace, tc.TraceID)
		}
		d := string(en.Detail)
		if en.Action == txn.AuditAction {
			step := d[strings.Index(d, `"step":"`)+8:]
			steps[en.Txn] = append(steps[en.Txn], step[:strings.IndexByte(step, '"')])
			continue
		}
		if devices[en.Txn] == nil {
			devices[en.Txn] = map[string]string{}
		}
		devices[en.Txn][en.Device] = d
	}
	want := "begin prepare commit verify decision end"
	if got := strings.Join(steps[ok.ID], " "); got != want {
		t.Errorf("steps of %s on record: %q, want %q", ok.ID, got, want)
	}
	if got := strings.Join(steps[bad.ID], " "); !strings.Contains(got, "commit abort end") {
		t.Errorf("steps of %s on record: %q, want the abort after the commit", bad.ID, got)
	}
	for _, d := range leafSpine {
		if !strings.Contains(devices[ok.ID][d], `"outcome":"confirmed"`) {
			t.Errorf("%s in %s: %q, want its confirmed outcome on record", d, ok.ID, devices[ok.ID][d])
		}
	}
	if !strings.Contains(devices[bad.ID]["leaf1"], "commit refused by the audit test") {
		t.Errorf("leaf1 in %s: %q, want the device's refusal on record", bad.ID, devices[bad.ID]["leaf1"])
	}
	if _, err := audit.Verify(ctx, e.db, key.Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("the chain does not verify: %v", err)
	}
}
