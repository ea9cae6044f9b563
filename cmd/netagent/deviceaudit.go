package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os/user"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/internal/agent"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/internal/trace"
	"github.com/netagent/netagent/yang"
)

// deviceAudit records what `netagent device` changes on a device outside
// the intent service, in the data dir's audit log, as an intent would be:
// accepted, the device change with before/after digests, then applied or
// failed. Host keys trusted on first use are recorded too.
type deviceAudit struct {
	db  *store.DB
	log *audit.Log
	id  string // the pseudo-intent id of this change, "set-<hex>"
}

// localOperator is who runs the command: the operating-system user.
func localOperator() auth.Principal {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return auth.Principal{Subject: "local:" + name, Kind: "operator", Via: "local"}
}

// openDeviceAudit opens (creating if needed) the audit log in the data dir
// and returns ctx carrying the local operator and a new trace (unless ctx
// has them).
func openDeviceAudit(ctx context.Context, g *globals) (*deviceAudit, context.Context, error) {
	db, err := store.Open(ctx, g.cfg.StorePath(), store.Options{})
	if err != nil {
		return nil, ctx, err
	}
	key, _, err := audit.LoadOrCreateKey(g.cfg.AuditKeyFile())
	if err != nil {
		db.Close()
		return nil, ctx, err
	}
	l, err := audit.New(ctx, db, audit.Options{Key: key, Logger: g.log})
	if err != nil {
		db.Close()
		return nil, ctx, err
	}
	if _, ok := auth.FromContext(ctx); !ok {
		ctx = auth.WithPrincipal(ctx, localOperator())
	}
	if trace.IDFrom(ctx) == "" {
		ctx = trace.With(ctx, trace.New())
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &deviceAudit{db: db, log: l, id: "set-" + hex.EncodeToString(b[:])}, ctx, nil
}

// hostKeys returns the host-key checker with its decisions audited.
func (a *deviceAudit) hostKeys(ctx context.Context, hk *adapters.HostKeys, g *globals) *adapters.HostKeys {
	if a != nil {
		hk.OnAccept = agent.HostKeyAudit(ctx, a.log, g.log)
		hk.OnRefuse = agent.HostKeyRefusalAudit(ctx, a.log, g.log)
	}
	return hk
}

func (a *deviceAudit) accepted(ctx context.Context, device string, p yang.Path, v any) error {
	_, err := a.log.Record(ctx, audit.Entry{Action: audit.ActionIntentAccepted, Intent: a.id, Device: device,
		Detail: audit.Detail(map[string]string{"via": "netagent device set", "path": p.String(), "value": yang.FormatValue(v)})})
	return err
}

func (a *deviceAudit) changed(ctx context.Context, device string, changes []yang.Change, before, after *yang.Tree, cerr error) error {
	d := intent.DeviceChange{Changes: len(changes), Paths: intent.ChangePaths(changes), Before: intent.ConfigDigest(before),
		After: intent.ConfigDigest(after), Via: "netagent device set"}
	to := intent.StateApplied
	if cerr != nil {
		d.Error, to = cerr.Error(), intent.StateFailed
	}
	_, err := a.log.Record(ctx, audit.Entry{Action: audit.ActionDeviceChange, Intent: a.id, Device: device, Detail: audit.Detail(d)})
	if err != nil {
		return err
	}
	_, err = a.log.Record(ctx, audit.Entry{Action: audit.ActionIntentState, Intent: a.id, Device: device,
		Detail: audit.Detail(map[string]any{"from": intent.StateApplying, "to": to})})
	return err
}

// close signs the head (the agent may not be running to do it) and closes
// the store.
func (a *deviceAudit) close(ctx context.Context) error {
	if a == nil {
		return nil
	}
	_, err := a.log.Sign(context.WithoutCancel(ctx))
	return errors.Join(err, a.db.Close())
}
