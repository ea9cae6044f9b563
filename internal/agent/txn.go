package agent

import (
	"context"
	"fmt"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/telemetry"
	"log/slog"
	"net/http"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
)

// txnDevices opens the pool's devices for the coordinator. Its reads go
// to the device (read-back and recovery must see the device, never a
// cache), and every write it makes, one-shot or a transaction phase,
// invalidates the intent fleet's configuration cache of the device, so
// the next intent is planned against what the transaction left.
type txnDevices struct {
	pool       *adapters.Pool
	invalidate func(device string)
}

func (d txnDevices) Device(ctx context.Context, name string) (adapters.Device, error) {
	f, err := d.pool.Device(ctx, name)
	if err != nil || d.invalidate == nil {
		return f, err
	}
	return txnDevice{Failover: f, changed: func() { d.invalidate(name) }}, nil
}

// txnDevice is a pooled device whose writes report that its configuration
// changed (or may have).
type txnDevice struct {
	*adapters.Failover
	changed func()
}

var (
	_ adapters.Transactional = txnDevice{}
	_ adapters.Resumer       = txnDevice{}
)

func (d txnDevice) Configure(ctx context.Context, changes []yang.Change) error {
	defer d.changed()
	return d.Failover.Configure(ctx, changes)
}

func (d txnDevice) Commit(ctx context.Context, tx string, confirmTimeout time.Duration) error {
	defer d.changed()
	return d.Failover.Commit(ctx, tx, confirmTimeout)
}

func (d txnDevice) Confirm(ctx context.Context, tx string) error {
	defer d.changed()
	return d.Failover.Confirm(ctx, tx)
}

func (d txnDevice) Abort(ctx context.Context, tx string) error {
	defer d.changed()
	return d.Failover.Abort(ctx, tx)
}

func (d txnDevice) Rollback(ctx context.Context, tx string) error {
	defer d.changed()
	return d.Failover.Rollback(ctx, tx)
}

func (d txnDevice) ConfirmPending(ctx context.Context, tx string) error {
	defer d.changed()
	return d.Failover.ConfirmPending(ctx, tx)
}

func (d txnDevice) CancelPending(ctx context.Context, tx string) error {
	defer d.changed()
	return d.Failover.CancelPending(ctx, tx)
}

// openTxn builds the transaction coordinator over the store and the pool;
// invalidate is told of every device the coordinator writes, and every
// transaction step is an entry of the audit log.
func openTxn(ctx context.Context, cfg config.Config, db *store.DB, pool *adapters.Pool, invalidate func(string), alog *audit.Log, soak *soaker, log *slog.Logger) (*txn.Coordinator, error) {
	return txn.New(ctx, txn.Config{Store: db, Devices: txnDevices{pool: pool, invalidate: invalidate}, Log: log, FanOut: cfg.Txn.FanOut, Soak: soak.soak,
		Audit: alog})
}

// soaker is the transactions' soak step: while a committed change soaks
// (the intent's options.soak), telemetry watches the intent's objectives
// and a breach rolls the transaction back. The intent service and the
// telemetry stack are set once they exist; until then, and for intents
// without objectives, the soak only waits.
type soaker struct {
	svc  *intent.Service
	tele *telemetryStack
}

func (s *soaker) soak(ctx context.Context, req *txn.Request) error {
	d := req.Options.Soak
	if d <= 0 {
		return nil
	}
	var objs []telemetry.Objective
	if s.svc != nil && s.tele != nil && req.Intent != "" {
		if rec, err := s.svc.Get(ctx, req.Intent); err == nil {
			objs, _ = objectivesOf(s.svc, rec)
		}
	}
	if len(objs) == 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
	return telemetry.Soak(ctx, s.tele.api.Store, objs, d, 0)
}

// recoverTxns finishes the transactions a previous run left open. The
// agent runs it before the intent service rescans, so recovery finishes
// before any new intent is planned.
func (n *network) recoverTxns(ctx context.Context, log *slog.Logger) error {
	res, err := n.txn.Recover(ctx)
	if err == nil {
		defer close(n.recovered)
	}
	for _, r := range res {
		log.Warn("transaction recovered", "txn", r.ID, "intent", r.Intent, "state", r.State, "reason", r.Reason)
	}
	if err != nil {
		return fmt.Errorf("agent: txn recovery: %w", err)
	}
	return nil
}

// afterRecovery makes routes wait until txn recovery has finished (a
// request that plans an intent must not run before it).
func (n *network) afterRecovery(routes []auth.Route) []auth.Route {
	out := make([]auth.Route, len(routes))
	for i, rt := range routes {
		h := rt.Handler
		rt.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-n.recovered:
				h.ServeHTTP(w, r)
			case <-r.Context().Done():
			}
		})
		out[i] = rt
	}
	return out
}
