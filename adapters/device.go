package adapters

import (
	"context"
	"time"

	"github.com/netagent/netagent/yang"
)

// Device is one network device behind one adapter (a protocol, or the
// failover layer over several). It offers the three generic operations of
// R19 and nothing that names a protocol.
//
// Implementations are safe for concurrent use; writes to one device are
// serialised (one writer at a time), reads may run beside them.
type Device interface {
	// Configure applies changes to the running configuration and returns
	// only after the device acknowledged them (R9). On error, Retryable
	// reports whether the device certainly did not apply them.
	Configure(ctx context.Context, changes []yang.Change) error
	// Query reads the configuration at or below paths (all of it when
	// paths is empty) into a tree holding only those subtrees.
	Query(ctx context.Context, paths []yang.Path) (*yang.Tree, error)
	// Monitor streams updates for sub to emit until ctx ends or emit
	// returns an error. It blocks; the caller owns the goroutine. It returns
	// nil when ctx ended, emit's error when emit failed, or a device error.
	Monitor(ctx context.Context, sub Subscription, emit func(Update) error) error
	// Close releases the device's sessions and waits for their goroutines.
	Close() error
}

// Mode is how a subscription delivers values.
type Mode uint8

// Subscription modes.
const (
	// ModeSample delivers every subscribed value every Interval.
	ModeSample Mode = iota
	// ModeOnChange delivers a value when it changes (and all values once
	// at the start). Protocols without native on-change support poll every
	// Interval and emit differences.
	ModeOnChange
)

func (m Mode) String() string {
	if m == ModeOnChange {
		return "on-change"
	}
	return "sample"
}

// Subscription says what Monitor streams.
type Subscription struct {
	// Paths are gNMI-style path strings. They may leave the configuration
	// model (state and counters, e.g. /interfaces/interface[name=eth1]/state/counters);
	// protocols that only read configuration (NETCONF get-config, CLI show)
	// serve the model's paths.
	Paths    []string
	Mode     Mode
	Interval time.Duration // sample or polling period; 0 means 10s
}

// DefaultInterval is the sampling period of a Subscription without one.
const DefaultInterval = 10 * time.Second

// Update is one value Monitor delivers.
type Update struct {
	Device string
	Time   time.Time
	// Path is a gNMI-style path string with keys.
	Path string
	// Value is a string, bool, uint64, int64, float64 or []byte; nil when Deleted.
	Value   any
	Deleted bool
	// Sync marks the end of the initial snapshot of a subscription.
	Sync bool
}

// Phase names the step of an operation a device error happened in.
type Phase string

// Phases of device operations.
const (
	PhaseConnect  Phase = "connect"  // TCP, TLS or SSH transport set-up, host key check
	PhaseAuth     Phase = "auth"     // credentials
	PhaseRead     Phase = "read"     // reading the current configuration (R17 phase 1)
	PhaseLock     Phase = "lock"     // taking the configuration lock
	PhaseStage    Phase = "stage"    // pushing the change to a candidate (R17 phase 2)
	PhaseValidate Phase = "validate" // the device's validation of the staged change
	PhaseCommit   Phase = "commit"   // making it running (R17 phase 3)
	PhaseConfirm  Phase = "confirm"  // confirming a commit before its timer expires
	PhaseAbort    Phase = "abort"    // discarding a staged or unconfirmed change
	PhaseRollback Phase = "rollback" // undoing a committed change
	PhaseQuery    Phase = "query"
	PhaseMonitor  Phase = "monitor"
)

