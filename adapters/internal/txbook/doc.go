// Package txbook keeps the transactions of one protocol adapter (netconf,
// gnmi, cli): the device's one writer slot, the transaction that holds it,
// and the last MaxDone finished ones, which Rollback can still undo. The
// protocol work (staging, committing, undoing) stays in each adapter; the
// book is the bookkeeping they share, so the Transactional contract behaves
// the same on every protocol:
//
//   - Prepare takes the writer slot (Acquire) and, when it succeeds,
//     records the transaction (Begin); the slot stays taken until the
//     transaction ends (End), whatever ends it.
//   - Commit and Confirm find the current transaction by id (Prepared,
//     Confirm); an id that is not the current one is ErrNoTransaction.
//   - Abort of an unknown id succeeds. Rollback of an unknown id succeeds;
//     of a finished one it takes the slot again and hands the transaction
//     to the adapter's undo.
//   - An undo (Abort, Rollback) that fails without ending the
//     transaction is ended by the book all the same (kept for a later
//     Rollback), and its error says so: a device unreachable at rollback
//     never keeps its writer slot.
//   - End(st, keep) gives the slot back; keep remembers st for Rollback
//     (the oldest beyond MaxDone are forgotten), !keep forgets it.
//
// Errors are *adapters.DeviceError built from the adapter's Target, so they
// name the device, the protocol and the phase.
//
// A Book is safe for concurrent use. Its mutex is a leaf: it is never held
// while calling out (undo runs without it). Acquire blocks until the slot is
// free or ctx ends.
package txbook
