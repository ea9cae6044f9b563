package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/netagent/netagent/internal/store"
)

// Problem kinds of a ChainError.
const (
	ProblemEdited    = "edited"    // an entry's content no longer matches its hash
	ProblemDeleted   = "deleted"   // an entry is missing from the chain
	ProblemReordered = "reordered" // an entry sits where another belongs
	ProblemInserted  = "inserted"  // an entry follows no entry of the chain
	ProblemSignature = "signature" // a signed head does not verify
)

// ChainError names the first bad entry Verify found.
type ChainError struct {
	Seq     int64
	Problem string
	Reason  string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d (%s): %s", e.Seq, e.Problem, e.Reason)
}

// Report is what Verify found on an intact chain.
type Report struct {
	Entries   int64 `json:"entries"`
	LastSeq   int64 `json:"last_seq"`
	Heads     int   `json:"signed_heads"`
	SignedSeq int64 `json:"signed_seq"` // the latest signed head; entries after it are not yet signed
	// KeyFromStore is set when no key was given and the signatures were
	// checked against the key stored with them (proves integrity against
	// accidents, not against whoever could rewrite the store).
	KeyFromStore bool `json:"key_from_store,omitempty"`
}

type row struct {
	e          Entry
	storedHash string
}

// Verify walks the whole chain in db in sequence order, recomputing every
// hash and link, then checks every signed head against pub (nil: the key
// stored with each head) and that the head is still part of the chain. It
// returns a *ChainError naming the first bad entry, or another error when
// the store cannot be read.
func Verify(ctx context.Context, db *store.DB, pub ed25519.PublicKey) (Report, error) {
	var rep Report
	if err := requireTables(ctx, db); err != nil {
		return rep, err
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor, action, intent_id, txn_id, device, trace_id, detail, prev, hash
		FROM audit_entries ORDER BY seq`)
	if err != nil {
		return rep, fmt.Errorf("audit: verify %s: %w", db.Path(), err)
	}
	defer rows.Close()
	prevSeq, prevHash := int64(0), ZeroHash
	hashes := map[string]int64{} // every stored hash, for naming a misplaced entry
	var bad *ChainError
	var intact bool     // on a broken link: the entry itself matches its hash
	var linkPrev string // on a broken link: the hash the entry says it follows
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return rep, fmt.Errorf("audit: verify %s: %w", db.Path(), err)
		}
		hashes[r.storedHash] = r.e.Seq
		if bad != nil {
			continue // keep reading, to know every entry's hash
		}
		rep.Entries++
		rep.LastSeq = r.e.Seq
		switch {
		case r.e.Seq != prevSeq+1:
			bad = &ChainError{Seq: prevSeq + 1, Problem: ProblemDeleted,
				Reason: fmt.Sprintf("entry %d is missing: entry %d follows entry %d", prevSeq+1, r.e.Seq, prevSeq)}
		case r.e.Prev != prevHash:
			// Which entry it followed is settled once every hash is read.
			bad = &ChainError{Seq: r.e.Seq, Problem: problemLink, Reason: fmt.Sprintf(
				"its previous-hash %.12s… is not entry %d's hash %.12s…", r.e.Prev, prevSeq, prevHash)}
			intact = r.e.ComputeHash() == r.storedHash
			linkPrev = r.e.Prev
		case r.e.ComputeHash() != r.storedHash:
			bad = &ChainError{Seq: r.e.Seq, Problem: ProblemEdited, Reason: "its content does not match its hash (a field was changed after it was written)"}
		}
		prevSeq, prevHash = r.e.Seq, r.storedHash
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("audit: verify %s: %w", db.Path(), err)
	}
	if bad != nil {
		if bad.Problem == problemLink {
			bad = explainLink(bad, linkPrev, intact, hashes)
		}
		return rep, bad
	}
	heads, err := loadHeads(ctx, db)
	if err != nil {
		return rep, err
	}
	rep.Heads = len(heads)
	rep.KeyFromStore = pub == nil
	for _, h := range heads {
		key := pub
		if key == nil {
			key = h.PublicKey
		}
		if len(key) != ed25519.PublicKeySize || !ed25519.Verify(key, h.message(), h.Signature) {
			return rep, &ChainError{Seq: h.Seq, Problem: ProblemSignature,
				Reason: fmt.Sprintf("the head signed at %s does not verify with the agent's key", h.At.Format(time.RFC3339))}
		}
		if pub != nil && !bytes.Equal(h.PublicKey, pub) {
			return rep, &ChainError{Seq: h.Seq, Problem: ProblemSignature, Reason: "the head names another public key than the agent's"}
		}
		got, ok := seqOf(hashes, h.Hash)
		switch {
		case h.Seq > rep.LastSeq:
			return rep, &ChainError{Seq: rep.LastSeq + 1, Problem: ProblemDeleted, Reason: fmt.Sprintf(
				"the chain ends at entry %d but a head signed at %s covers entries up to %d", rep.LastSeq, h.At.Format(time.RFC3339), h.Seq)}
		case !ok || got != h.Seq:
			return rep, &ChainError{Seq: h.Seq, Problem: ProblemEdited, Reason: fmt.Sprintf(
				"entry %d is not the one signed at %s: the chain up to it was rewritten", h.Seq, h.At.Format(time.RFC3339))}
		}
		rep.SignedSeq = max(rep.SignedSeq, h.Seq)
	}
	return rep, nil
}

func seqOf(hashes map[string]int64, h string) (int64, bool) {
	s, ok := hashes[h]
	return s, ok
}

// problemLink marks a broken link until explainLink names it.
const problemLink = "link"

// explainLink names the first bad entry when entry bad.Seq does not follow
// the one before it: prev is the hash it says it follows, intact whether
// its own content matches its hash.
func explainLink(bad *ChainError, prev string, intact bool, hashes map[string]int64) *ChainError {
	if at, ok := hashes[prev]; ok && at != bad.Seq-1 {
		return &ChainError{Seq: bad.Seq, Problem: ProblemReordered, Reason: fmt.Sprintf(
			"it belongs after the entry now numbered %d, not after entry %d", at, bad.Seq-1)}
	}
	if intact && bad.Seq > 1 {
		// The entry it followed is gone under its number: that entry was
		// replaced (content and hash rewritten).
		return &ChainError{Seq: bad.Seq - 1, Problem: ProblemEdited, Reason: fmt.Sprintf(
			"it was rewritten: entry %d records a different hash for it", bad.Seq)}
	}
	if _, ok := hashes[prev]; !ok {
		return &ChainError{Seq: bad.Seq, Problem: ProblemDeleted, Reason: fmt.Sprintf(
			"the entry it followed (hash %.12s…) is no longer in the chain: deleted, or this entry was inserted", prev)}
	}
	bad.Problem = ProblemInserted
	return bad
}

func scanRow(rows *sql.Rows) (row, error) {
	var (
		r             row
		at            int64
		actor, detail string
	)
	if err := rows.Scan(&r.e.Seq, &at, &actor, &r.e.Action, &r.e.Intent, &r.e.Txn, &r.e.Device, &r.e.Trace,
		&detail, &r.e.Prev, &r.storedHash); err != nil {
		return r, err
	}
	r.e.Time = time.Unix(0, at).UTC()
	if actor != "" {
		r.e.Actor = json.RawMessage(actor)
	}
	if detail != "" {
		r.e.Detail = json.RawMessage(detail)
	}
	r.e.Hash = r.storedHash
	return r, nil
}

func loadHeads(ctx context.Context, db *store.DB) ([]Head, error) {
	rows, err := db.QueryContext(ctx, `SELECT seq, hash, at, public_key, signature FROM audit_heads ORDER BY n`)
	if err != nil {
		return nil, fmt.Errorf("audit: signed heads in %s: %w", db.Path(), err)
	}
	defer rows.Close()
	var out []Head
	for rows.Next() {
		var h Head
		var at int64
		var pk, sig string
		if err := rows.Scan(&h.Seq, &h.Hash, &at, &pk, &sig); err != nil {
			return nil, fmt.Errorf("audit: signed heads in %s: %w", db.Path(), err)
		}
		h.At = time.Unix(0, at).UTC()
		h.PublicKey, _ = base64.StdEncoding.DecodeString(pk)
		h.Signature, _ = base64.StdEncoding.DecodeString(sig)
		out = append(out, h)
	}
	return out, rows.Err()
}

// ErrNoLog reports a store that has no audit log (the agent never ran on it).
var ErrNoLog = errors.New("audit: no audit log in this store")

func requireTables(ctx context.Context, db *store.DB) error {
	v, err := db.Version(ctx, storeOwner)
	if err != nil {
		return err
	}
	if v == 0 {
		return fmt.Errorf("%w: %s", ErrNoLog, db.Path())
	}
	return nil
}

// Filter selects entries for Query. Zero fields match everything.
type Filter struct {
	Intent string
	Device string
	Since  time.Time
	// Limit bounds the answer (default 1000, at most 100000); the newest
	// entries are kept.
	Limit int
}

// Query returns the entries matching f, oldest first.
func Query(ctx context.Context, db *store.DB, f Filter) ([]Entry, error) {
	if err := requireTables(ctx, db); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	limit = min(limit, 100000)
	q := `SELECT seq, at, actor, action, intent_id, txn_id, device, trace_id, detail, prev, hash FROM audit_entries WHERE 1 = 1`
	var args []any
	if f.Intent != "" {
		q += ` AND intent_id = ?`
		args = append(args, f.Intent)
	}
	if f.Device != "" {
		q += ` AND device = ?`
		args = append(args, f.Device)
	}
	if !f.Since.IsZero() {
		q += ` AND at >= ?`
		args = append(args, f.Since.UnixNano())
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: query %s: %w", db.Path(), err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("audit: query %s: %w", db.Path(), err)
		}
		out = append(out, r.e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: query %s: %w", db.Path(), err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
