package agent

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/store"
)

// openAudit opens the audit log in db, signing with the agent's key (created
// on first start at cfg.AuditKeyFile()).
func openAudit(ctx context.Context, cfg config.Config, db *store.DB, log *slog.Logger) (*audit.Log, error) {
	key, created, err := audit.LoadOrCreateKey(cfg.AuditKeyFile())
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("agent key created", "file", cfg.AuditKeyFile())
	}
	return audit.New(ctx, db, audit.Options{Key: key, Logger: log})
}

// auditedExecutor is the default executor with every device change audited
// and run under the submitting caller's trace and principal.
func auditedExecutor(devs intent.Devices, l *audit.Log, log *slog.Logger) intent.Executor {
	return intent.AuditExecutor(intent.DeviceExecutor{Devices: intent.AuditDevices(devs, l, log), Log: log}, l, log)
}

// auditFailover records a protocol switch of a device (not the first
// choice of a protocol, which is no decision).
func auditFailover(l *audit.Log, log *slog.Logger, e adapters.Event) {
	if e.From == "" {
		return
	}
	if _, err := l.Record(context.Background(), audit.Entry{Action: audit.ActionFailover, Device: e.Device,
		Detail: audit.Detail(map[string]string{"from": e.From, "to": e.To, "reason": e.Reason})}); err != nil {
		log.Error("audit: failover not recorded", "device", e.Device, "err", err)
	}
}

// HostKeyAudit returns an adapters.HostKeys OnAccept hook that records every
// SSH host key trusted on first use, attributed to ctx's principal and trace
// (the hook has no context of its own).
func HostKeyAudit(ctx context.Context, l *audit.Log, log *slog.Logger) func(adapters.HostKeyAccepted) {
	ctx = context.WithoutCancel(ctx)
	return func(a adapters.HostKeyAccepted) {
		if _, err := l.Record(ctx, audit.Entry{Action: audit.ActionHostKey, Device: a.Device, Time: a.Time,
			Detail: audit.Detail(map[string]string{"decision": "accepted on first use", "host": a.Host, "key_type": a.KeyType,
				"fingerprint": a.Fingerprint, "file": a.File})}); err != nil && log != nil {
			log.Error("audit: host key decision not recorded", "device", a.Device, "err", err)
		}
	}
}

// HostKeyRefusalAudit returns an adapters.HostKeys OnRefuse hook that
// records every SSH host key refused (a changed key above all: device,
// address, the fingerprints expected and the one presented), attributed to
// ctx's principal and trace. A device retried in a loop presents the same
// refusal again and again: one entry per device, address, key and reason is
// written per refusalEvery; the connection is refused every time.
func HostKeyRefusalAudit(ctx context.Context, l *audit.Log, log *slog.Logger) func(adapters.HostKeyRefused) {
	ctx = context.WithoutCancel(ctx)
	var mu sync.Mutex
	last := map[string]time.Time{}
	return func(r adapters.HostKeyRefused) {
		k := strings.Join([]string{r.Device, r.Host, r.Fingerprint, r.Reason}, "\x00")
		mu.Lock()
		if t, ok := last[k]; ok && r.Time.Sub(t) < refusalEvery {
			mu.Unlock()
			return
		}
		last[k] = r.Time
		for key, t := range last { // bounded: forget what is long past
			if r.Time.Sub(t) >= refusalEvery {
				delete(last, key)
			}
		}
		mu.Unlock()
		d := map[string]any{"decision": "refused", "host": r.Host, "remote": r.Remote, "key_type": r.KeyType,
			"fingerprint": r.Fingerprint, "reason": r.Reason, "file": r.File}
		if len(r.Expected) > 0 {
			d["expected"] = r.Expected
		}
		if _, err := l.Record(ctx, audit.Entry{Action: audit.ActionHostKey, Device: r.Device, Time: r.Time, Detail: audit.Detail(d)}); err != nil && log != nil {
			log.Error("audit: host key refusal not recorded", "device", r.Device, "err", err)
		}
	}
}

// auditedHostKeys is the inventory's known_hosts checker (fail closed, no
// trust on first use in the agent) with its refusals audited.
func auditedHostKeys(ctx context.Context, inv *adapters.Inventory, l *audit.Log, log *slog.Logger) *adapters.HostKeys {
	hk := adapters.NewHostKeys(inv.KnownHosts, false, log)
	hk.OnRefuse = HostKeyRefusalAudit(ctx, l, log)
	return hk
}

// refusalEvery is how often one host-key refusal is recorded again.
const refusalEvery = 10 * time.Minute

// Audit is the agent's audit log: the authentication layer records auth
// failures and token changes through it (RecordAuthFailure,
// RecordTokenChange). Nil when the agent serves health only; a nil *Log
// records nothing.
func (a *Agent) Audit() *audit.Log {
	if a.net == nil {
		return nil
	}
	return a.net.audit
}

// signAudit signs the audit chain's head every audit.sign_interval and at
// shutdown, until ctx ends.
func (n *network) signAudit(ctx context.Context) error { return n.audit.Run(ctx, n.signEvery) }

// auditDenial records a request the authentication layer refused.
func (a *Agent) auditDenial(ctx context.Context, d auth.Denial) {
	if a.net == nil || a.net.audit == nil {
		return
	}
	f := audit.AuthFailure{Surface: "api", Route: d.Route, Remote: d.Remote, Status: d.Status, Reason: d.Reason, Subject: d.Who}
	if err := a.net.audit.RecordAuthFailure(ctx, f); err != nil {
		a.log.ErrorContext(ctx, "audit: refused request not recorded", "route", d.Route, "err", err)
	}
}
