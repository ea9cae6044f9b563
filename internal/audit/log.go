package audit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/internal/trace"
)

// storeOwner names this package's migrations in the shared store.
const storeOwner = "audit"

var migrations = []store.Migration{
	{Version: 1, Name: "hash-chained entries and signed heads", SQL: `
CREATE TABLE audit_entries (
	seq       INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL,
	actor     TEXT NOT NULL,
	action    TEXT NOT NULL,
	intent_id TEXT NOT NULL,
	txn_id    TEXT NOT NULL,
	device    TEXT NOT NULL,
	trace_id  TEXT NOT NULL,
	detail    TEXT NOT NULL,
	prev      TEXT NOT NULL,
	hash      TEXT NOT NULL
);
CREATE INDEX audit_entries_intent ON audit_entries (intent_id, seq);
CREATE INDEX audit_entries_device ON audit_entries (device, seq);
CREATE INDEX audit_entries_at ON audit_entries (at);
CREATE INDEX audit_entries_hash ON audit_entries (hash);
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TABLE audit_heads (
	n          INTEGER PRIMARY KEY AUTOINCREMENT,
	seq        INTEGER NOT NULL,
	hash       TEXT NOT NULL,
	at         INTEGER NOT NULL,
	public_key TEXT NOT NULL,
	signature  TEXT NOT NULL
);`},
	// Nothing looks entries up by hash (Verify reads the chain in order):
	// the index only cost every append a write to a random page of it.
	{Version: 2, Name: "no index on entry hashes", SQL: `DROP INDEX IF EXISTS audit_entries_hash;`},
}

// Migrate creates or upgrades the audit tables in db. New calls it; the
// command line reads an existing store without it.
func Migrate(ctx context.Context, db *store.DB) error {
	_, err := db.Migrate(ctx, storeOwner, migrations)
	return err
}

// Options configure a Log.
type Options struct {
	// Key signs the chain's head. Without one Sign fails and Run only
	// waits.
	Key ed25519.PrivateKey
	// Self is the actor of entries nobody asked for (a failover, say)
	// when the context carries no principal; default the agent itself.
	Self auth.Principal
	// Clock stamps entries; default time.Now.
	Clock func() time.Time
	// Logger receives signing failures; nil discards.
	Logger *slog.Logger
}

// Log appends to the audit chain of one store. Safe for concurrent use; the
// methods of a nil *Log do nothing and return zero values, so that callers
// need not check whether auditing is configured.
type Log struct {
	db   *store.DB
	key  ed25519.PrivateKey
	self json.RawMessage
	now  func() time.Time
	log  *slog.Logger
}

// New returns the audit log of db, migrating its tables.
func New(ctx context.Context, db *store.DB, opts Options) (*Log, error) {
	if db == nil {
		return nil, errors.New("audit: New needs a store")
	}
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	self := opts.Self
	if self.Subject == "" {
		self = auth.Principal{Subject: "netagent", Kind: "agent", Via: "local"}
	}
	l := &Log{db: db, key: opts.Key, self: ActorJSON(self), now: opts.Clock, log: opts.Logger}
	if l.now == nil {
		l.now = time.Now
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	return l, nil
}

// Record appends e in a transaction of its own (see Append).
func (l *Log) Record(ctx context.Context, e Entry) (Entry, error) {
	if l == nil {
		return e, nil
	}
	var out Entry
	err := l.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = l.Append(ctx, tx, e)
		return err
	})
	if err != nil {
		return e, err
	}
	return out, nil
}

// Append appends e within the caller's store transaction tx, so that it
// commits or rolls back with the change it records, and returns it with
// Seq, Time, Prev and Hash set. tx must have been begun on the Log's store
// (store.DB.Tx, which takes the write lock at once). An empty Actor is
// taken from auth.FromContext, an empty Trace from trace.IDFrom; for an
// intent's entry, whatever is still empty comes from the intent's first
// entry; an entry with no actor after that is the agent's own.
func (l *Log) Append(ctx context.Context, tx *sql.Tx, e Entry) (Entry, error) {
	if l == nil {
		return e, nil
	}
	out, err := l.AppendAll(ctx, tx, []Entry{e})
	if err != nil {
		return e, err
	}
	return out[0], nil
}

