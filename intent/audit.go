package intent

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/yang"
)

// Auditor writes audit entries inside the store transaction of the change
// they record, so a stored lifecycle step and its entry commit together or
// not at all. *audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, tx *sql.Tx, e audit.Entry) (audit.Entry, error)
}

// The audit entries of a stored step are built before its store
// transaction (encoding details, digesting configurations) and only
// appended inside it: the store's one writer runs every transaction, so
// what it does per write bounds the intake rate.

// The details of the intent entries. Their members are in name order, as
// the maps they replace encoded them, so entries read the same.
type (
	acceptedDetail struct {
		Digest    string `json:"digest"`
		Kind      Kind   `json:"kind"`
		Reason    string `json:"reason"`
		Requester string `json:"requester"`
		Source    Source `json:"source"`
		State     State  `json:"state"`
	}
	stateDetail struct {
		Error  string `json:"error,omitempty"`
		From   State  `json:"from"`
		Reason string `json:"reason"`
		To     State  `json:"to"`
	}
	plannedDevice struct {
		Device  string `json:"device"`
		Changes int    `json:"changes"`
		Before  string `json:"before,omitempty"`
	}
	plannedDetail struct {
		Changes int             `json:"changes"`
		Devices []plannedDevice `json:"devices"`
		Digest  string          `json:"digest"`
		Summary string          `json:"summary"`
	}
)

// insertEntries are the entries of a new intent (and its first plan).
// planJSON is the plan as stored (encoded once for the row and the entry),
// principal the submitter as stored: the entries' actor (the submission's
// context carries the same principal and trace; setting them here spares
// the store's writer encoding them again).
func (r *records) insertEntries(rec *Record, planJSON []byte, principal string) []audit.Entry {
	if r.audit == nil {
		return nil
	}
	reason := ""
	if len(rec.History) > 0 {
		reason = rec.History[0].Reason
	}
	es := make([]audit.Entry, 1, 2)
	es[0] = audit.Entry{Action: audit.ActionIntentAccepted, Intent: rec.ID, Time: rec.CreatedAt,
		Detail: audit.Detail(acceptedDetail{Kind: rec.Kind, State: rec.State, Source: rec.Source,
			Requester: rec.Requester, Digest: rec.Digest, Reason: reason})}
	es = r.planEntry(es, rec.ID, rec.Plan, planJSON)
	for i := range es {
		es[i].Actor, es[i].Trace = json.RawMessage(principal), string(rec.Source.TraceID)
	}
	return es
}

// transitionEntries are the entries of a lifecycle step (and the plan
// stored with it).
func (r *records) transitionEntries(id string, from, to State, reason, errText string, plan *Plan, planJSON []byte) []audit.Entry {
	if r.audit == nil {
		return nil
	}
	es := []audit.Entry{{Action: audit.ActionIntentState, Intent: id,
		Detail: audit.Detail(stateDetail{From: from, To: to, Reason: reason, Error: errText})}}
	return r.planEntry(es, id, plan, planJSON)
}

// planEntry appends to es the entry of a stored plan: per device, the
// change count and the digest of the configuration it was computed from.
// planJSON is the plan as stored; nil encodes it here.
func (r *records) planEntry(es []audit.Entry, id string, plan *Plan, planJSON []byte) []audit.Entry {
	if r.audit == nil || plan == nil {
		return es
	}
	devs := make([]plannedDevice, 0, len(plan.Devices))
	for _, d := range plan.Devices {
		devs = append(devs, plannedDevice{Device: d.Device, Changes: len(d.Changes), Before: ConfigDigest(d.Before)})
	}
	if planJSON == nil {
		planJSON, _ = json.Marshal(plan)
	}
	sum := sha256.Sum256(planJSON)
	return append(es, audit.Entry{Action: audit.ActionIntentPlanned, Intent: id,
		Detail: audit.Detail(plannedDetail{Summary: summary(plan), Changes: plan.Len(), Devices: devs,
			Digest: "sha256:" + hex.EncodeToString(sum[:])})})
}

// entriesAppender is an Auditor that appends several entries at once
// (*audit.Log: one read of the chain's head, one INSERT).
type entriesAppender interface {
	AppendAll(ctx context.Context, tx *sql.Tx, es []audit.Entry) ([]audit.Entry, error)
}

