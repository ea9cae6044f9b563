// Package audit is netagent's tamper-evident audit trail: an append-only,
// hash-chained log of who did what, on whose behalf, to which intent and
// device, under which trace, kept in the embedded store (internal/store,
// owner "audit").
//
// Entries. Each Entry has a sequence number (1, 2, 3... with no gaps), a
// time, the actor (the auth.Principal chain, as JSON), an action such as
// "intent.accepted" or "device.change", the intent, transaction and device
// it concerns, the W3C trace id, a JSON detail, the hash of the entry before
// it (Prev; 64 zeros for the first) and its own Hash: SHA-256 over the
// entry's canonical encoding (Canonical), which covers every field but Hash.
// Editing any field, deleting an entry or moving one breaks the chain at
// that entry, and Verify names it.
//
// Append only. Entries are written with Append (inside a caller's store
// transaction, so the entry commits or rolls back with the state change it
// records), AppendAll (several at once: one read of the chain's head, one
// INSERT, as an accepted intent's two entries are) or Record (a
// transaction of its own). The store refuses UPDATE
// and DELETE on the entries table with triggers; whoever can edit the file
// can drop them, which is what the signed heads are for.
//
// Signed heads. Sign stores the current head (sequence and hash) signed
// with the agent's Ed25519 key (see LoadOrCreateKey); the agent signs
// periodically and at shutdown (Run). Verify checks every stored signature
// against the key it is given and that each signed head is still in the
// chain, so truncating the log after a signed head, or rewriting the chain
// and re-hashing it without the key, is detected.
//
// Context. Record and Append fill the actor from auth.FromContext and the
// trace id from trace.IDFrom when the entry leaves them empty; an entry for
// an intent that has neither inherits them from the intent's first entry,
// so work done later by a worker (with no caller in its context) is still
// attributed to whoever submitted the intent and its trace. IntentContext
// puts them back into a context for that work.
//
// Concurrency: a Log is safe for concurrent use, also across processes
// sharing the store: the next sequence number is read and written under the
// store's write lock (transactions begin IMMEDIATE). Errors name the entry
// and wrap the store's error with %w; Verify's failures are *ChainError.
package audit
