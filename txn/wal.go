package txn

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/store"
)

// storeOwner names the coordinator's migrations in the store.
const storeOwner = "txn"

var migrations = []store.Migration{
	{Version: 1, Name: "transactions and their write-ahead log", SQL: `
CREATE TABLE txn (
	id TEXT PRIMARY KEY,
	intent_id TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	request TEXT NOT NULL,
	result TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX txn_state ON txn(state);
CREATE INDEX txn_intent ON txn(intent_id);
CREATE TABLE txn_log (
	txn_id TEXT NOT NULL REFERENCES txn(id),
	seq INTEGER NOT NULL,
	at INTEGER NOT NULL,
	step TEXT NOT NULL,
	detail TEXT NOT NULL,
	PRIMARY KEY (txn_id, seq)
);`},
}

// Step names a write-ahead log entry. Each is written (and synced) before
// the coordinator does what it names.
type Step string

// Steps of the write-ahead log.
const (
	StepBegin    Step = "begin"    // the request, before anything is touched
	StepPrepare  Step = "prepare"  // a stage's devices are about to be prepared
	StepCommit   Step = "commit"   // a stage's devices are about to be committed (deadline inside)
	StepVerify   Step = "verify"   // every device is about to be read back
	StepDecision Step = "decision" // the commit decision: from here recovery drives forward
	StepAbort    Step = "abort"    // rolling back every participant, with the reason
	StepEnd      Step = "end"      // the outcome is final
)

// logEntry is one row of the write-ahead log.
type logEntry struct {
	Step Step
	At   time.Time
	// Detail holds the step's devices, deadline, capabilities or reason.
	Detail stepDetail
}

type stepDetail struct {
	Stage    string          `json:"stage,omitempty"`
	Devices  []string        `json:"devices,omitempty"`
	Deadline time.Time       `json:"deadline,omitzero"`
	Timers   map[string]bool `json:"timers,omitempty"` // device -> has a confirm timer
	// PersistID is what the devices hold the stage's confirmed commits
	// under (NETCONF persist-id, gNMI commit id): a restarted coordinator
	// confirms or cancels them with it, over sessions of its own.
	PersistID string `json:"persist_id,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Done lists devices a previous step finished (prepared, committed),
	// written with the next step at no extra cost.
	Done []string `json:"done,omitempty"`
}

// wal writes and reads the log in the store.
type wal struct {
	db    *store.DB
	audit Auditor // nil: no audit entries
}

// record appends the audit entry of step to tx.
func (w *wal) record(ctx context.Context, tx *sql.Tx, id, intent string, step Step, detail any) error {
	if w.audit == nil {
		return nil
	}
	_, err := w.audit.Append(ctx, tx, audit.Entry{Action: AuditAction, Txn: id, Intent: intent,
		Detail: audit.Detail(map[string]any{"step": step, "detail": detail})})
	return err
}

func (w *wal) begin(ctx context.Context, req *Request, at time.Time) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("txn %s: encode request: %w", req.ID, err)
	}
	return w.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO txn (id, intent_id, state, request, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			req.ID, req.Intent, string(StatePreparing), string(body), at.UnixNano(), at.UnixNano()); err != nil {
			return fmt.Errorf("txn %s: store: %w", req.ID, err)
		}
		devices := make([]string, len(req.Participants))
		for i, p := range req.Participants {
			devices[i] = p.Device
		}
		if err := w.record(ctx, tx, req.ID, req.Intent, StepBegin, map[string]any{"devices": devices, "stages": req.Stages}); err != nil {
			return err
		}
		return appendLog(ctx, tx, req.ID, StepBegin, at, stepDetail{})
	})
}

// write appends a step and moves the transaction to state, in one store
// transaction (synced before it returns).
func (w *wal) write(ctx context.Context, id, intent string, step Step, state State, at time.Time, d stepDetail) error {
	// A step must be written even when the caller's ctx ended: the log
	// must say what the coordinator is about to do on the way out.
	ctx = context.WithoutCancel(ctx)
	return w.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE txn SET state = ?, updated_at = ? WHERE id = ?`, string(state), at.UnixNano(), id); err != nil {
			return fmt.Errorf("txn %s: store: %w", id, err)
		}
		if err := w.record(ctx, tx, id, intent, step, d); err != nil {
			return err
		}
		return appendLog(ctx, tx, id, step, at, d)
	})
}

