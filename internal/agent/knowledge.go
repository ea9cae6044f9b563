package agent

import (
	"context"
	"log/slog"
	"strings"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/knowledge"
	"github.com/netagent/netagent/txn"
)

// knowledgeParts is the knowledge base as the agent runs it: the base in
// the store, the recorder goroutine (run by Agent.Run, stopped with it,
// after the intent service, so late failures are still written), the API,
// and the adapter the intent service consults (intent.Advisor).
type knowledgeParts struct {
	base *knowledge.Base
	rec  *knowledge.Recorder
	api  *knowledge.Handler
	inv  *adapters.Inventory
	log  *slog.Logger
}

var (
	_ intent.Advisor      = (*knowledgeParts)(nil)
	_ txn.FailureRecorder = (*knowledgeParts)(nil)
)

func openKnowledge(ctx context.Context, db *store.DB, inv *adapters.Inventory, log *slog.Logger) (*knowledgeParts, error) {
	base, err := knowledge.New(ctx, db, knowledge.Options{Log: log})
	if err != nil {
		return nil, err
	}
	return &knowledgeParts{base: base, rec: knowledge.NewRecorder(base, log, 4096), api: knowledge.NewHandler(base, log), inv: inv, log: log}, nil
}

// platform names the device's platform for matching: its CLI platform
// when it has one (frr, eos), else its kind.
func (k *knowledgeParts) platform(device string) string {
	d, ok := k.inv.Device(device)
	if !ok {
		return ""
	}
	for _, p := range d.Protocols {
		if p.Platform != "" {
			return p.Platform
		}
	}
	return d.Kind
}

func (k *knowledgeParts) observation(f intent.Failure) knowledge.Observation {
	return knowledge.Observation{Device: f.Device, Protocol: f.Protocol, Platform: k.platform(f.Device), Kind: f.Kind,
		Phase: f.Phase, Tag: f.Tag, Path: f.Path, Message: f.Message}
}

// Advise implements intent.Advisor: the best matching case, if any.
func (k *knowledgeParts) Advise(ctx context.Context, f intent.Failure) ([]intent.Advice, error) {
	ms, err := k.base.Lookup(ctx, k.observation(f))
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	out := make([]intent.Advice, 0, len(ms))
	for _, m := range ms {
		a := intent.Advice{Case: m.Case.ID, Title: m.Case.Title, ErrorType: string(m.Case.ErrorType), Fix: m.Case.Fix,
			Score: m.Score, Why: m.Why}
		if r := m.Case.Remediation; r != nil {
			a.Remediation = &intent.Remediation{Kind: r.Kind, Auto: r.Auto, MaxAttempts: r.MaxAttempts, Wait: r.WaitDuration()}
		}
		out = append(out, a)
	}
	return out, nil
}

// Observe implements intent.Advisor: the failure is queued for the
// recorder, never waited for.
func (k *knowledgeParts) Observe(intentID string, kind intent.Kind, f intent.Failure) {
	o := k.observation(f)
	o.Intent, o.Service = intentID, string(kind)
	if o.Message == "" {
		o.Message = strings.TrimSpace(f.Kind + " " + f.Tag)
	}
	k.rec.Submit(o)
}

// RecordTxnFailure implements txn.FailureRecorder: a failure of a
// transaction that carries no intent (txn.Coordinator.RunRecorded, for
// peer agents' transactions) is queued for the recorder like an intent's.
func (k *knowledgeParts) RecordTxnFailure(txnID, device string, err error) {
	for _, f := range intent.Failures(err) {
		if f.Device == "" {
			f.Device = device
		}
		o := k.observation(f)
		if o.Message == "" {
			o.Message = strings.TrimSpace(f.Kind + " " + f.Tag)
		}
		k.rec.Submit(o)
	}
}

// Outcome implements intent.Advisor.
func (k *knowledgeParts) Outcome(caseID string, worked bool) { k.rec.SubmitOutcome(caseID, worked) }

// mcpKnowledge answers MCP's search_knowledge from the knowledge base.
type mcpKnowledge struct{ base *knowledge.Base }

func (m mcpKnowledge) Search(ctx context.Context, q string, limit int) (any, error) {
	found, err := m.base.Search(ctx, q, limit)
	if found == nil {
		found = []knowledge.Match{} // an array, as the tool's output schema says
	}
	return found, err
}

// TxnFailures is what a caller of txn.Coordinator.RunRecorded passes to
// have a transaction's failures recorded in the knowledge base (peer
// agents' transactions, which carry no intent); nil when the agent serves
// health only.
func (a *Agent) TxnFailures() txn.FailureRecorder {
	if a.net == nil || a.net.kb == nil {
		return nil
	}
	return a.net.kb
}
