package txn

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/netagent/netagent/adapters"
)

// State is where a transaction is in its life.
type State string

// Transaction states (ARCHITECTURE.md's names).
const (
	StatePreparing  State = "preparing"
	StatePrepared   State = "prepared"
	StateCommitting State = "committing"
	StateCommitted  State = "committed"
	StateVerifying  State = "verifying"
	StateConfirming State = "confirming" // the commit decision is taken
	StateConfirmed  State = "confirmed"
	StateAborting   State = "aborting"
	StateAborted    State = "aborted"     // nothing was committed anywhere
	StateRolledBack State = "rolled-back" // committed somewhere, undone everywhere
	StateFailed     State = "failed"      // a device could not be brought to the outcome
	StatePartial    State = "partial"     // not atomic: some devices confirmed, others undone
)

// Final reports whether the state is an outcome.
func (s State) Final() bool {
	switch s {
	case StateConfirmed, StateAborted, StateRolledBack, StateFailed, StatePartial:
		return true
	}
	return false
}

// Outcome is what became of one device.
type Outcome string

// Device outcomes.
const (
	OutcomeConfirmed  Outcome = "confirmed"   // holds the change, confirmed
	OutcomeAborted    Outcome = "aborted"     // prepared or not, never committed, discarded
	OutcomeRolledBack Outcome = "rolled-back" // committed, then undone (read back to check)
	OutcomeReverted   Outcome = "reverted"    // its confirm timer expired and the device reverted by itself
	OutcomeRedone     Outcome = "redone"      // after the commit decision its timer expired; re-applied
	OutcomeUntouched  Outcome = "untouched"   // the transaction ended before it was prepared
	OutcomeFailed     Outcome = "failed"      // left as Error says (could not be undone or read)
)

// UndoBy says how a device's commit is undone if the transaction aborts:
// the plan shows it.
type UndoBy string

// Ways a commit is undone.
const (
	UndoByTimer   UndoBy = "device-timer"   // the device's confirmed-commit timer
	UndoByInverse UndoBy = "logged-inverse" // the participant applies the inverse kept in the log
)

// DeviceResult is one participant's outcome.
type DeviceResult struct {
	Device  string  `json:"device"`
	Stage   string  `json:"stage,omitempty"`
	Outcome Outcome `json:"outcome"`
	// Phase is the last phase the device reached (prepare, commit, read,
	// confirm, abort, rollback).
	Phase  adapters.Phase `json:"phase,omitempty"`
	UndoBy UndoBy         `json:"undo_by,omitempty"`
	Error  *ErrorInfo     `json:"error,omitempty"`
}

// ErrorInfo is a device error kept as a structured value.
type ErrorInfo struct {
	Phase   string `json:"phase,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Message string `json:"message"`
}

func errorInfo(err error) *ErrorInfo {
	if err == nil {
		return nil
	}
	info := &ErrorInfo{Message: err.Error()}
	var de *adapters.DeviceError
	if errors.As(err, &de) {
		info.Phase = string(de.Phase)
		if de.Kind != nil {
			info.Kind = de.Kind.Error()
		}
	}
	return info
}

// Result is a transaction's outcome: its state, the furthest phase it
// reached, and every device's outcome.
type Result struct {
	ID      string         `json:"id"`
	Intent  string         `json:"intent,omitempty"`
	State   State          `json:"state"`
	Phase   adapters.Phase `json:"phase"`
	Reason  string         `json:"reason,omitempty"`
	Devices []DeviceResult `json:"devices"`
	Started time.Time      `json:"started"`
	Ended   time.Time      `json:"ended"`
}

// Device returns the result of device name.
func (r *Result) Device(name string) (DeviceResult, bool) {
	for _, d := range r.Devices {
		if d.Device == name {
			return d, true
		}
	}
	return DeviceResult{}, false
}

// Errors callers branch on.
var (
	// ErrRolledBack: the transaction did not happen; every device is as
	// it was (aborted, rolled back or reverted).
	ErrRolledBack = errors.New("txn: rolled back")
	// ErrFailed: some device could not be brought to the outcome.
	ErrFailed = errors.New("txn: failed")
	// ErrBusy: a device is held by another transaction (NoWait).
	ErrBusy = errors.New("txn: device busy")
	// ErrNotFound: no such transaction.
	ErrNotFound = errors.New("txn: not found")
	// ErrClosed: the coordinator is shutting down.
	ErrClosed = errors.New("txn: coordinator closed")
)

// Error is what Run returns when a transaction did not confirm: the
// result, and the device errors that caused it (errors.As finds an
// *adapters.DeviceError among them).
type Error struct {
	Result *Result
	Causes []error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "txn %s %s at %s", e.Result.ID, e.Result.State, e.Result.Phase)
	if e.Result.Reason != "" {
		b.WriteString(": " + e.Result.Reason)
	}
	return b.String()
}

// Is matches ErrRolledBack or ErrFailed by the result's state.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrRolledBack:
		return e.Result.State == StateAborted || e.Result.State == StateRolledBack
	case ErrFailed:
		return e.Result.State == StateFailed || e.Result.State == StatePartial
	}
	return false
}

// Unwrap returns the device errors.
func (e *Error) Unwrap() []error { return e.Causes }

// BusyError names the transaction holding a device.
type BusyError struct {
	Device string
	Holder string
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("txn: device %s is held by transaction %s", e.Device, e.Holder)
}

// Is matches ErrBusy.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// NewID returns a random transaction id.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "tx-" + hex.EncodeToString(b[:])
}
