package intent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/netagent/netagent/adapters"
)

// Failure is one device failure kept on an intent's record as a
// structured value (not a string), for the knowledge base and the audit.
type Failure struct {
	Device   string `json:"device,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	Phase    string `json:"phase,omitempty"`
	// Kind is the adapters' kind: locked, rejected, auth, host-key,
	// timeout, unreachable, unsupported, closed, no-transaction; "" when
	// the error did not come from a device.
	Kind    string `json:"kind,omitempty"`
	Tag     string `json:"tag,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	// Retryable: the device certainly did not apply the change.
	Retryable bool `json:"retryable"`
}

var kindNames = []struct {
	err  error
	name string
}{
	{adapters.ErrLocked, "locked"}, {adapters.ErrRejected, "rejected"}, {adapters.ErrAuth, "auth"},
	{adapters.ErrHostKey, "host-key"}, {adapters.ErrTimeout, "timeout"}, {adapters.ErrUnreachable, "unreachable"},
	{adapters.ErrUnsupported, "unsupported"}, {adapters.ErrClosed, "closed"}, {adapters.ErrNoTransaction, "no-transaction"},
}

// Failures extracts the device failures of err: every *adapters.DeviceError
// in its tree (the innermost of a nested chain, with the device named by
// an outer one when it lacks it). An error without any gives one Failure
// holding its text.
func Failures(err error) []Failure {
	if err == nil {
		return nil
	}
	var out []Failure
	var walk func(e error, device string)
	walk = func(e error, device string) {
		if e == nil {
			return
		}
		if de, ok := e.(*adapters.DeviceError); ok {
			var inner *adapters.DeviceError
			if de.Err != nil && errors.As(de.Err, &inner) {
				d := de.Device
				if d == "" {
					d = device
				}
				walk(de.Err, d)
				return
			}
			f := Failure{Device: de.Device, Protocol: de.Protocol, Phase: string(de.Phase), Tag: de.Tag, Path: de.Path,
				Message: de.Message, Retryable: adapters.Retryable(de)}
			if f.Device == "" {
				f.Device = device
			}
			for _, k := range kindNames {
				if errors.Is(de, k.err) {
					f.Kind = k.name
					break
				}
			}
			if f.Message == "" && de.Err != nil {
				f.Message = de.Err.Error()
			}
			if f.Message == "" {
				f.Message = de.Error()
			}
			for _, g := range out {
				if g == f {
					return
				}
			}
			out = append(out, f)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x, device)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap(), device)
		}
	}
	walk(err, "")
	if len(out) == 0 {
		out = append(out, Failure{Message: err.Error()})
	}
	return out
}

// Advisor is the knowledge base as the service consults it (the agent
// adapts knowledge.Base to it). Advise must return quickly: the service
// bounds it with AdviseTimeout and goes on without advice when it is
// slow. Observe and Outcome must not block (they queue).
type Advisor interface {
	// Advise returns the known cases that match f, best first.
	Advise(ctx context.Context, f Failure) ([]Advice, error)
	// Observe records a failure of an intent (its id and kind).
	Observe(intentID string, kind Kind, f Failure)
	// Outcome records whether a case's remediation worked.
	Outcome(caseID string, worked bool)
}

// AdviseTimeout bounds one consultation of the Advisor.
const AdviseTimeout = time.Second

// Advice is a known case matched to a failure of the intent: the likely
// cause and its fix, and the remediations the service ran for it.
type Advice struct {
	Case      string   `json:"case"`
	Title     string   `json:"title"`
	ErrorType string   `json:"error_type"`
	Fix       string   `json:"fix"`
	Score     float64  `json:"score"`
	Why       []string `json:"why,omitempty"`
	// Device is the device whose failure matched.
	Device      string        `json:"device,omitempty"`
	Remediation *Remediation  `json:"remediation,omitempty"`
	Applied     []Remediation `json:"applied,omitempty"`
}

// Remediation is a remediation a case suggests or, in Advice.Applied, one
// attempt the service made.
type Remediation struct {
	Kind string `json:"kind"`
	// Auto: the service applies it by itself (retry-after-lock,
	// retry-later), bounded by MaxAttempts, waiting Wait (doubled each
	// time) before each attempt.
	Auto        bool          `json:"auto,omitempty"`
	MaxAttempts int           `json:"max_attempts,omitempty"`
	Wait        time.Duration `json:"-"`
	// Set on an attempt.
	Attempt int       `json:"attempt,omitempty"`
	At      time.Time `json:"at,omitzero"`
	Outcome string    `json:"outcome,omitempty"`
}

type remediationJSON struct {
	Kind        string    `json:"kind"`
	Auto        bool      `json:"auto,omitempty"`
	MaxAttempts int       `json:"max_attempts,omitempty"`
	Wait        string    `json:"wait,omitempty"`
	Attempt     int       `json:"attempt,omitempty"`
	At          time.Time `json:"at,omitzero"`
	Outcome     string    `json:"outcome,omitempty"`
}