// maxRowsPerInsert bounds the entries one INSERT statement carries
// (11 variables each, far below SQLite's limit), so that the statement
// texts the store caches stay few.
const maxRowsPerInsert = 16

// AppendAll appends es, in order, within tx, as Append does each, and
// returns them with Seq, Time, Prev and Hash set: the chain's head is read
// once and the entries go in with one INSERT (up to 16 a statement), which
// is what several entries of one stored change (an intent accepted and
// its plan) cost the store's one writer. Nothing is appended when one of
// them is refused.
func (l *Log) AppendAll(ctx context.Context, tx *sql.Tx, es []Entry) ([]Entry, error) {
	if l == nil || len(es) == 0 {
		return es, nil
	}
	out := make([]Entry, len(es))
	var ctxActor json.RawMessage
	ctxTrace := string(trace.IDFrom(ctx))
	if p, ok := auth.FromContext(ctx); ok {
		ctxActor = ActorJSON(p)
	}
	for i, e := range es {
		if len(e.Actor) == 0 {
			e.Actor = ctxActor
		}
		if e.Trace == "" {
			e.Trace = ctxTrace
		}
		if e.Intent != "" && (len(e.Actor) == 0 || e.Trace == "") {
			actor, tr, err := l.inherited(ctx, tx, out[:i], e)
			if err != nil {
				return es, err
			}
			if len(e.Actor) == 0 && actor != "" {
				e.Actor = json.RawMessage(actor)
			}
			if e.Trace == "" {
				e.Trace = tr
			}
		}
		if len(e.Actor) == 0 {
			e.Actor = l.self
		}
		if e.Time.IsZero() {
			e.Time = l.now()
		}
		e.Time = time.Unix(0, e.Time.UnixNano()).UTC()
		if err := e.check(); err != nil {
			return es, err
		}
		out[i] = e
	}
	var last sql.NullInt64
	var prev sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return es, fmt.Errorf("audit: %s entry: read head: %w", es[0].Action, err)
	}
	seq, head := last.Int64, ZeroHash
	if prev.Valid {
		head = prev.String
	}
	for i := range out {
		seq++
		out[i].Seq, out[i].Prev = seq, head
		out[i].Hash = out[i].ComputeHash()
		head = out[i].Hash
	}
	for rest := out; len(rest) > 0; {
		n := min(len(rest), maxRowsPerInsert)
		if err := insertRows(ctx, tx, rest[:n]); err != nil {
			return es, err
		}
		rest = rest[n:]
	}
	return out, nil
}

// inherited is the actor and trace e inherits from its intent's first
// entry: the stored one, or else one earlier in the same call.
func (l *Log) inherited(ctx context.Context, tx *sql.Tx, before []Entry, e Entry) (actor, tr string, err error) {
	err = tx.QueryRowContext(ctx, `SELECT actor, trace_id FROM audit_entries WHERE intent_id = ? ORDER BY seq LIMIT 1`,
		e.Intent).Scan(&actor, &tr)
	if errors.Is(err, sql.ErrNoRows) {
		for _, b := range before {
			if b.Intent == e.Intent {
				return string(b.Actor), b.Trace, nil
			}
		}
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("audit: %s entry for intent %s: %w", e.Action, e.Intent, err)
	}
	return actor, tr, nil
}

// insertStmts are the INSERT statements of 1 to maxRowsPerInsert entries.
var insertStmts = func() []string {
	const cols = `INSERT INTO audit_entries (seq, at, actor, action, intent_id, txn_id, device, trace_id, detail, prev, hash) VALUES `
	out := make([]string, maxRowsPerInsert+1)
	for n := 1; n <= maxRowsPerInsert; n++ {
		out[n] = cols + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", n), ", ")
	}
	return out
}()

