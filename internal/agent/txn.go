package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/telemetry"

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
// the next intent is planned against what the transaction left. Commits
// and rollbacks are device.change audit entries (digests of the
// configuration before and after) and log lines, under the context's
// intent, principal and trace, as the device-by-device executor records
// its writes.
type txnDevices struct {
	pool       *adapters.Pool
	invalidate func(device string)
	rec        audit.Recorder // nil: no device.change entries
	log        *slog.Logger
}

func (d txnDevices) Device(ctx context.Context, name string) (adapters.Device, error) {
	f, err := d.pool.Device(ctx, name)
	if err != nil || (d.invalidate == nil && d.rec == nil) {
		return f, err
	}
	log := d.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return txnDevice{Failover: f, name: name, d: d, log: log, st: &txnDevState{}}, nil
}

// txnDevice is a pooled device whose writes report that its configuration
// changed (or may have) and are audited.
type txnDevice struct {
	*adapters.Failover
	name string
	d    txnDevices
	log  *slog.Logger
	st   *txnDevState
}

// txnDevState is what Prepare learnt for the audit entry of the commit.
type txnDevState struct {
	mu      sync.Mutex
	changes []yang.Change
	before  string
}

var (
	_ adapters.Transactional = txnDevice{}
	_ adapters.Resumer       = txnDevice{}
)

func (d txnDevice) changed() {
	if d.d.invalidate != nil {
		d.d.invalidate(d.name)
	}
}

func (d txnDevice) digest(ctx context.Context) string {
	t, err := d.Failover.Query(ctx, nil)
	if err != nil {
		return ""
	}
	return intent.ConfigDigest(t)
}

// record writes the device.change entry of a commit or rollback (via).
func (d txnDevice) record(ctx context.Context, via string, changes []yang.Change, before string, cerr error) {
	if d.d.rec == nil {
		return
	}
	ch := intent.DeviceChange{Changes: len(changes), Paths: intent.ChangePaths(changes), Before: before, Via: via}
	ch.After = d.digest(ctx)
	if cerr != nil {
		ch.Error = cerr.Error()
		d.log.WarnContext(ctx, "device configure refused", "device", d.name, "via", via, "err", cerr, "intent", audit.IntentFrom(ctx))
	} else {
		d.log.InfoContext(ctx, "device configured", "device", d.name, "via", via, "before", ch.Before, "after", ch.After, "intent", audit.IntentFrom(ctx))
	}
	if _, err := d.d.rec.Record(context.WithoutCancel(ctx), audit.Entry{Action: audit.ActionDeviceChange, Intent: audit.IntentFrom(ctx),
		Device: d.name, Detail: audit.Detail(ch)}); err != nil {
		d.log.ErrorContext(ctx, "audit: device change not recorded", "device", d.name, "err", err)
	}
}

func (d txnDevice) Prepare(ctx context.Context, tx string, changes []yang.Change) error {
	var before string
	if d.d.rec != nil {
		before = d.digest(ctx)
	}
	err := d.Failover.Prepare(ctx, tx, changes)
	if err == nil {
		d.st.mu.Lock()
		d.st.changes, d.st.before = changes, before
		d.st.mu.Unlock()
	}
	return err
}

func (d txnDevice) Configure(ctx context.Context, changes []yang.Change) error {
	defer d.changed()
	return d.Failover.Configure(ctx, changes)
}

func (d txnDevice) Commit(ctx context.Context, tx string, confirmTimeout time.Duration) error {
	defer d.changed()
	d.log.InfoContext(ctx, "device configure", "device", d.name, "txn", tx, "intent", audit.IntentFrom(ctx))
	err := d.Failover.Commit(ctx, tx, confirmTimeout)
	d.st.mu.Lock()
	changes, before := d.st.changes, d.st.before
	d.st.mu.Unlock()
	d.record(ctx, "txn "+tx+" commit", changes, before, err)
	return err
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
	var before string
	if d.d.rec != nil {
		before = d.digest(ctx)
	}
	err := d.Failover.Rollback(ctx, tx)
	d.st.mu.Lock()
	changes := d.st.changes
	d.st.mu.Unlock()
	d.record(ctx, "txn "+tx+" rollback", changes, before, err)
	return err
}

func (d txnDevice) ConfirmPending(ctx context.Context, tx string) error {
	defer d.changed()
	return d.Failover.ConfirmPending(ctx, tx)
}

func (d txnDevice) CancelPending(ctx context.Context, tx string) error {
	defer d.changed()
	return d.Failover.CancelPending(ctx, tx)
}

// openTxn builds the transaction coordinator over the store and devs
// (local devices through txnDevices, peer agents' through peers.go);
// every transaction step is an entry of the audit log, and its progress
// events are published signed through ev (events.go; nil: not signed).
func openTxn(ctx context.Context, cfg config.Config, db *store.DB, devs txn.Devices, alog *audit.Log, ev *events, soak *soaker, log *slog.Logger) (*txn.Coordinator, error) {
	tc := txn.Config{Store: db, Devices: devs, Log: log, FanOut: cfg.Txn.FanOut, Soak: soak.soak, Audit: alog}
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
