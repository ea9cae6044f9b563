package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/txn"
)

// poolDevices lets the coordinator open the pool's devices.
type poolDevices struct{ pool *adapters.Pool }

func (d poolDevices) Device(ctx context.Context, name string) (adapters.Device, error) {
	return d.pool.Device(ctx, name)
}

// openTxn builds the transaction coordinator over the store and the pool.
func openTxn(ctx context.Context, cfg config.Config, db *store.DB, pool *adapters.Pool, log *slog.Logger) (*txn.Coordinator, error) {
	return txn.New(ctx, txn.Config{Store: db, Devices: poolDevices{pool}, Log: log, FanOut: cfg.Txn.FanOut})
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
