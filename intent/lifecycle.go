package intent

import (
	"encoding/json"
	"time"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/trace"
)

// State is where an intent is in its lifecycle.
type State string

// Lifecycle states. accepted, planned, applying, applied, failed and
// rolled-back are set by the service; assured, drifted and breached by
// assurance; withdrawing and withdrawn by Withdraw.
const (
	StateAccepted    State = "accepted"
	StatePlanned     State = "planned"
	StateApplying    State = "applying"
	StateApplied     State = "applied"
	StateFailed      State = "failed"
	StateRolledBack  State = "rolled-back"
	StateAssured     State = "assured"
	StateDrifted     State = "drifted"
	StateBreached    State = "breached"
	StateWithdrawing State = "withdrawing"
	StateWithdrawn   State = "withdrawn"
)

// States lists every state in lifecycle order.
func States() []State {
	return []State{StateAccepted, StatePlanned, StateApplying, StateApplied, StateFailed, StateRolledBack,
		StateAssured, StateDrifted, StateBreached, StateWithdrawing, StateWithdrawn}
}

// transitions is the lifecycle: from each state, the states it may move to.
var transitions = map[State][]State{
	StateAccepted: {StatePlanned, StateFailed, StateWithdrawn},
	// planned -> planned re-plans against a changed configuration.
	StatePlanned: {StatePlanned, StateApplying, StateApplied, StateFailed, StateWithdrawn},
	// applying -> planned is recovery after a restart: the plan is
	// recomputed against what the devices hold now.
	StateApplying:    {StatePlanned, StateApplied, StateFailed, StateRolledBack},
	StateApplied:     {StateAssured, StateDrifted, StateBreached, StatePlanned, StateWithdrawing},
	StateAssured:     {StateDrifted, StateBreached, StatePlanned, StateWithdrawing},
	StateDrifted:     {StateAssured, StateBreached, StatePlanned, StateWithdrawing},
	StateBreached:    {StateAssured, StateDrifted, StatePlanned, StateWithdrawing},
	StateFailed:      {StateWithdrawing, StateWithdrawn},
	StateRolledBack:  {StateWithdrawn},
	StateWithdrawing: {StateWithdrawn, StateFailed},
	StateWithdrawn:   {},
}

// CanTransition reports whether the lifecycle allows from -> to.
func CanTransition(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// pending reports whether the service still has work to do for a record in s.
func (s State) pending() bool {
	switch s {
	case StateAccepted, StatePlanned, StateApplying, StateWithdrawing:
		return true
	}
	return false
}

// Transition is one step of an intent's lifecycle.
type Transition struct {
	State  State     `json:"state"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	// By is who made the step: the caller for a step asked for (a submit,
	// a withdraw), and for the work done after it whoever asked for that
	// work. TraceID is the trace the step ran under.
	By      *auth.Principal `json:"by,omitempty"`
	TraceID trace.ID        `json:"trace_id,omitempty"`
}

// Source says how an intent arrived.
type Source struct {
	// Channel is rest, kafka, file, nl or mcp.
	Channel string `json:"channel"`
	// Ref locates it there: a Kafka topic/partition/offset, a file name, a
	// remote address.
	Ref string `json:"ref,omitempty"`
	// Principal is who submitted it (the chain: an agent on behalf of an
	// operator), set at the edge: the REST caller's token subject, the
	// configured identity of the Kafka and file channels.
	Principal *auth.Principal `json:"principal,omitempty"`
	// TraceID is the W3C trace the intent's work carries: the caller's
	// traceparent, or one started when it arrived.
	TraceID trace.ID `json:"trace_id,omitempty"`
}

// Record is a stored intent with its plan and lifecycle.
type Record struct {
	ID        string  `json:"id"`
	Kind      Kind    `json:"kind"`
	State     State   `json:"state"`
	Intent    *Intent `json:"intent"`
	Digest    string  `json:"digest"`
	Plan      *Plan   `json:"plan,omitempty"`
	Source    Source  `json:"source"`
	Requester string  `json:"requester,omitempty"`
	Error     string  `json:"error,omitempty"`
	// Failures are the device failures of the last execution that failed,
	// as structured values; Advice the knowledge base's cases for them
	// (likely cause, fix, remediations run). Both stay once a remediation
	// made the intent succeed.
	Failures  []Failure    `json:"failures,omitempty"`
	Advice    []Advice     `json:"advice,omitempty"`
	History   []Transition `json:"history"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	// Duplicate is set on the answer to a submission whose id was already
	// stored with the same content: nothing new was accepted.
	Duplicate bool `json:"duplicate,omitempty"`
	// DryRun is set on the answer to a dry-run submission: nothing was
	// stored, Plan is what would be applied.
	DryRun bool `json:"dry_run,omitempty"`
	// Txn is the intent's latest transaction (GET /v1/txns/{id}) when the
	// executor runs plans as transactions.
	Txn string `json:"txn,omitempty"`
}

// MarshalIndent is a convenience for command-line output.
func (r *Record) MarshalIndent() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return b
}
