package txbook

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/yang"
)

// Phase is where a transaction stands.
type Phase uint8

// Transaction phases.
const (
	Prepared  Phase = iota + 1
	Pending         // committed with the device's confirm timer running
	Committed       // committed without a device timer; the inverse undoes it
)

// Tx is what every adapter keeps of a transaction. An adapter's own state
// embeds it (and adds what its protocol needs, such as a session).
type Tx struct {
	ID      string
	Phase   Phase
	Changes []yang.Change
	Before  *yang.Tree // the configuration the changes were made against
	// Deadline is when the device's confirm timer expires (Pending).
	Deadline time.Time
}

// Base returns t; a state that embeds Tx satisfies State through it.
func (t *Tx) Base() *Tx { return t }

// State is an adapter's transaction state: a pointer to a struct that
// embeds Tx.
type State interface {
	comparable
	Base() *Tx
}

// MaxDone is how many finished transactions Rollback can still undo.
const MaxDone = 16

// Book is one adapter's transaction bookkeeping (see the package doc).
type Book[S State] struct {
	t      adapters.Target
	writer chan struct{} // the one-writer slot

	mu      sync.Mutex // protects following fields
	cur     S          // the transaction holding the slot, or the zero S
	done    map[string]S
	doneIDs []string // done's keys, oldest first
}

// New returns an empty book for the adapter of t.
func New[S State](t adapters.Target) *Book[S] {
	return &Book[S]{t: t, writer: make(chan struct{}, 1), done: map[string]S{}}
}

// Acquire takes the writer slot, waiting until it is free or ctx ends
// (ErrLocked, naming phase).
func (b *Book[S]) Acquire(ctx context.Context, phase adapters.Phase) error {
	select {
	case b.writer <- struct{}{}:
		return nil
	case <-ctx.Done():
		return b.t.Err(phase, adapters.ErrLocked, true, ctx.Err(), "another write to this device is in progress")
	}
}

// Release gives the writer slot back; the caller took it with Acquire.
func (b *Book[S]) Release() { <-b.writer }

// Begin makes st the current transaction. The caller holds the slot.
func (b *Book[S]) Begin(st S) {
	b.mu.Lock()
	b.cur = st
	b.mu.Unlock()
}

// Prepare takes the writer slot (ErrLocked if ctx ends first) and runs
// stage. The transaction stage returns becomes the current one, Prepared,
// and holds the slot until it ends; when stage fails the slot is given
// back.
func (b *Book[S]) Prepare(ctx context.Context, stage func() (S, error)) error {
	if err := b.Acquire(ctx, adapters.PhaseLock); err != nil {
		return err
	}
	st, err := stage()
	if err != nil {
		b.Release()
		return err
	}
	st.Base().Phase = Prepared
	b.Begin(st)
	return nil
}

// Holder returns the current transaction, or the zero S.
func (b *Book[S]) Holder() S {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cur
}

// Current returns the current transaction if its id is id, else
// ErrNoTransaction for phase.
func (b *Book[S]) Current(id string, phase adapters.Phase) (S, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var zero S
	if b.cur == zero || b.cur.Base().ID != id {
		return zero, b.t.Err(phase, adapters.ErrNoTransaction, true, nil, "transaction "+id+" is not prepared here")
	}
	return b.cur, nil
}

// Prepared returns the current transaction id for Commit: it must be
// prepared and not committed yet.
func (b *Book[S]) Prepared(id string) (S, error) {
	st, err := b.Current(id, adapters.PhaseCommit)
	if err != nil {
		return st, err
	}
	if st.Base().Phase != Prepared {
		var zero S
		return zero, b.t.Err(adapters.PhaseCommit, adapters.ErrNoTransaction, true, nil, "transaction "+id+" is already committed")
	}
	return st, nil
}

// Committed records that st was committed without a device timer; with
// confirmTimeout <= 0 the transaction is over (kept for Rollback),
// otherwise it stays open for Confirm or Rollback.
func (b *Book[S]) Committed(st S, confirmTimeout time.Duration) {
	st.Base().Phase = Committed
	if confirmTimeout <= 0 {
		b.End(st, true)
	}
}

// Confirm starts Confirm of id. A transaction not committed yet is an
// error; one committed without a device timer is over, ended here (the
// zero S and nil are returned). A Pending one is returned: the adapter
// confirms it on the device and ends it.
func (b *Book[S]) Confirm(id string) (S, error) {
	var zero S
	st, err := b.Current(id, adapters.PhaseConfirm)
	if err != nil {
		return zero, err
	}
	switch st.Base().Phase {
	case Prepared:
		return zero, b.t.Err(adapters.PhaseConfirm, adapters.ErrNoTransaction, true, nil, "transaction "+id+" is not committed yet")
	case Committed:
		b.End(st, true)
		return zero, nil
	}
	return st, nil
}

// End forgets st as the current transaction and gives the writer slot
// back. keep remembers st for Rollback; !keep forgets it.
func (b *Book[S]) End(st S, keep bool) {
	b.mu.Lock()
	if b.cur == st {
		var zero S
		b.cur = zero
	}
	id := st.Base().ID
	if keep {
		if _, ok := b.done[id]; !ok {
			b.doneIDs = append(b.doneIDs, id)
		}
		b.done[id] = st
		if len(b.doneIDs) > MaxDone {
			delete(b.done, b.doneIDs[0])
			b.doneIDs = b.doneIDs[1:]
		}
	} else if _, ok := b.done[id]; ok {
		delete(b.done, id)
		for i, d := range b.doneIDs {
			if d == id {
				b.doneIDs = append(b.doneIDs[:i:i], b.doneIDs[i+1:]...)
				break
			}
		}
	}
	b.mu.Unlock()
	b.Release()
}

// Undo is an adapter's undo of st in phase (PhaseAbort or PhaseRollback);
// it ends st.
type Undo[S State] func(ctx context.Context, st S, phase adapters.Phase) error

// Abort undoes id if it is the current transaction; an unknown id
// succeeds.
func (b *Book[S]) Abort(ctx context.Context, id string, undo Undo[S]) error {
	b.mu.Lock()
	st := b.cur
	b.mu.Unlock()
	var zero S
	if st == zero || st.Base().ID != id {
		return nil
	}
	return b.ended(st, undo(ctx, st, adapters.PhaseAbort))
}

// ended makes sure an undo that failed still ended st: a transaction
// whose undo could not reach the device must not keep the writer slot, or
// every later write of the device waits forever. st is kept, so Rollback
// can try again; the error says the slot was given back.
func (b *Book[S]) ended(st S, err error) error {
	if err == nil {
		return nil
	}
	b.mu.Lock()
	still := b.cur == st
	b.mu.Unlock()
	if !still {
		return err
	}
	b.End(st, true)
	return fmt.Errorf("%w (transaction %s ended, the writer slot released; Rollback may be retried)", err, st.Base().ID)
}

// Rollback undoes id: the current transaction, or a finished one (which
// takes the writer slot again for its inverse). An unknown id succeeds.
func (b *Book[S]) Rollback(ctx context.Context, id string, undo Undo[S]) error {
	var zero S
	b.mu.Lock()
	st, active := b.cur, true
	if st == zero || st.Base().ID != id {
		st, active = b.done[id], false
	}
	b.mu.Unlock()
	if st == zero {
		return nil
	}
	if !active {
		if err := b.Acquire(ctx, adapters.PhaseRollback); err != nil {
			return err
		}
		b.Begin(st)
	}
	return b.ended(st, undo(ctx, st, adapters.PhaseRollback))
}