// insertRows writes es (at most maxRowsPerInsert) with one statement.
func insertRows(ctx context.Context, tx *sql.Tx, es []Entry) error {
	args := make([]any, 0, 11*len(es))
	for _, e := range es {
		args = append(args, e.Seq, e.Time.UnixNano(), string(e.Actor), e.Action, e.Intent, e.Txn, e.Device, e.Trace, string(e.Detail), e.Prev, e.Hash)
	}
	if _, err := tx.ExecContext(ctx, insertStmts[len(es)], args...); err != nil {
		if len(es) == 1 {
			return fmt.Errorf("audit: append %s entry %d: %w", es[0].Action, es[0].Seq, err)
		}
		return fmt.Errorf("audit: append entries %d to %d (%s first): %w", es[0].Seq, es[len(es)-1].Seq, es[0].Action, err)
	}
	return nil
}

// IntentContext returns ctx carrying the trace and the principal recorded
// with intent id's first entry, where ctx carries none of its own, so that
// the work a worker does later for the intent is logged and attributed to
// its submission.
func (l *Log) IntentContext(ctx context.Context, id string) context.Context {
	if l == nil || id == "" {
		return ctx
	}
	_, hasP := auth.FromContext(ctx)
	hasT := trace.IDFrom(ctx) != ""
	if hasP && hasT {
		return ctx
	}
	var actor, tr string
	err := l.db.QueryRowContext(ctx, `SELECT actor, trace_id FROM audit_entries WHERE intent_id = ? ORDER BY seq LIMIT 1`, id).Scan(&actor, &tr)
	if err != nil {
		return ctx
	}
	if !hasT && tr != "" {
		ctx = trace.With(ctx, trace.Context{TraceID: trace.ID(tr)})
	}
	if !hasP {
		if p, ok := (Entry{Actor: json.RawMessage(actor)}).Principal(); ok && p.Subject != "" {
			ctx = auth.WithPrincipal(ctx, p)
		}
	}
	return ctx
}

type intentKey struct{}

// WithIntent returns ctx naming the intent whose work it carries; device
// operations done under it are audited as that intent's.
func WithIntent(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, intentKey{}, id)
}

// IntentFrom returns the intent id WithIntent put in ctx, or "".
func IntentFrom(ctx context.Context) string {
	id, _ := ctx.Value(intentKey{}).(string)
	return id
}

// AuthFailure is what the authentication layer reports about a refused
// request.
type AuthFailure struct {
	// Surface is the server ("rest", "mcp", "peer", "metrics", "lab").
	Surface string `json:"surface,omitempty"`
	// Route is the pattern or path requested.
	Route  string `json:"route,omitempty"`
	Remote string `json:"remote,omitempty"`
	// Status is 401 or 403.
	Status int `json:"status"`
	// Reason says why: "missing token", "expired token", "scope devices:write missing".
	Reason string `json:"reason"`
	// Subject is who the credential claimed to be, when known.
	Subject string `json:"subject,omitempty"`
}

// RecordAuthFailure appends an auth.failure entry. The actor is the
// context's principal if any (a 403), otherwise the claimed subject.
func (l *Log) RecordAuthFailure(ctx context.Context, f AuthFailure) error {
	e := Entry{Action: ActionAuthFailure, Detail: Detail(f)}
	if _, ok := auth.FromContext(ctx); !ok {
		subject := f.Subject
		if subject == "" {
			subject = "anonymous"
		}
		e.Actor = ActorJSON(auth.Principal{Subject: subject, Via: "unauthenticated"})
	}
	_, err := l.Record(ctx, e)
	return err
}

// TokenChange is what the token store reports when a token is created,
// rotated or revoked. Never put the token itself here: its id only.
type TokenChange struct {
	Op        string       `json:"op"` // create, rotate, revoke
	TokenID   string       `json:"token_id"`
	Subject   string       `json:"subject,omitempty"`
	Scopes    []auth.Scope `json:"scopes,omitempty"`
	ExpiresAt time.Time    `json:"expires_at,omitzero"`
}

// RecordTokenChange appends an auth.token entry; the actor is whoever
// made the change (the context's principal).
func (l *Log) RecordTokenChange(ctx context.Context, c TokenChange) error {
	_, err := l.Record(ctx, Entry{Action: ActionTokenChange, Detail: Detail(c)})
	return err
}

// Recorder is what a surface needs to write audit entries; *Log has it.
// Declare a narrower interface on the consumer side if you like.
type Recorder interface {
	Record(ctx context.Context, e Entry) (Entry, error)
}

var _ Recorder = (*Log)(nil)
