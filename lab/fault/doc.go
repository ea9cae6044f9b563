// Package fault holds the faults injected into one simulated device and
// counts how often each fired: down, hang, latency, reject-commit,
// drop-commit and slow-commit, per protocol (netconf, gnmi, cli) or for all
// of them. The front ends consult a Set at the points where a real device
// would fail (BeforeCommit applies slow-commit then reject-commit the same
// way for all of them); Listener enforces down (closing and reopening the port) and
// hang (accepting and parking connections) below the servers.
//
// A hang or latency fault holds a request before the device acts on it, so
// a client that gives up and disconnects ends it at once; a slow-commit
// holds a commit the device has started, which completes even when the
// client that asked for it has gone (BeforeCommit's ctx is the device's
// lifetime, not the session's).
//
// Set and Listener are safe for concurrent use. One-shot faults
// (reject-commit, drop-commit) clear themselves after Count firings; the
// others last until cleared. OnChange callbacks run without locks held.
package fault
