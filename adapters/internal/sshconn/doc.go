// Package sshconn is the SSH plumbing the netconf and cli adapters share:
// the transport they hand to scrapligo, the classification of its
// failures, and the pool that keeps an adapter's one session.
//
// # Transport
//
// A Transport is scrapligo's custom transport (transport.Implementation)
// over x/crypto/ssh: the netconf subsystem (Netconf) or a shell on a pty
// (Shell). Open dials with the target's connect timeout, bounds the
// handshake and login by its auth timeout, and stops when Ctx ends.
//
// Host keys fail closed: a target without known_hosts (Target.HostKeys) is
// refused, and the key is checked during the key exchange, before user
// authentication, so a changed or unknown key means no credential left
// netagent. OnAuth, if set, is called when a credential is about to be
// sent; tests use it to prove that it was not. Passwords are revealed only
// to the SSH client, never logged.
//
// A Transport belongs to one scrapligo driver. Kill (an alias of Close)
// may be called from any goroutine, any number of times: it is how a
// cancelled ctx or a timeout aborts a hung session. After it, Read returns
// io.EOF and Write discards what it is given, which is what lets
// scrapligo's NETCONF driver stop cleanly.
//
// # Errors
//
// Every error is an *adapters.DeviceError naming the device, the protocol
// and the phase, whose Kind callers test with errors.Is: ErrHostKey,
// ErrAuth (the device refused the user, or no method it accepts),
// ErrTimeout, ErrUnreachable, ErrUnsupported (the device refused the
// subsystem or shell). Errors of Open are all NotApplied. OpenError
// classifies the error of a driver's Open the same way for both adapters,
// and ExchangeError the outcome of one exchange on an open session (a
// killed transport counts as a failure even when scrapligo saw none); the
// caller says whether a failed exchange can have applied anything.
//
// # Pool
//
// A Pool keeps an adapter's one session (any Conn: Broken, Close) and
// re-dials when it breaks. It never blocks on closing a broken session:
// that runs in a goroutine the Pool owns, and Pool.Close waits for all of
// them, so a closed adapter leaves no goroutine behind. Get after Close is
// ErrClosed. A Pool is safe for concurrent use; Get holds the pool's lock
// while dialling, so concurrent callers share one new session.
package sshconn
