package txbook

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
)

func newBook() *Book[*Tx] {
	return New[*Tx](adapters.Target{Device: "r1", Protocol: adapters.ProtocolSpec{Name: adapters.CLI}})
}

func prepare(t *testing.T, b *Book[*Tx], id string) *Tx {
	t.Helper()
	st := &Tx{ID: id}
	if err := b.Prepare(context.Background(), func() (*Tx, error) { return st, nil }); err != nil {
		t.Fatal(err)
	}
	if st.Phase != Prepared {
		t.Fatalf("phase after Prepare = %v, want Prepared", st.Phase)
	}
	return st
}

// free reports whether the writer slot is free (and leaves it free).
func free(b *Book[*Tx]) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := b.Acquire(ctx, adapters.PhaseLock); err != nil {
		return false
	}
	b.Release()
	return true
}

func TestLifecycle(t *testing.T) {
	b := newBook()
	st := prepare(t, b, "a")
	if free(b) {
		t.Fatal("a prepared transaction left the writer slot free")
	}
	// Another writer waits for the slot and gives up with a retryable ErrLocked.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	err := b.Prepare(ctx, func() (*Tx, error) { t.Fatal("staged without the slot"); return nil, nil })
	cancel()
	var de *adapters.DeviceError
	if !errors.As(err, &de) || !errors.Is(err, adapters.ErrLocked) || !adapters.Retryable(err) || de.Device != "r1" {
		t.Fatalf("second Prepare: %v, want a retryable ErrLocked naming r1", err)
	}
	if _, err := b.Prepared("b"); !errors.Is(err, adapters.ErrNoTransaction) {
		t.Fatalf("Prepared(unknown) = %v, want ErrNoTransaction", err)
	}
	if _, err := b.Confirm("a"); !errors.Is(err, adapters.ErrNoTransaction) {
		t.Fatalf("Confirm before commit = %v, want ErrNoTransaction", err)
	}
	got, err := b.Prepared("a")
	if err != nil || got != st {
		t.Fatalf("Prepared(a) = %v, %v", got, err)
	}
	b.Committed(st, time.Second) // a confirm timeout: stays open
	if st.Phase != Committed || free(b) {
		t.Fatalf("committed with a confirm timeout: phase %v, slot free %v", st.Phase, free(b))
	}
	if _, err := b.Prepared("a"); !errors.Is(err, adapters.ErrNoTransaction) {
		t.Fatalf("second commit = %v, want ErrNoTransaction", err)
	}
	if pending, err := b.Confirm("a"); pending != nil || err != nil {
		t.Fatalf("Confirm = %v, %v, want over", pending, err)
	}
	if !free(b) {
		t.Fatal("Confirm left the writer slot taken")
	}
	// Confirmed: Rollback still finds it, with the slot taken again.
	var undone []string
	undo := func(ctx context.Context, st *Tx, phase adapters.Phase) error {
		undone = append(undone, st.ID+" "+string(phase))
		if free(b) {
			t.Error("undo ran without the writer slot")
		}
		b.End(st, false)
		return nil
	}
	if err := b.Rollback(context.Background(), "a", undo); err != nil {
		t.Fatal(err)
	}
	// Forgotten after the undo: a second Rollback and an Abort are no-ops.
	if err := b.Rollback(context.Background(), "a", undo); err != nil {
		t.Fatal(err)
	}
	if err := b.Abort(context.Background(), "a", undo); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a " + string(adapters.PhaseRollback)}, undone); d != "" {
		t.Errorf("undo calls (-want +got):\n%s", d)
	}
	if !free(b) {
		t.Fatal("slot taken after the rollback")
	}
}

func TestPrepareFailureFreesSlot(t *testing.T) {
	b := newBook()
	boom := errors.New("boom")
	if err := b.Prepare(context.Background(), func() (*Tx, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if !free(b) || b.Holder() != nil {
		t.Fatal("a failed Prepare kept the slot or the transaction")
	}
}

func TestAbortOnlyCurrent(t *testing.T) {
	b := newBook()
	st := prepare(t, b, "a")
	var undone []string
	undo := func(ctx context.Context, st *Tx, phase adapters.Phase) error {
		undone = append(undone, st.ID+" "+string(phase))
		b.End(st, false)
		return nil
	}
	if err := b.Abort(context.Background(), "other", undo); err != nil {
		t.Fatal(err)
	}
	if err := b.Abort(context.Background(), "a", undo); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a " + string(adapters.PhaseAbort)}, undone); d != "" {
		t.Errorf("undo calls (-want +got):\n%s", d)
	}
	if !free(b) || b.Holder() != nil || st.Phase != Prepared {
		t.Fatal("Abort did not end the transaction")
	}
}

// TestDoneBounded: only the last MaxDone finished transactions can be
// rolled back.
func TestDoneBounded(t *testing.T) {
	b := newBook()
	for i := range MaxDone + 2 {
		st := prepare(t, b, strconv.Itoa(i))
		b.Committed(st, 0)
	}
	var undone []string
	undo := func(ctx context.Context, st *Tx, phase adapters.Phase) error {
		undone = append(undone, st.ID)
		b.End(st, false)
		return nil
	}
	for _, id := range []string{"0", "1", "2", strconv.Itoa(MaxDone + 1)} {
		if err := b.Rollback(context.Background(), id, undo); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff([]string{"2", strconv.Itoa(MaxDone + 1)}, undone); d != "" {
		t.Errorf("rolled back (-want +got):\n%s", d)
	}
}

// TestFailedUndoFreesSlot: an undo that fails without ending the
// transaction (the device unreachable at rollback, or at the cancel of a
// pending commit) still gives the writer slot back and says so; the
// transaction stays known, so a later Rollback tries again.
func TestFailedUndoFreesSlot(t *testing.T) {
	unreachable := errors.New("device unreachable")
	for _, tc := range []struct {
		name string
		run  func(b *Book[*Tx], undo Undo[*Tx]) error
	}{
		{"abort of the current transaction", func(b *Book[*Tx], undo Undo[*Tx]) error { return b.Abort(context.Background(), "a", undo) }},
		{"rollback of the current transaction", func(b *Book[*Tx], undo Undo[*Tx]) error { return b.Rollback(context.Background(), "a", undo) }},
		{"rollback of a finished transaction", func(b *Book[*Tx], undo Undo[*Tx]) error {
			b.End(b.Holder(), true)
			return b.Rollback(context.Background(), "a", undo)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBook()
			prepare(t, b, "a")
			failing := func(ctx context.Context, st *Tx, phase adapters.Phase) error { return unreachable }
			err := tc.run(b, failing)
			if !errors.Is(err, unreachable) || !strings.Contains(err.Error(), "writer slot released") {
				t.Fatalf("err = %v, want the undo's error saying the slot was released", err)
			}
			if !free(b) || b.Holder() != nil {
				t.Fatal("a failed undo kept the writer slot")
			}
			var retried bool
			ok := func(ctx context.Context, st *Tx, phase adapters.Phase) error {
				retried = true
				b.End(st, false)
				return nil
			}
			if err := b.Rollback(context.Background(), "a", ok); err != nil || !retried {
				t.Fatalf("retry of the rollback: %v, undo called %v", err, retried)
			}
			if !free(b) {
				t.Fatal("slot taken after the retried rollback")
			}
		})
	}
}