// MarshalJSON writes Wait as a Go duration ("2s").
func (r Remediation) MarshalJSON() ([]byte, error) {
	j := remediationJSON{Kind: r.Kind, Auto: r.Auto, MaxAttempts: r.MaxAttempts, Attempt: r.Attempt, At: r.At, Outcome: r.Outcome}
	if r.Wait > 0 {
		j.Wait = r.Wait.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Remediation) UnmarshalJSON(b []byte) error {
	var j remediationJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Remediation{Kind: j.Kind, Auto: j.Auto, MaxAttempts: j.MaxAttempts, Attempt: j.Attempt, At: j.At, Outcome: j.Outcome}
	if j.Wait != "" {
		d, err := time.ParseDuration(j.Wait)
		if err != nil {
			return fmt.Errorf("remediation wait: %w", err)
		}
		r.Wait = d
	}
	return nil
}

// Retry remediation kinds: both repeat a change the device did not keep,
// re-planned against what the devices hold at that moment (remedy.go has
// the kinds that change how it is repeated).
const (
	RemediationRetryAfterLock = "retry-after-lock"
	RemediationRetryLater     = "retry-later"
)

// maxRemediationWait bounds one wait, whatever a case says.
const maxRemediationWait = 30 * time.Second

// observe tells the advisor about every failure in err.
func (s *Service) observe(rec *Record, err error) []Failure {
	fs := Failures(err)
	if s.advisor != nil {
		for _, f := range fs {
			s.advisor.Observe(rec.ID, rec.Kind, f)
		}
	}
	return fs
}

// advise consults the advisor for each failure, within AdviseTimeout.
func (s *Service) advise(ctx context.Context, fs []Failure) []Advice {
	if s.advisor == nil {
		return nil
	}
	actx, cancel := context.WithTimeout(ctx, AdviseTimeout)
	defer cancel()
	var out []Advice
	for _, f := range fs {
		as, err := s.advisor.Advise(actx, f)
		if err != nil {
			s.log.Warn("knowledge consultation failed", "device", f.Device, "err", err)
			return out
		}
		if len(as) > 0 {
			a := as[0]
			a.Device = f.Device
			out = append(out, a)
		}
	}
	return out
}

// execute runs the plan; on failure it records the failures, consults the
// knowledge base and, when a matched case has an automatic remediation,
// applies it (bounded by the case's attempts, waits logged), re-planning
// before every retry. The failures and advice are stored on the record
// before it returns. A rollback has finished before any of this starts:
// the executor returns only once it has undone what it applied.
func (s *Service) execute(ctx context.Context, rec *Record, names []string, plan *Plan) error {
	err := s.exec.Execute(ctx, rec.Intent, plan)
	if err == nil || ctx.Err() != nil {
		return err
	}
	var advice []Advice
	var failures []Failure
	seen := map[Failure]bool{} // observed in this execution: a retry's same failure counts once
	var hints ExecHints        // what the remediations so far ask of the next execution
	for {
		failures = s.observeNew(rec, err, seen)
		advice = mergeAdvice(advice, s.advise(ctx, failures))
		i := nextRemediation(advice)
		if i < 0 {
			break
		}
		a := &advice[i]
		r := *a.Remediation
		r.Attempt = len(a.Applied) + 1
		wait := min(r.Wait<<(r.Attempt-1), maxRemediationWait)
		s.log.Warn("knowledge remediation", "id", rec.ID, "case", a.Case, "remediation", r.Kind,
			"attempt", r.Attempt, "max_attempts", r.MaxAttempts, "wait", wait, "device", a.Device)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		r.At = s.now().UTC()
		hints = hints.add(r.Kind, a.Device, protocolOf(failures, a.Device))
		plan2, perr := s.compiler.CompileFor(ctx, rec.Intent, names)
		if perr == nil {
			if perr = s.recs.setPlan(ctx, rec.ID, StateApplying, plan2, r.At); perr == nil {
				perr = s.exec.Execute(WithHints(ctx, hints), rec.Intent, plan2)
			}
		}
		if perr == nil {
			r.Outcome = "succeeded"
			a.Applied = append(a.Applied, r)
			s.advisor.Outcome(a.Case, true)
			s.log.Info("knowledge remediation worked", "id", rec.ID, "case", a.Case, "attempt", r.Attempt)
			s.auditRemediation(ctx, rec, a, r, hints)
			s.saveOutcome(ctx, rec, failures, advice)
			return nil
		}
		if ctx.Err() != nil {
			return perr
		}
		r.Outcome = "failed: " + perr.Error()
		a.Applied = append(a.Applied, r)
		s.advisor.Outcome(a.Case, false)
		s.auditRemediation(ctx, rec, a, r, hints)
		err = perr
	}
	s.saveOutcome(ctx, rec, failures, advice)
	return err
}

// observeNew is observe for the failures of err not in seen (which it
// fills): the same failure met again by a retry is one sighting.
func (s *Service) observeNew(rec *Record, err error, seen map[Failure]bool) []Failure {
	fs := Failures(err)
	if s.advisor != nil {
		for _, f := range fs {
			if !seen[f] {
				seen[f] = true
				s.advisor.Observe(rec.ID, rec.Kind, f)
			}
		}
	}
	return fs
}

// nextRemediation is the index of the advice whose automatic remediation
// has attempts left, or -1.
func nextRemediation(advice []Advice) int {
	for i, a := range advice {
		r := a.Remediation
		if r == nil || !r.Auto || len(a.Applied) >= r.MaxAttempts {
			continue
		}
		if slices.Contains(automatic, r.Kind) {
			return i
		}
	}
	return -1
}

// mergeAdvice adds new advice, keeping the attempts already made for a
// case.
func mergeAdvice(old, add []Advice) []Advice {
	for _, a := range add {
		found := false
		for i := range old {
			if old[i].Case == a.Case {
				old[i].Score, old[i].Why, found = a.Score, a.Why, true
				break
			}
		}
		if !found {
			old = append(old, a)
		}
	}
	return old
}

func (s *Service) saveOutcome(ctx context.Context, rec *Record, fs []Failure, advice []Advice) {
	if err := s.recs.setOutcome(ctx, rec.ID, fs, advice); err != nil && ctx.Err() == nil {
		s.log.Error("intent: store failures", "id", rec.ID, "err", err)
	}
}
