// Package netconfsrv is the lab's NETCONF server (RFC 6241 over SSH, RFC
// 6242 framing) for one simulated device, on a shared datastore.Store.
//
// Framer implements both framings: end-of-message "]]>]]>" (base:1.0) and
// chunked (base:1.1), chosen after the hello exchange: chunked when the
// client's hello lists base:1.1. A framing error in chunked mode ends the
// session after a malformed-message rpc-error (the stream cannot be
// resynchronised); malformed XML inside a well-framed message gets the
// rpc-error and the session goes on.
//
// The operations, capabilities and error mapping are listed in the lab
// package documentation. Errors from the datastore and the yang package map
// to rpc-errors at this edge only: *datastore.LockError to lock-denied with
// the holder's session-id, *yang.EditError to its tag, *yang.ValidationError
// to one invalid-value rpc-error per field with an XPath error-path.
//
// After create-subscription a session also receives netconf-config-change
// notifications (RFC 5277 / RFC 6470); a goroutine per subscribed session
// sends them and ends with the session. Writes to a session are serialised.
//
// A session ends with close-session, kill-session from another session,
// the client closing, or the server closing; its locks are released and a
// non-persistent confirmed commit it issued is reverted. The client closing
// ends the session at once even while a request hangs (a hang or latency
// fault): the session's context ends with its transport. A commit that has
// started (one waiting under the slow-commit fault) is not aborted by the
// client going away, as on a real device: it completes, then the session is
// torn down (so its locks are held until the commit is done, and a plain
// commit stays while a non-persistent confirmed one reverts). kill-session
// and Close abort it (RFC 6241 7.9). Server is safe for concurrent use;
// Close waits for every session.
package netconfsrv
