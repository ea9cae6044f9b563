package txnplan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
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
	req.Stages = Stages(req.Participants)
	return req
}

// Stage names Stages gives.
const (
	// StageAddresses holds the devices that get an IPv4 address a BGP
	// neighbour on another device of the transaction peers with.
	StageAddresses = "addresses"
	// StageNeighbors holds the devices whose new BGP neighbours peer with
	// such an address; it runs after StageAddresses.
	StageNeighbors = "bgp-neighbors"
	// StageNeighborsGone holds the devices that lose a BGP neighbour whose
	// address another device of the transaction loses; it runs first.
	StageNeighborsGone = "bgp-neighbors-removed"
	// StageAddressesGone holds the devices that lose such an address; it
	// runs after StageNeighborsGone.
	StageAddressesGone = "addresses-removed"
)

// Stages orders parts by what their changes depend on across devices, and
// sets each part's Stage: an address comes before the BGP neighbour of
// another device that peers with it, and when both go, the neighbour goes
// first. Devices that depend on nothing stay in the implicit first stage.
// A device that would both provide and use (or remove) across devices
// stays with the providers; without dependencies it returns nil (one
// stage). Within a device the change set's own order holds.
func Stages(parts []txn.Participant) []txn.Stage {
	added, removed := map[string]int{}, map[string]int{} // address -> participant
	for i, p := range parts {
		for _, c := range p.Changes {
			if ip := keyAfter(c.Path, "address", "ip"); ip != "" {
				if c.Op == yang.OpDelete {
					removed[ip] = i
				} else {
					added[ip] = i
				}
			}
		}
	}
	stage := make([]string, len(parts))
	for i, p := range parts {
		for _, c := range p.Changes {
			nb := keyAfter(c.Path, "neighbor", "neighbor-address")
			if nb == "" {
				continue
			}
			if j, ok := added[nb]; ok && j != i && c.Op != yang.OpDelete {
				stage[j] = StageAddresses
				if stage[i] == "" {
					stage[i] = StageNeighbors
				}
			}
			if j, ok := removed[nb]; ok && j != i && c.Op == yang.OpDelete {
				if stage[j] == "" {
					stage[j] = StageAddressesGone
				}
				if stage[i] == "" {
					stage[i] = StageNeighborsGone
				}
			}
		}
	}
	used := map[string]bool{}
	for i := range parts {
		parts[i].Stage = stage[i]
		used[stage[i]] = true
	}
	var out []txn.Stage
	if used[StageNeighborsGone] {
		out = append(out, txn.Stage{Name: StageNeighborsGone})
	}
	if used[StageAddressesGone] {
		st := txn.Stage{Name: StageAddressesGone}
		if used[StageNeighborsGone] {
			st.After = []string{StageNeighborsGone}
		}
		out = append(out, st)
	}
	if used[StageAddresses] {
		out = append(out, txn.Stage{Name: StageAddresses})
	}
	if used[StageNeighbors] {
		st := txn.Stage{Name: StageNeighbors}
		if used[StageAddresses] {
			st.After = []string{StageAddresses}
		}
		out = append(out, st)
	}
	return out
}

// keyAfter returns the value of key in p's element named elem, or "".
func keyAfter(p yang.Path, elem, key string) string {
	for _, e := range p {
		if e.Name != elem {
			continue
		}
		for _, k := range e.Keys {
			if k.Name == key {
				return k.Value
			}
		}
	}
	return ""
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
