// Package txn runs a change across many devices as one two-phase-commit
// transaction (R14), keeps a write-ahead log of it in the embedded store,
// recovers after a crash, and streams its progress (R13).
//
// # Shape
//
// txn stands below intent: it has its own Request (participants, each a
// device with its change set and the undo of it; stages with the stages
// they run after; options: confirm timeout, fan-out, atomic, soak, no-wait)
// and never imports intent. intent/txnplan translates an intent.Plan into a
// Request and implements intent.Executor over a Coordinator.
//
// # The protocol
//
// Participants are devices driven through the adapters' phase interfaces
// (adapters.Transactional, found by type assertion on the pool's devices):
//
//	prepare  every participant, stage by stage (session, lock, change
//	         staged, device validation)
//	commit   every participant, stage by stage, each with a device-side
//	         confirm timer (NETCONF confirmed commit with persist-id, gNMI
//	         commit-confirmed); a device without one (CLI platforms) commits
//	         plainly and its inverse change is kept in the log
//	verify   every device read back: each change must be there
//	soak     Config.Soak (telemetry's KPI checks) or the request's Soak
//	decision the commit decision is logged
//	confirm  every participant
//
// Any failure, a cancelled ctx or an expired deadline before the decision
// rolls back every participant, newest stage first, through one path:
// Abort what was only prepared, Rollback what was committed, then read the
// device back; a device that still holds the change after its confirm
// timer is left one more timer window and then gets the logged inverse.
// After the decision nothing rolls back: a confirm that fails (timer
// expired, session dropped) is followed, once the device's timer has
// certainly fired, by applying the change again and reading it back. The
// Result names every device's outcome (confirmed, aborted, rolled-back,
// reverted by its timer, redone, untouched, failed), the phase it reached
// and how it is undone (UndoBy: device-timer or logged-inverse), and the
// transaction's state and furthest phase. Run returns an *Error when the
// transaction did not confirm: errors.Is ErrRolledBack when every device
// is as before, ErrFailed when some device could not be brought there
// (named with its error).
//
// Devices in one stage run in parallel with bounded fan-out (errgroup with
// SetLimit; Config.FanOut, default DefaultFanOut, per request
// Options.FanOut); each device step is bounded by Config.StepTimeout.
//
// # One writer per device
//
// The coordinator owns who writes a device: a transaction takes all its
// devices at once or waits for them (queued), or with Options.NoWait is
// refused with a *BusyError naming the transaction that holds the device.
// Taking every device at once means two transactions never deadlock.
//
// # Write-ahead log and recovery
//
// Before each step (begin, prepare and commit of a stage, verify, decision,
// abort, end) a row is written and synced in the store (tables txn and
// txn_log, owner "txn", numbered migrations); the commit row carries the
// confirm deadline, which devices have timers, and the persist-id the
// devices hold the confirmed commit under. With Config.Audit each step,
// the outcome and every device's outcome are audit entries appended in the
// same store transaction as the row. Recover, run by the agent before the
// intent service plans anything, finishes every transaction without an
// outcome, at once rather than on the devices' timers: before the decision
// it presumes abort (prepared-only devices lost their candidate with the
// coordinator's sessions; committed ones get cancel-commit by the
// persist-id, adapters.Resumer, over the restarted coordinator's own
// sessions, or the logged inverse on devices without a timer; each is read
// back), after it it drives forward (each device's pending commit is
// confirmed by the persist-id; a device with nothing pending that lacks
// the change gets it applied again, and is read back). Only a device that
// cannot be asked is left to its timer, which recovery then waits for.
// The devices are all-or-nothing at every point where recovery ends.
//
// A confirm that fails on a dropped session is retried by the persist-id
// over new sessions until just before the device's timer; only then is the
// change left to revert and applied again.
//
// Read-backs read only the subtrees the changes touch (readScope).
//
// # Peer agents
//
// Peers routes each device to its owner: a device another agent owns
// opens as a remote participant (peerDevice) driven over that agent's
// peer API (HTTP/JSON, mutual TLS, scope txn:participate), so the
// coordinator sees one more transactional device; PeerServer is the
// participant side over this coordinator's devices and writer slots. A
// participant checks that it owns every device named and refuses a
// replayed or out-of-order phase. One whose coordinator goes silent past
// its devices' confirm timers asks it for the decision (GET
// /v1/peer/decisions/{id}) and otherwise rolls back by itself. Its memory
// of a transaction is its process's: one SIGKILLed and restarted answers
// a rollback or abort of a transaction it no longer holds by cancelling
// what each device holds pending under the transaction's persist-id, and
// a coordinator's confirm that finds it restarted is retried as a confirm
// by persist-id (a peer device is an adapters.Resumer: POST
// /v1/peer/devices/{name}/pending); a rollback the owner did not answer is
// repeated until it does. A device without a timer gets its logged
// inverse through the owner's configure. Peers.Arrange, which Run calls
// before validating a request, gives a peer configured First a stage of
// its own before this agent's part.
//
// # Progress
//
// Every transaction streams events (state changes, each device's steps,
// percent of all device steps done, the outcome last) to Follow and over
// Server-Sent Events at GET /v1/txns/{id}/events (Routes; intents:read):
// a late subscriber first gets a snapshot of the current state, and
// Last-Event-ID resumes after an event. GET /v1/txns and GET /v1/txns/{id}
// give status. The last 64 finished transactions' events stay in memory;
// older ones stream their stored outcome.
//
// # Contracts
//
// A Coordinator is safe for concurrent use; Run blocks until the
// transaction has an outcome and leaves no goroutine behind. ctx bounds
// the transaction until its decision; rollback, confirm and re-apply run on
// context.WithoutCancel (a half-done transaction is worse than a late one),
// bounded by RollbackTimeout and the confirm timeout.
package txn
