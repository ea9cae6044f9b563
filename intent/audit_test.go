package intent_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/internal/trace"
)

// failingAuditor refuses every entry, as a full disk would.
type failingAuditor struct{}

var errAudit = errors.New("audit unavailable")

func (failingAuditor) Append(context.Context, *sql.Tx, audit.Entry) (audit.Entry, error) {
	return audit.Entry{}, errAudit
}

// TestAuditedLifecycle: every stored step of an intent has its audit entry,
// written in the same store transaction: when the entry cannot be written,
// the step is not stored either.
func TestAuditedLifecycle(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	alog, err := audit.New(ctx, db, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	net := intenttest.Lab()
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net, Audit: alog,
		Executor: intent.AuditExecutor(intent.DeviceExecutor{Devices: intent.AuditDevices(net, alog, nil)}, alog, nil)})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	defer func() { cancel(); <-done }()

	tc := trace.New()
	sctx := trace.With(auth.WithPrincipal(ctx, auth.Principal{Subject: "alice"}), tc)
	if _, err := svc.Submit(sctx, []byte(mtuIntent), intent.Source{Channel: "rest"}); err != nil {
		t.Fatal(err)
	}
	if rec, err := svc.Wait(ctx, "mtu-1"); err != nil || rec.State != intent.StateApplied {
		t.Fatalf("mtu-1: %v, %v", rec, err)
	}
	es, err := audit.Query(ctx, db, audit.Filter{Intent: "mtu-1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Action)
		if p, _ := e.Principal(); p.Subject != "alice" || e.Trace != string(tc.TraceID) {
			t.Errorf("entry %d (%s): actor %q trace %q, want alice and %s", e.Seq, e.Action, p.Subject, e.Trace, tc.TraceID)
		}
	}
	want := []string{audit.ActionIntentAccepted, audit.ActionIntentPlanned, // stored accepted+planned at submission
		audit.ActionIntentPlanned,                         // re-planned by the worker against the current config
		audit.ActionIntentState, audit.ActionDeviceChange, // applying, the change on leaf1
		audit.ActionIntentState} // applied
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("entries of mtu-1 (-want +got):\n%s", d)
	}
	if _, err := audit.Verify(ctx, db, nil); err != nil {
		t.Fatal(err)
	}

	// Without its audit entry a submission is not stored.
	db2, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	svc2, err := intent.New(ctx, intent.Config{Store: db2, Inventory: net, Devices: net, Audit: failingAuditor{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc2.Submit(ctx, []byte(`{"id":"mtu-2","kind":"interface","targets":{"devices":["leaf2"]},"spec":{"name":"eth2","mtu":9000}}`),
		intent.Source{Channel: "rest"}); !errors.Is(err, errAudit) {
		t.Fatalf("Submit with a failing audit = %v, want %v", err, errAudit)
	}
	if _, err := svc2.Get(ctx, "mtu-2"); !errors.Is(err, intent.ErrNotFound) {
		t.Fatalf("Get after the refused submission = %v, want ErrNotFound", err)
	}
}
