package conformance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/yang"
)

// Resume checks adapters.Resumer on device over protocol: a confirmed
// commit made by one adapter (a coordinator that then died: its adapter is
// closed without confirming) is confirmed by the persist-id from a fresh
// adapter and outlives its timer; another is cancelled from a fresh adapter
// and reverts at once; a persist-id with nothing pending is ErrRejected
// and changes nothing. Every outcome is read from the lab's datastore.
func Resume(t *testing.T, l *lab.Lab, inv *adapters.Inventory, device, protocol string, open adapters.Opener) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tg := Target(t, inv, device, protocol)
	desc := yang.InterfacePath("eth1").Leaf("config", "description")
	running := func() any {
		cur, err := l.Running(device)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := cur.Get(desc)
		return v
	}
	commitAndDie := func(tx, text string) {
		t.Helper()
		d, err := open(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		tr := d.(adapters.Transactional)
		old := running()
		if err := tr.Prepare(ctx, tx, []yang.Change{{Op: yang.OpUpdate, Path: desc, Old: old, New: text}}); err != nil {
			t.Fatal(err)
		}
		if err := tr.Commit(ctx, tx, 2*time.Second); err != nil {
			t.Fatal(err)
		}
		_ = d.Close() // the coordinator is gone; the persistent commit stays pending
		if got := running(); got != text {
			t.Fatalf("after the commit: description %v, want %q", got, text)
		}
	}
	fresh := func() adapters.Resumer {
		t.Helper()
		d, err := open(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = d.Close() })
		r, ok := d.(adapters.Resumer)
		if !ok {
			t.Fatalf("%s adapter is no adapters.Resumer", protocol)
		}
		return r
	}

	commitAndDie("tx-resume-confirm", "confirmed by a restarted coordinator")
	if err := fresh().ConfirmPending(ctx, "tx-resume-confirm"); err != nil {
		t.Fatalf("ConfirmPending: %v", err)
	}
	st, err := l.Store(device)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := st.Pending(); p {
		t.Fatal("a confirmed commit is still pending")
	}
	reverts := st.Reverts()

	commitAndDie("tx-resume-cancel", "cancelled by a restarted coordinator")
	if err := fresh().CancelPending(ctx, "tx-resume-cancel"); err != nil {
		t.Fatalf("CancelPending: %v", err)
	}
	if got := running(); got != "confirmed by a restarted coordinator" {
		t.Fatalf("after CancelPending: description %v, want the confirmed one back", got)
	}
	if st.Reverts() != reverts+1 {
		t.Fatalf("reverts %d, want %d (the cancel only)", st.Reverts(), reverts+1)
	}
	r := fresh()
	for name, op := range map[string]func(context.Context, string) error{"ConfirmPending": r.ConfirmPending, "CancelPending": r.CancelPending} {
		if err := op(ctx, "tx-nothing-pending"); !errors.Is(err, adapters.ErrRejected) {
			t.Errorf("%s of nothing pending: %v, want ErrRejected", name, err)
		}
	}
	if got := running(); got != "confirmed by a restarted coordinator" {
		t.Fatalf("the refused calls changed the device: description %v", got)
	}
}
