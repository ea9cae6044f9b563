package intent

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/internal/trace"
)

// storeOwner names this package's migrations in the shared store.
const storeOwner = "intent"

var migrations = []store.Migration{
	{Version: 1, Name: "intents and transitions", SQL: `
CREATE TABLE intents (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	kind       TEXT NOT NULL,
	state      TEXT NOT NULL,
	digest     TEXT NOT NULL,
	body       TEXT NOT NULL,
	source     TEXT NOT NULL,
	source_ref TEXT NOT NULL,
	requester  TEXT NOT NULL,
	plan       TEXT,
	error      TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX intents_state ON intents (state, seq);
CREATE TABLE intent_transitions (
	intent_seq INTEGER NOT NULL REFERENCES intents (seq),
	n          INTEGER NOT NULL,
	state      TEXT NOT NULL,
	reason     TEXT NOT NULL,
	at         INTEGER NOT NULL,
	PRIMARY KEY (intent_seq, n)
);`},
	{Version: 2, Name: "who submitted an intent and its trace", SQL: `
ALTER TABLE intents ADD COLUMN principal TEXT NOT NULL DEFAULT '';
ALTER TABLE intents ADD COLUMN trace_id TEXT NOT NULL DEFAULT '';`},
	{Version: 3, Name: "structured failures and knowledge advice", SQL: `
ALTER TABLE intents ADD COLUMN failures TEXT NOT NULL DEFAULT '';
ALTER TABLE intents ADD COLUMN advice TEXT NOT NULL DEFAULT '';`},
	{Version: 4, Name: "who made each transition and its trace", SQL: `
ALTER TABLE intent_transitions ADD COLUMN principal TEXT NOT NULL DEFAULT '';
ALTER TABLE intent_transitions ADD COLUMN trace_id TEXT NOT NULL DEFAULT '';`},
}

// records is the intent table of the store.
type records struct {
	db *store.DB
	// audit, when set, records each stored change in its transaction.
	audit Auditor
}

// insert stores a new record with its first transitions. It returns
// inserted=false, and stores nothing, when the id exists. body is the
// intent's canonical encoding when the caller has it (nil: encoded here).
func (r *records) insert(ctx context.Context, rec *Record, body []byte) (inserted bool, err error) {
	var plan sql.NullString
	var planJSON []byte
	if rec.Plan != nil {
		if planJSON, err = json.Marshal(rec.Plan); err != nil {
			return false, fmt.Errorf("intent %s: encode plan: %w", rec.ID, err)
		}
		plan = sql.NullString{String: string(planJSON), Valid: true}
	}
	if body == nil {
		body = rec.Intent.Canonical()
	}
	var principal string
	if rec.Source.Principal != nil {
		b, err := json.Marshal(rec.Source.Principal)
		if err != nil {
			return false, fmt.Errorf("intent %s: encode principal: %w", rec.ID, err)
		}
		principal = string(b)
	}
	entries := r.insertEntries(rec, planJSON, principal)
	err = r.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO intents (id, kind, state, digest, body, source, source_ref, requester, plan, error, created_at, updated_at, principal, trace_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			rec.ID, rec.Kind, rec.State, rec.Digest, string(body), rec.Source.Channel, rec.Source.Ref,
			rec.Requester, plan, rec.Error, rec.CreatedAt.UnixNano(), rec.UpdatedAt.UnixNano(), principal, string(rec.Source.TraceID))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if len(rec.History) > 0 {
			// One statement for the first transitions (accepted, planned).
			args := make([]any, 0, 7*len(rec.History))
			for i, t := range rec.History {
				args = append(args, seq, i, t.State, t.Reason, t.At.UnixNano(), principal, string(rec.Source.TraceID))
			}
			if _, err := tx.ExecContext(ctx, transitionInserts(len(rec.History)), args...); err != nil {
				return err
			}
		}
		inserted = true
		return r.appendEntries(ctx, tx, entries)
	})
	if err != nil {
		return false, fmt.Errorf("intent %s: store: %w", rec.ID, err)
	}
	return inserted, nil
}