// The optional phase interfaces below let the two-phase-commit coordinator
// drive any participant (a device here, a peer agent in txn) through one
// sequence, found by type assertion:
//
//	Prepare(tx) -> Commit(tx, timeout) -> Confirm(tx)
//	        \-> Abort(tx)          \-> Rollback(tx)
//
// tx names the transaction; a device uses it as the NETCONF persist-id (and
// the like), so a new session, even of a restarted coordinator, can still
// confirm or cancel a pending commit. A participant holds at most one
// transaction at a time: Prepare takes the device's writer slot and Confirm,
// Abort, Rollback, or a Commit with no confirm timer give it back. Calls
// with a tx the participant does not hold fail with ErrNoTransaction, except
// Abort and Rollback of an unknown tx, which succeed (they are idempotent, so
// a coordinator recovering from its log can repeat them).

// Preparer reads the current configuration, stages changes without making
// them running, and has the device validate them (R17 phases 1 and 2).
// After a nil return the device is ready to commit: it holds the changes,
// the lock, and the configuration read before them.
type Preparer interface {
	Prepare(ctx context.Context, tx string, changes []yang.Change) error
}

// Committer makes a prepared change running. With confirmTimeout > 0 the
// commit reverts by itself unless confirmed within that time: on the device
// where it supports confirmed commit (see Capabilities), otherwise the
// participant keeps the inverse change for Rollback and no timer runs.
type Committer interface {
	Commit(ctx context.Context, tx string, confirmTimeout time.Duration) error
}

// Confirmer confirms a commit made with a confirm timeout. Confirming
// after the timer expired fails (the device already reverted).
type Confirmer interface {
	Confirm(ctx context.Context, tx string) error
}

// Aborter discards a prepared change before it was committed; after a
// Commit with a pending confirm timer it cancels that commit.
type Aborter interface {
	Abort(ctx context.Context, tx string) error
}

// RollBacker undoes a committed (and possibly confirmed) change: it cancels
// a pending confirmed commit, or applies the inverse of the change to the
// configuration read in Prepare.
type RollBacker interface {
	Rollback(ctx context.Context, tx string) error
}

// Transactional is a participant that implements every phase.
type Transactional interface {
	Preparer
	Committer
	Confirmer
	Aborter
	RollBacker
}

// Resumer finishes a confirmed commit that another process (a coordinator
// that crashed and restarted) left pending on the device, by its persist-id
// alone: the adapter needs no memory of the transaction, any session will
// do. ConfirmPending makes the pending commit permanent; CancelPending
// reverts it now instead of when its timer fires. Both fail with an
// *DeviceError of kind ErrRejected when the device has no pending commit
// under tx (it was never made, it was confirmed or cancelled already, or
// its timer fired): the caller reads the device back to tell which.
type Resumer interface {
	ConfirmPending(ctx context.Context, tx string) error
	CancelPending(ctx context.Context, tx string) error
}

// Caps describes what a device offers; plans show it (a device without a
// confirm timer is rolled back by the participant, not by itself).
type Caps struct {
	Protocol      string // protocol currently serving the device
	Candidate     bool   // changes are staged in a candidate datastore
	Validate      bool   // the device validates a staged change
	ConfirmTimer  bool   // commits can revert by themselves (confirmed commit)
	AtomicPerCall bool   // one Configure is applied all-or-nothing
	// Unsupported names the leaves the device's platform cannot set, by
	// schema path without keys ("/interfaces/interface/config/mtu"), with
	// the reason; planners refuse them before anything is sent. Callers
	// must not modify it.
	Unsupported map[string]string
}

// RawMonitorer streams a subscription as the protocol's own wire messages
// (gNMI: each encoded SubscribeResponse) for a collector that decodes them
// itself; emit must not keep the slice after it returns. Like Monitor it
// blocks until ctx ends or emit fails.
type RawMonitorer interface {
	MonitorRaw(ctx context.Context, sub Subscription, emit func(msg []byte) error) error
}

// Capabler reports a device's capabilities.
type Capabler interface {
	Capabilities() Caps
}

// Pinger is a cheap liveness probe (a capabilities call, an empty RPC, a
// prompt): the health checker calls it. It must not change configuration.
type Pinger interface {
	Ping(ctx context.Context) error
}
