// Package datastore is the configuration store of one simulated device:
// the running and candidate trees (yang.Tree), NETCONF-style locks, and the
// pending confirmed commit with its revert timer. The lab's three protocol
// front ends (NETCONF, gNMI, CLI) share one Store per device, so a change
// made through one is visible through the others at once.
//
// Invariants: every method is atomic under one mutex; trees handed out are
// copies (Read lends the tree itself to a function run under the mutex);
// an Edit whose function fails leaves the store unchanged; a commit
// validates the candidate with yang.Validate first, unless it passed a
// validate unchanged since. A confirmed commit keeps
// the configuration from before it and restores it when its timer fires,
// when it is cancelled, or (if not persistent) when its session ends.
// Writes to running from gNMI or the CLI (session id 0) are refused while a
// NETCONF session holds a lock on running or candidate. When a session ends,
// its locks go, and so do uncommitted candidate edits made by it alone (a
// client that dies mid-change does not leave the candidate unlockable);
// edits several sessions made stay until commit or discard.
//
// Watchers call Changed to get a channel closed at the next change of
// running; LastEvent tells what changed. Close stops the revert timer.
package datastore
