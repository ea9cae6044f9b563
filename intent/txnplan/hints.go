package txnplan

import (
	"slices"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/txn"
)

// LastStage is the stage a remediation's reordered devices run in: after
// every other participant has committed.
const LastStage = "remediation-last"

// WithHints returns req changed as a remediation asks (intent.ExecHints):
// at most FanOut participants at a time; the devices in Last in a stage
// after all others. Avoid needs nothing here: it reaches the adapters
// through the context.
func WithHints(req txn.Request, h intent.ExecHints) txn.Request {
	if h.FanOut > 0 && (req.Options.FanOut == 0 || h.FanOut < req.Options.FanOut) {
		req.Options.FanOut = h.FanOut
	}
	if len(h.Last) == 0 || len(req.Stages) > 0 {
		return req // a staged request keeps the order it was given
	}
	moved := false
	parts := slices.Clone(req.Participants)
	for i := range parts {
		if slices.Contains(h.Last, parts[i].Device) {
			parts[i].Stage = LastStage
			moved = true
		}
	}
	if !moved || !slices.ContainsFunc(parts, func(p txn.Participant) bool { return p.Stage == "" }) {
		return req // nothing to run first
	}
	req.Participants = parts
	req.Stages = []txn.Stage{{Name: LastStage, After: []string{""}}}
	return req
}
