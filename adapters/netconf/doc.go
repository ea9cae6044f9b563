// Package netconf is the NETCONF (RFC 6241) adapter: a small event-driven
// NETCONF client (client.go) on the RFC 6242 framer (internal/ncframe) over
// netagent's own SSH transport (x/crypto, host keys checked against
// known_hosts before any credential is sent). An RPC writes its request
// and reads its own <rpc-reply> (matched by message-id); nothing reads
// between RPCs, so an idle session costs no CPU and no goroutine of ours.
// adapters/doc.go says why this replaced scrapligo's NETCONF driver.
//
// R17's three acknowledged phases map onto the phase interfaces:
//
//	Prepare: lock candidate, get-config running (kept for
//	         Rollback), edit-config candidate, validate (when :validate)
//	Commit:  commit, or <commit><confirmed/><confirm-timeout/><persist>tx</persist>
//	         when a confirm timeout is asked and the device has
//	         :confirmed-commit:1.1
//	Confirm: <commit><persist-id>tx</persist-id></commit> (any session can)
//	Abort:   discard-changes + unlock, or cancel-commit with the persist-id
//	Rollback: cancel-commit while pending, else the inverse change
//
// Configure runs lock, edit-config, commit, unlock in one call; devices
// without :candidate get lock and edit-config of running. The commit
// validates; a separate validate belongs to Prepare, where it answers "can
// this apply?". Every reply is
// checked: an <rpc-error> becomes a *adapters.DeviceError with its
// error-tag, error-path and error-message (lock-denied and in-use map to
// ErrLocked, access-denied to ErrAuth, operation-not-supported to
// ErrUnsupported, everything else to ErrRejected).
//
// Monitor polls: configuration paths of the model with get-config,
// anything else (state, counters, platform data; "*" key wildcards) with
// <get> and a subtree filter, the reply flattened into one update per leaf
// (Flatten). Ping is a get-config whose filter selects nothing.
//
// Encoding: OpenConfig XML when the hello lists openconfig-interfaces,
// else the IETF mapping (ietf-interfaces, ietf-ip, ietf-routing) when it
// lists ietf-interfaces; the inventory's encoding field overrides.
//
// Concurrency: an Adapter is safe for concurrent use. It pools one session
// (re-dialled after a failure); RPCs on it are serialised, and one writer
// (a Configure, or a transaction from Prepare to its end) holds the device
// at a time. A ctx that ends mid-RPC kills the session, so nothing more is
// read or sent. The error is Retryable only where that RPC could not have
// applied anything (a lock, a read, an edit of the candidate); a commit
// that got no answer is ambiguous. Close waits for every goroutine,
// the SSH layer's included (TestNoLeaks).
//
// yuma123's netconfd is recognised by its modules in the hello; its two
// known quirks are worked around: an RPC that arrives with the client's
// hello is dropped (the session pauses 50ms after the hello), and a commit
// after <validate> loses the candidate (Prepare skips validate there; the
// commit validates).
package netconf