// transitionInsertText holds the INSERT statements of 1 and 2 transitions
// (a new record's first transitions: accepted, and planned).
var transitionInsertText = [...]string{"",
	`INSERT INTO intent_transitions (intent_seq, n, state, reason, at, principal, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
	`INSERT INTO intent_transitions (intent_seq, n, state, reason, at, principal, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)`,
}

// transitionInserts is the INSERT statement of n transitions.
func transitionInserts(n int) string {
	if n < len(transitionInsertText) {
		return transitionInsertText[n]
	}
	return transitionInsertText[1] + strings.Repeat(", (?, ?, ?, ?, ?, ?, ?)", n-1)
}

// update moves a record from state from to state to (compare-and-set: it
// fails with ErrConflict if the record is no longer in from), recording the
// transition, and sets the plan (when plan is not nil) and the error text.
func (r *records) update(ctx context.Context, id string, from, to State, reason string, at time.Time, plan *Plan, errText string) error {
	if !CanTransition(from, to) {
		return fmt.Errorf("%w: intent %s cannot go from %s to %s", ErrConflict, id, from, to)
	}
	var planJSON sql.NullString
	var planBytes []byte
	if plan != nil {
		b, err := json.Marshal(plan)
		if err != nil {
			return fmt.Errorf("intent %s: encode plan: %w", id, err)
		}
		planJSON, planBytes = sql.NullString{String: string(b), Valid: true}, b
	}
	entries := r.transitionEntries(id, from, to, reason, errText, plan, planBytes)
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		var seq int64
		var state string
		err := tx.QueryRowContext(ctx, `SELECT seq, state FROM intents WHERE id = ?`, id).Scan(&seq, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		if State(state) != from {
			return fmt.Errorf("%w: intent %s is %s, not %s", ErrConflict, id, state, from)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE intents SET state = ?, plan = coalesce(?, plan), error = ?, updated_at = ? WHERE seq = ?`,
			to, planJSON, errText, at.UnixNano(), seq); err != nil {
			return err
		}
		by, tr := actorOf(ctx)
		_, err = tx.ExecContext(ctx, `INSERT INTO intent_transitions (intent_seq, n, state, reason, at, principal, trace_id)
			VALUES (?, (SELECT coalesce(max(n), -1) + 1 FROM intent_transitions WHERE intent_seq = ?), ?, ?, ?, ?, ?)`,
			seq, seq, to, reason, at.UnixNano(), by, tr)
		if err != nil {
			return err
		}
		return r.appendEntries(ctx, tx, entries)
	})
	if err != nil {
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			return err
		}
		return fmt.Errorf("intent %s: store %s -> %s: %w", id, from, to, err)
	}
	return nil
}

