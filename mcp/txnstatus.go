package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/txn"
)

// TxnStatus is the answer of txn_status: where a transaction is, and each
// device's part in it.
type TxnStatus struct {
	Txn    string    `json:"txn"`
	Intent string    `json:"intent,omitempty"`
	State  txn.State `json:"state"`
	// Phase is the furthest phase the transaction reached (once ended).
	Phase  adapters.Phase `json:"phase,omitempty"`
	Reason string         `json:"reason,omitempty"`
	// Running is true while the transaction has no outcome yet.
	Running bool `json:"running"`
	// Percent is the share of every device's steps done (100 once ended).
	Percent   int         `json:"percent"`
	Devices   []TxnDevice `json:"devices"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// TxnDevice is one participant of a transaction.
type TxnDevice struct {
	Device string `json:"device"`
	// Step is the device's last step in the progress stream, while the
	// transaction runs.
	Step    string         `json:"step,omitempty"`
	Outcome txn.Outcome    `json:"outcome,omitempty"`
	Phase   adapters.Phase `json:"phase,omitempty"`
	UndoBy  txn.UndoBy     `json:"undo_by,omitempty"`
	Error   *txn.ErrorInfo `json:"error,omitempty"`
}

// notFoundError reports an argument that names nothing known.
type notFoundError struct {
	pointer string
	err     error
}

func (e *notFoundError) Error() string { return e.err.Error() }
func (e *notFoundError) Unwrap() error { return e.err }

// errStreamSnapshot stops following a stream after its snapshot.
var errStreamSnapshot = errors.New("snapshot taken")

func (s *Server) txnStatus(ctx context.Context, c *call, args json.RawMessage) (any, error) {
	var a struct {
		Txn    string `json:"txn"`
		Intent string `json:"intent"`
	}
	if err := decode(args, &a); err != nil {
		return nil, err
	}
	switch {
	case a.Txn == "" && a.Intent == "":
		return nil, &intent.InvalidError{Stage: intent.StageSchema, Problems: []intent.Problem{{Pointer: "/txn", Reason: "give txn (a transaction id) or intent (an intent id)"}}}
	case a.Txn != "" && a.Intent != "":
		return nil, &intent.InvalidError{Stage: intent.StageSchema, Problems: []intent.Problem{{Pointer: "/intent", Reason: "give txn or intent, not both"}}}
	}
	id := a.Txn
	if a.Intent != "" {
		c.intentID = a.Intent
		l, err := s.cfg.Transactions.List(ctx, txn.ListQuery{Intent: a.Intent, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(l) == 0 {
			return nil, &notFoundError{pointer: "/intent", err: fmt.Errorf("intent %s has no transaction (it is not applied through the coordinator, or not yet)", a.Intent)}
		}
		id = l[0].ID
	}
	sum, err := s.cfg.Transactions.Get(ctx, id)
	if errors.Is(err, txn.ErrNotFound) {
		return nil, &notFoundError{pointer: "/txn", err: err}
	}
	if err != nil {
		return nil, err
	}
	if c.intentID == "" {
		c.intentID = sum.Intent
	}
	st := &TxnStatus{Txn: sum.ID, Intent: sum.Intent, State: sum.State, Running: sum.Result == nil, CreatedAt: sum.CreatedAt, UpdatedAt: sum.UpdatedAt, Devices: []TxnDevice{}}
	byName := map[string]*TxnDevice{}
	dev := func(name string) *TxnDevice {
		if d, ok := byName[name]; ok {
			return d
		}
		st.Devices = append(st.Devices, TxnDevice{Device: name})
		d := &st.Devices[len(st.Devices)-1]
		byName[name] = d
		return d
	}
	if r := sum.Result; r != nil {
		st.State, st.Phase, st.Reason, st.Percent = r.State, r.Phase, r.Reason, 100
		for _, d := range r.Devices {
			*dev(d.Device) = TxnDevice{Device: d.Device, Outcome: d.Outcome, Phase: d.Phase, UndoBy: d.UndoBy, Error: d.Error}
		}
	}
	// The progress stream, while in memory, has each device's last step.
	var steps map[string]string
	_, ferr := s.cfg.Transactions.Follow(ctx, id, 0, func(e txn.Event) error {
		if e.Type == "snapshot" {
			steps = e.Devices
			if sum.Result == nil {
				st.Percent, st.State = e.Percent, e.State
			}
		}
		return errStreamSnapshot
	})
	if ferr != nil && !errors.Is(ferr, errStreamSnapshot) {
		return nil, ferr
	}
	names := make([]string, 0, len(steps))
	for n := range steps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		dev(n).Step = steps[n]
	}
	sort.Slice(st.Devices, func(i, j int) bool { return st.Devices[i].Device < st.Devices[j].Device })
	return st, nil
}