// end stores the outcome.
func (w *wal) end(ctx context.Context, res *Result, at time.Time) error {
	ctx = context.WithoutCancel(ctx)
	body, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return w.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE txn SET state = ?, result = ?, updated_at = ? WHERE id = ?`,
			string(res.State), string(body), at.UnixNano(), res.ID); err != nil {
			return fmt.Errorf("txn %s: store: %w", res.ID, err)
		}
		if w.audit != nil {
			if err := w.record(ctx, tx, res.ID, res.Intent, StepEnd, map[string]any{"state": res.State, "phase": res.Phase, "reason": res.Reason}); err != nil {
				return err
			}
			for _, d := range res.Devices {
				if _, err := w.audit.Append(ctx, tx, audit.Entry{Action: AuditDeviceAction, Txn: res.ID, Intent: res.Intent, Device: d.Device,
					Detail: audit.Detail(d)}); err != nil {
					return err
				}
			}
		}
		return appendLog(ctx, tx, res.ID, StepEnd, at, stepDetail{Reason: string(res.State)})
	})
}

func appendLog(ctx context.Context, tx *sql.Tx, id string, step Step, at time.Time, d stepDetail) error {
	body, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO txn_log (txn_id, seq, at, step, detail)
		VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM txn_log WHERE txn_id = ?), ?, ?, ?)`,
		id, id, at.UnixNano(), string(step), string(body))
	if err != nil {
		return fmt.Errorf("txn %s: log %s: %w", id, step, err)
	}
	return nil
}

// pending lists the transactions that have no outcome yet.
func (w *wal) pending(ctx context.Context) ([]string, error) {
	rows, err := w.db.QueryContext(ctx, `SELECT id FROM txn WHERE result = '' ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("txn: pending: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// load reads a transaction's request and log.
func (w *wal) load(ctx context.Context, id string) (*Request, []logEntry, error) {
	var body string
	err := w.db.QueryRowContext(ctx, `SELECT request FROM txn WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("txn %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("txn %s: load: %w", id, err)
	}
	var req Request
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		return nil, nil, fmt.Errorf("txn %s: decode request: %w", id, err)
	}
	rows, err := w.db.QueryContext(ctx, `SELECT at, step, detail FROM txn_log WHERE txn_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, nil, fmt.Errorf("txn %s: log: %w", id, err)
	}
	defer rows.Close()
	var log []logEntry
	for rows.Next() {
		var at int64
		var step, detail string
		if err := rows.Scan(&at, &step, &detail); err != nil {
			return nil, nil, err
		}
		e := logEntry{Step: Step(step), At: time.Unix(0, at)}
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, nil, fmt.Errorf("txn %s: log %s: %w", id, step, err)
		}
		log = append(log, e)
	}
	return &req, log, rows.Err()
}

// Summary is one stored transaction as GET /v1/txns lists it.
type Summary struct {
	ID        string    `json:"id"`
	Intent    string    `json:"intent,omitempty"`
	State     State     `json:"state"`
	Devices   int       `json:"devices"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Result is set once the transaction ended.
	Result *Result `json:"result,omitempty"`
}

// ListQuery selects stored transactions.
type ListQuery struct {
	Intent string // only this intent's transactions
	State  State  // only in this state
	Limit  int    // default 100, at most 1000
}

func (w *wal) list(ctx context.Context, q ListQuery, withResult bool) ([]Summary, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	query := `SELECT id, intent_id, state, request, result, created_at, updated_at FROM txn WHERE 1=1`
	var args []any
	if q.Intent != "" {
		query += ` AND intent_id = ?`
		args = append(args, q.Intent)
	}
	if q.State != "" {
		query += ` AND state = ?`
		args = append(args, string(q.State))
	}
	query += ` ORDER BY created_at DESC LIMIT ?`
	args = append(args, q.Limit)
	rows, err := w.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("txn: list: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var s Summary
		var state, req, res string
		var created, updated int64
		if err := rows.Scan(&s.ID, &s.Intent, &state, &req, &res, &created, &updated); err != nil {
			return nil, err
		}
		s.State, s.CreatedAt, s.UpdatedAt = State(state), time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
		var r struct {
			Participants []json.RawMessage `json:"participants"`
		}
		if json.Unmarshal([]byte(req), &r) == nil {
			s.Devices = len(r.Participants)
		}
		if withResult && res != "" {
			s.Result = &Result{}
			if err := json.Unmarshal([]byte(res), s.Result); err != nil {
				return nil, fmt.Errorf("txn %s: decode result: %w", s.ID, err)
			}
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (w *wal) get(ctx context.Context, id string) (*Summary, error) {
	var s Summary
	var state, req, res string
	var created, updated int64
	err := w.db.QueryRowContext(ctx, `SELECT id, intent_id, state, request, result, created_at, updated_at FROM txn WHERE id = ?`, id).
		Scan(&s.ID, &s.Intent, &state, &req, &res, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("txn %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("txn %s: get: %w", id, err)
	}
	s.State, s.CreatedAt, s.UpdatedAt = State(state), time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
	var r struct {
		Participants []json.RawMessage `json:"participants"`
	}
	if json.Unmarshal([]byte(req), &r) == nil {
		s.Devices = len(r.Participants)
	}
	if res != "" {
		s.Result = &Result{}
		if err := json.Unmarshal([]byte(res), s.Result); err != nil {
			return nil, fmt.Errorf("txn %s: decode result: %w", id, err)
		}
	}
	return &s, nil
}