// appendEntries appends es, in order, in tx.
func (r *records) appendEntries(ctx context.Context, tx *sql.Tx, es []audit.Entry) error {
	if a, ok := r.audit.(entriesAppender); ok && len(es) > 1 {
		_, err := a.AppendAll(ctx, tx, es)
		return err
	}
	for _, e := range es {
		if _, err := r.audit.Append(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// ConfigDigest is the digest of a device configuration in audit entries:
// "sha256:" and the hex SHA-256 of its rendering (one sorted leaf per
// line), "" for none.
func ConfigDigest(t *yang.Tree) string {
	if t == nil {
		return ""
	}
	sum := sha256.Sum256(t.AppendText(nil))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// DeviceChange is the detail of a device.change entry.
type DeviceChange struct {
	// Changes is how many changes were sent; Paths names them ("update
	// /interfaces/interface[name=eth1]/config/mtu"), at most 64.
	Changes int      `json:"changes"`
	Paths   []string `json:"paths"`
	// Before and After are ConfigDigest of the device's whole configuration
	// read just before and just after; After is empty when it could not be
	// read.
	Before string `json:"before"`
	After  string `json:"after,omitempty"`
	// Error is the device's refusal, if any.
	Error string `json:"error,omitempty"`
	// Via names what made the change when it was not the intent service
	// ("netagent device set").
	Via string `json:"via,omitempty"`
}

// ChangePaths lists changes as "op path", at most 64.
func ChangePaths(changes []yang.Change) []string {
	out := []string{}
	for i, c := range changes {
		if i == 64 {
			out = append(out, fmt.Sprintf("... %d more", len(changes)-64))
			break
		}
		out = append(out, fmt.Sprintf("%s %s", c.Op, c.Path))
	}
	return out
}

// AuditDevices wraps devices so that every Configure is recorded as a
// device.change entry (with digests of the whole configuration before and
// after) and logged with the context, which carries the intent's trace
// (see AuditExecutor). Queries pass through.
func AuditDevices(d Devices, rec audit.Recorder, log *slog.Logger) Devices {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return auditedDevices{d: d, rec: rec, log: log}
}

type auditedDevices struct {
	d   Devices
	rec audit.Recorder
	log *slog.Logger
}

func (a auditedDevices) Device(ctx context.Context, name string) (Device, error) {
	dev, err := a.d.Device(ctx, name)
	if err != nil {
		return nil, err
	}
	return auditedDevice{Device: dev, name: name, rec: a.rec, log: a.log}, nil
}

type auditedDevice struct {
	Device
	name string
	rec  audit.Recorder
	log  *slog.Logger
}

func (a auditedDevice) Configure(ctx context.Context, changes []yang.Change) error {
	d := DeviceChange{Changes: len(changes), Paths: ChangePaths(changes)}
	before, err := a.Device.Query(ctx, nil)
	if err != nil {
		return fmt.Errorf("device %s: read before configure: %w", a.name, err)
	}
	d.Before = ConfigDigest(before)
	a.log.InfoContext(ctx, "device configure", "device", a.name, "changes", len(changes), "intent", audit.IntentFrom(ctx))
	cerr := a.Device.Configure(ctx, changes)
	if cerr != nil {
		d.Error = cerr.Error()
		a.log.WarnContext(ctx, "device configure refused", "device", a.name, "err", cerr, "intent", audit.IntentFrom(ctx))
	}
	if after, err := a.Device.Query(ctx, nil); err == nil {
		d.After = ConfigDigest(after)
	}
	if cerr == nil {
		a.log.InfoContext(ctx, "device configured", "device", a.name, "before", d.Before, "after", d.After, "intent", audit.IntentFrom(ctx))
	}
	if _, err := a.rec.Record(context.WithoutCancel(ctx), audit.Entry{Action: audit.ActionDeviceChange,
		Intent: audit.IntentFrom(ctx), Device: a.name, Detail: audit.Detail(d)}); err != nil {
		a.log.ErrorContext(ctx, "audit: device change not recorded", "device", a.name, "err", err)
		if cerr == nil {
			return fmt.Errorf("device %s: configured, but the audit entry failed: %w", a.name, err)
		}
	}
	return cerr
}

// IntentContexter restores a submission's trace and principal into a
// worker's context; *audit.Log implements it.
type IntentContexter interface {
	IntentContext(ctx context.Context, id string) context.Context
}

// AuditExecutor wraps x so that each Execute runs under a context naming
// the intent (audit.WithIntent) and carrying the trace and principal its
// submission was recorded with, so the device operations it causes are
// audited and logged under them.
func AuditExecutor(x Executor, ic IntentContexter, log *slog.Logger) Executor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return auditExecutor{x: x, ic: ic, log: log}
}

type auditExecutor struct {
	x   Executor
	ic  IntentContexter
	log *slog.Logger
}

func (a auditExecutor) Execute(ctx context.Context, in *Intent, plan *Plan) error {
	ctx = audit.WithIntent(a.ic.IntentContext(ctx, in.ID), in.ID)
	a.log.InfoContext(ctx, "intent executing", "id", in.ID, "changes", plan.Len())
	err := a.x.Execute(ctx, in, plan)
	if err != nil {
		a.log.WarnContext(ctx, "intent execution failed", "id", in.ID, "err", err)
	}
	return err
}
