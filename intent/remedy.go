package intent

import (
	"context"
	"database/sql"
	"slices"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/audit"
)

// Remediations that change how the next execution runs (the retry kinds
// repeat it as it was). Each re-plans against what the devices hold, then
// executes again under ExecHints.
const (
	// RemediationReduceFanOut configures one device at a time.
	RemediationReduceFanOut = "reduce-fan-out"
	// RemediationSwitchProtocol configures the failing device through its
	// other protocols (the one that failed only when nothing else is left).
	RemediationSwitchProtocol = "switch-protocol"
	// RemediationReorderDependency configures the failing device after
	// every other device of the plan, one device at a time, so what it
	// depends on elsewhere is in place first.
	RemediationReorderDependency = "reorder-dependency"
)

// automatic lists the remediation kinds the service applies by itself
// (when the case says auto).
var automatic = []string{RemediationRetryAfterLock, RemediationRetryLater, RemediationReduceFanOut,
	RemediationSwitchProtocol, RemediationReorderDependency}

// ExecHints are what remediations ask of the next execution. An Executor
// finds them with HintsFrom; DeviceExecutor honours FanOut and Last, and
// Avoid reaches the adapters through the context (adapters.WithAvoid), so
// it holds for any executor that passes its context down.
type ExecHints struct {
	// FanOut bounds how many devices are configured at a time (0: the
	// executor's own bound).
	FanOut int `json:"fan_out,omitempty"`
	// Last are devices configured after all others, in this order.
	Last []string `json:"last,omitempty"`
	// Avoid maps a device to protocols it is configured through only when
	// nothing else is left.
	Avoid map[string][]string `json:"avoid,omitempty"`
}

type hintsKey struct{}

// WithHints returns ctx carrying h for the executor, and h.Avoid for the
// adapters.
func WithHints(ctx context.Context, h ExecHints) context.Context {
	for d, ps := range h.Avoid {
		ctx = adapters.WithAvoid(ctx, d, ps...)
	}
	return context.WithValue(ctx, hintsKey{}, h)
}

// HintsFrom returns the hints ctx carries (none: the zero value).
func HintsFrom(ctx context.Context) ExecHints {
	h, _ := ctx.Value(hintsKey{}).(ExecHints)
	return h
}

// add returns h with what remediation kind asks for device (whose
// failure came through protocol).
func (h ExecHints) add(kind, device, protocol string) ExecHints {
	switch kind {
	case RemediationReduceFanOut:
		h.FanOut = 1
	case RemediationReorderDependency:
		h.FanOut = 1
		if device != "" && !slices.Contains(h.Last, device) {
			h.Last = append(slices.Clone(h.Last), device)
		}
	case RemediationSwitchProtocol:
		if device != "" && protocol != "" {
			m := make(map[string][]string, len(h.Avoid)+1)
			for d, ps := range h.Avoid {
				m[d] = ps
			}
			if !slices.Contains(m[device], protocol) {
				m[device] = append(slices.Clone(m[device]), protocol)
			}
			h.Avoid = m
		}
	}
	return h
}

// ordered returns plan's devices with those in h.Last moved to the end,
// in h.Last's order, and the fan-out to use (limit unless h bounds it).
func (h ExecHints) ordered(plan *Plan, limit int) ([]DevicePlan, int) {
	if h.FanOut > 0 {
		limit = min(limit, h.FanOut)
	}
	if len(h.Last) == 0 {
		return plan.Devices, limit
	}
	out := make([]DevicePlan, 0, len(plan.Devices))
	for _, dp := range plan.Devices {
		if !slices.Contains(h.Last, dp.Device) {
			out = append(out, dp)
		}
	}
	for _, d := range h.Last {
		for _, dp := range plan.Devices {
			if dp.Device == d {
				out = append(out, dp)
			}
		}
	}
	return out, limit
}

// protocolOf is the protocol through which device failed, "" when none
// of fs names it.
func protocolOf(fs []Failure, device string) string {
	for _, f := range fs {
		if f.Device == device && f.Protocol != "" {
			return f.Protocol
		}
	}
	return ""
}

// ActionRemediation is the audit action of one remediation attempt.
const ActionRemediation = "knowledge.remediation"

// RemediationAudit is the detail of a knowledge.remediation audit entry.
type RemediationAudit struct {
	Case        string    `json:"case"`
	Kind        string    `json:"kind"`
	Attempt     int       `json:"attempt"`
	MaxAttempts int       `json:"max_attempts"`
	Outcome     string    `json:"outcome"`
	Fix         string    `json:"fix,omitempty"`
	Hints       ExecHints `json:"hints"`
	// By says the agent ran it on its own (the entry's actor is the
	// intent's submitter, on whose behalf).
	By string `json:"by"`
}

// auditRemediation records one attempt in the audit log: the entry names
// the intent, so its actor and trace are the submission's. A failure to
// record is logged; the remediation has happened either way.
func (s *Service) auditRemediation(ctx context.Context, rec *Record, a *Advice, r Remediation, h ExecHints) {
	if s.recs.audit == nil {
		return
	}
	d := RemediationAudit{Case: a.Case, Kind: r.Kind, Attempt: r.Attempt, MaxAttempts: r.MaxAttempts, Outcome: r.Outcome,
		Fix: a.Fix, Hints: h, By: "netagent knowledge remediation"}
	err := s.recs.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := s.recs.audit.Append(ctx, tx, audit.Entry{Action: ActionRemediation, Intent: rec.ID, Device: a.Device,
			Time: r.At, Detail: audit.Detail(d)})
		return err
	})
	if err != nil {
		s.log.ErrorContext(ctx, "audit: remediation not recorded", "id", rec.ID, "case", a.Case, "err", err)
	}
}

// observePlanning is observe for a planning attempt: a failure the
// intent's earlier planning attempts met already is not observed again
// (planning retries are one failure, not one per attempt).
func (s *Service) observePlanning(rec *Record, err error) []Failure {
	fs := Failures(err)
	s.mu.Lock()
	if s.planSeen == nil {
		s.planSeen = map[string]map[Failure]bool{}
	}
	seen := s.planSeen[rec.ID]
	if seen == nil {
		seen = map[Failure]bool{}
		s.planSeen[rec.ID] = seen
	}
	var fresh []Failure
	for _, f := range fs {
		if !seen[f] {
			seen[f] = true
			fresh = append(fresh, f)
		}
	}
	s.mu.Unlock()
	if s.advisor != nil {
		for _, f := range fresh {
			s.advisor.Observe(rec.ID, rec.Kind, f)
		}
	}
	return fs
}

// forgetPlanning drops what observePlanning kept for id (its planning is
// over: it succeeded, or the intent failed).
func (s *Service) forgetPlanning(id string) {
	s.mu.Lock()
	delete(s.planSeen, id)
	s.mu.Unlock()
}
