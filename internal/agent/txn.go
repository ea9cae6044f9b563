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
// Devices owned by peer agents are opened through devs (peers.go).
// Its progress events are published signed through ev (events.go).
func openTxn(ctx context.Context, cfg config.Config, db *store.DB, devs txn.Devices, ev *events, soak *soaker, log *slog.Logger) (*txn.Coordinator, error) {
	tc := txn.Config{Store: db, Devices: devs, Log: log, FanOut: cfg.Txn.FanOut, Soak: soak.soak}
	if ev != nil {
		tc.Events = ev.txnEvent
	}
	return txn.New(ctx, tc)
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