// setPlan replaces a record's plan without a transition (a re-plan that
// stays planned).
func (r *records) setPlan(ctx context.Context, id string, state State, plan *Plan, at time.Time) error {
	b, err := json.Marshal(plan)
	if err != nil {
		return fmt.Errorf("intent %s: encode plan: %w", id, err)
	}
	entries := r.planEntry(nil, id, plan, b)
	return r.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE intents SET plan = ?, updated_at = ? WHERE id = ? AND state = ?`, string(b), at.UnixNano(), id, state)
		if err != nil {
			return fmt.Errorf("intent %s: store plan: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: intent %s is no longer %s", ErrConflict, id, state)
		}
		return r.appendEntries(ctx, tx, entries)
	})
}

// setOutcome stores an execution's structured failures and the knowledge
// base's advice on a record, without a transition.
func (r *records) setOutcome(ctx context.Context, id string, fs []Failure, advice []Advice) error {
	f, err := json.Marshal(fs)
	if err != nil {
		return fmt.Errorf("intent %s: encode failures: %w", id, err)
	}
	a, err := json.Marshal(advice)
	if err != nil {
		return fmt.Errorf("intent %s: encode advice: %w", id, err)
	}
	if _, err := r.db.ExecContext(ctx, `UPDATE intents SET failures = ?, advice = ? WHERE id = ?`, string(f), string(a), id); err != nil {
		return fmt.Errorf("intent %s: store failures: %w", id, err)
	}
	return nil
}

const recordColumns = `seq, id, kind, state, digest, body, source, source_ref, requester, plan, error, created_at, updated_at, principal, trace_id, failures, advice`

type scanner interface{ Scan(dest ...any) error }

func scanRecord(row scanner) (*Record, int64, error) {
	return scanRecordWindow(row, nil)
}

// scanRecordWindow is scanRecord decoding, when win is set, only the
// window's devices of the stored plan (and the whole plan's totals into
// win).
func scanRecordWindow(row scanner, win *PlanWindow) (*Record, int64, error) {
	var (
		rec              Record
		seq              int64
		body             string
		plan             sql.NullString
		created, updated int64
		principal        string
		failures, advice string
	)
	if err := row.Scan(&seq, &rec.ID, &rec.Kind, &rec.State, &rec.Digest, &body, &rec.Source.Channel, &rec.Source.Ref,
		&rec.Requester, &plan, &rec.Error, &created, &updated, &principal, &rec.Source.TraceID, &failures, &advice); err != nil {
		return nil, 0, err
	}
	if principal != "" {
		rec.Source.Principal = &auth.Principal{}
		if err := json.Unmarshal([]byte(principal), rec.Source.Principal); err != nil {
			return nil, 0, fmt.Errorf("intent %s: stored principal: %w", rec.ID, err)
		}
	}
	if failures != "" {
		if err := json.Unmarshal([]byte(failures), &rec.Failures); err != nil {
			return nil, 0, fmt.Errorf("intent %s: stored failures: %w", rec.ID, err)
		}
	}
	if advice != "" {
		if err := json.Unmarshal([]byte(advice), &rec.Advice); err != nil {
			return nil, 0, fmt.Errorf("intent %s: stored advice: %w", rec.ID, err)
		}
	}
	in, err := Decode([]byte(body))
	if err != nil {
		return nil, 0, fmt.Errorf("intent %s: stored body: %w", rec.ID, err)
	}
	rec.Intent = in
	if plan.Valid {
		var err error
		if win != nil {
			rec.Plan, err = win.decode([]byte(plan.String))
		} else {
			rec.Plan = &Plan{}
			err = json.Unmarshal([]byte(plan.String), rec.Plan)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("intent %s: stored plan: %w", rec.ID, err)
		}
	}
	rec.CreatedAt = time.Unix(0, created).UTC()
	rec.UpdatedAt = time.Unix(0, updated).UTC()
	return &rec, seq, nil
}

func (r *records) history(ctx context.Context, seq int64) ([]Transition, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT state, reason, at, principal, trace_id FROM intent_transitions WHERE intent_seq = ? ORDER BY n`, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Transition
	for rows.Next() {
		var t Transition
		var at int64
		var by string
		if err := rows.Scan(&t.State, &t.Reason, &at, &by, &t.TraceID); err != nil {
			return nil, err
		}
		if by != "" {
			t.By = &auth.Principal{}
			if err := json.Unmarshal([]byte(by), t.By); err != nil {
				return nil, fmt.Errorf("transition %d to %s: stored principal: %w", len(out), t.State, err)
			}
		}
		t.At = time.Unix(0, at).UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// actorOf is who ctx acts for (JSON, "" for no one) and its trace id,
// as stored with a transition.
func actorOf(ctx context.Context) (principal, traceID string) {
	if p, ok := auth.FromContext(ctx); ok {
		if b, err := json.Marshal(p); err == nil {
			principal = string(b)
		}
	}
	return principal, string(trace.IDFrom(ctx))
}

// exists reports whether a record with id is stored (one indexed lookup,
// cheaper than get: submissions check it before planning).
func (r *records) exists(ctx context.Context, id string) (bool, error) {
	var one int
	err := r.db.QueryRowContext(ctx, `SELECT 1 FROM intents WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("intent %s: load: %w", id, err)
	}
	return true, nil
}

// get returns the record with id, with its history.
func (r *records) get(ctx context.Context, id string) (*Record, error) {
	return r.getWindow(ctx, id, nil)
}

// getWindow is get with only win's devices of the plan decoded (all
// with win nil).
func (r *records) getWindow(ctx context.Context, id string, win *PlanWindow) (*Record, error) {
	rec, seq, err := scanRecordWindow(r.db.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM intents WHERE id = ?`, id), win)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("intent %s: load: %w", id, err)
	}
	if rec.History, err = r.history(ctx, seq); err != nil {
		return nil, fmt.Errorf("intent %s: load history: %w", id, err)
	}
	return rec, nil
}

