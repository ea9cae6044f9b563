package txnplan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/txn"
)

// Executor applies intent plans through the transaction coordinator.
type Executor struct {
	coord *txn.Coordinator
}

var (
	_ intent.Executor  = (*Executor)(nil)
	_ intent.TxnLinker = (*Executor)(nil)
)

// New returns an executor over coord.
func New(coord *txn.Coordinator) *Executor { return &Executor{coord: coord} }

// Request translates a plan into a transaction request: devices without
// changes take no part.
func Request(in *intent.Intent, plan *intent.Plan) txn.Request {
	req := txn.Request{ID: txn.NewID(), Intent: in.ID, Options: txn.Options{
		ConfirmTimeout: time.Duration(in.Options.ConfirmTimeout),
		Soak:           time.Duration(in.Options.Soak),
		NotAtomic:      !in.Options.IsAtomic(),
	}}
	for _, d := range plan.Devices {
		if len(d.Changes) == 0 {
			continue
		}
		req.Participants = append(req.Participants, txn.Participant{Device: d.Device, Changes: d.Changes, Undo: d.Undo})
	}
	return req
}

// Execute implements intent.Executor: the plan runs as one transaction.
func (x *Executor) Execute(ctx context.Context, in *intent.Intent, plan *intent.Plan) error {
	req := WithHints(Request(in, plan), intent.HintsFrom(ctx))
	if len(req.Participants) == 0 {
		return nil
	}
	_, err := x.coord.Run(ctx, req)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, txn.ErrRolledBack):
		return fmt.Errorf("%w: %w", intent.ErrRolledBack, err)
	}
	return fmt.Errorf("transaction %s: %w", req.ID, err)
}

// TxnOf implements intent.TxnLinker: the intent's latest transaction.
func (x *Executor) TxnOf(ctx context.Context, intentID string) (string, error) {
	l, err := x.coord.List(ctx, txn.ListQuery{Intent: intentID, Limit: 1})
	if err != nil || len(l) == 0 {
		return "", err
	}
	return l[0].ID, nil
}