// ListQuery selects records for List.
type ListQuery struct {
	// State, when set, keeps only records in that state.
	State State
	// Limit is the page size: 1 to 1000, default 100.
	Limit int
	// PageToken continues a previous List (its NextPageToken).
	PageToken string
}

// Page is one page of records, oldest first.
type Page struct {
	Records       []*Record `json:"records"`
	NextPageToken string    `json:"next_page_token,omitempty"`
}

func (r *records) list(ctx context.Context, q ListQuery) (*Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	var after int64
	if q.PageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.PageToken)
		if err == nil {
			after, err = strconv.ParseInt(string(b), 10, 64)
		}
		if err != nil || after < 0 {
			return nil, invalid(StageSyntax, "", "page_token %q is not one this service issued", q.PageToken)
		}
	}
	query := `SELECT ` + recordColumns + ` FROM intents WHERE seq > ?`
	args := []any{after}
	if q.State != "" {
		query += ` AND state = ?`
		args = append(args, q.State)
	}
	query += ` ORDER BY seq LIMIT ?`
	args = append(args, limit+1)
	rows, err := r.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("intent: list: %w", err)
	}
	type item struct {
		rec *Record
		seq int64
	}
	var items []item
	for rows.Next() {
		rec, seq, err := scanRecord(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("intent: list: %w", err)
		}
		items = append(items, item{rec, seq})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("intent: list: %w", err)
	}
	page := &Page{Records: []*Record{}}
	if len(items) > limit {
		items = items[:limit]
		page.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(items[limit-1].seq, 10)))
	}
	for _, it := range items {
		if it.rec.History, err = r.history(ctx, it.seq); err != nil {
			return nil, fmt.Errorf("intent: list: %w", err)
		}
		page.Records = append(page.Records, it.rec)
	}
	return page, nil
}

// pendingIDs lists records the service still has work for, oldest first,
// at most limit of them.
func (r *records) pendingIDs(ctx context.Context, limit int) ([]string, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT id FROM intents WHERE state IN (?, ?, ?, ?) ORDER BY seq LIMIT ?`,
		StateAccepted, StatePlanned, StateApplying, StateWithdrawing, limit)
	if err != nil {
		return nil, fmt.Errorf("intent: pending: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("intent: pending: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// PlanWindow asks for part of a stored plan: the devices [Offset,
// Offset+Limit) (sorted by name, as planned; Limit 0: none). Reading a
// record through a window decodes only those devices' changes, so a page
// of a plan of thousands of devices costs little more than the page;
// DevicesTotal and ChangesTotal are set to the whole plan's counts.
type PlanWindow struct {
	Offset, Limit int

	DevicesTotal, ChangesTotal int
}

// decode reads a stored plan's window (see PlanWindow), streaming: the
// devices outside the window are decoded only for their change count.
func (w *PlanWindow) decode(b []byte) (*Plan, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	p := &Plan{Devices: []DevicePlan{}}
	w.DevicesTotal, w.ChangesTotal = 0, 0
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	for dec.More() {
		name, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch name {
		case "intent_id":
			if err := dec.Decode(&p.IntentID); err != nil {
				return nil, err
			}
		case "devices":
			t, err := dec.Token()
			if err != nil {
				return nil, err
			}
			if t == nil {
				continue // null: no devices
			}
			if t != json.Delim('[') {
				return nil, fmt.Errorf("stored plan: devices is %v, not a list", t)
			}
			for i := 0; dec.More(); i++ {
				if i >= w.Offset && i < w.Offset+w.Limit {
					var dp DevicePlan
					if err := dec.Decode(&dp); err != nil {
						return nil, err
					}
					p.Devices = append(p.Devices, dp)
					w.ChangesTotal += len(dp.Changes)
				} else {
					var count struct {
						Changes []struct{} `json:"changes"`
					}
					if err := dec.Decode(&count); err != nil {
						return nil, fmt.Errorf("device plan %d: %w", i, err)
					}
					w.ChangesTotal += len(count.Changes)
				}
				w.DevicesTotal++
			}
			if err := expectDelim(dec, ']'); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	return p, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("stored plan: %v where %v was expected", t, d)
	}
	return nil
}
