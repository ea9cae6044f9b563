package intent

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/yang"
)

// Ownership: which intents hold which nodes of a device.
//
// Every node an intent's configuration involves (the list entries on the
// way to what it sets, the leaves it sets, and whatever its plan creates,
// changes or deletes) is a claim: (device, path, intent), with the value
// the intent gave the node and the value it replaced (for an entry: whether
// it exists). Claims of one path are ordered by when they were taken, so
// they form a stack. Withdrawing an intent takes its claims out:
//
//   - when a later claim on the path remains, that later intent changed or
//     relied on the node since: the node stays, and the later claim now
//     remembers the value the withdrawn one had replaced (so withdrawing it
//     in turn restores what was there before either);
//   - otherwise the node goes back to the value the intent replaced, but
//     only if it still holds the intent's value (a change made on the
//     device since is kept and the plan says why);
//   - an entry the intent created is removed only when nothing is left
//     below it but its keys: configuration that netagent did not create
//     stays, and so does everything other intents hold.
//
// Claims live in the embedded store (owner claimsOwner) beside the intent
// records. They are taken when an intent starts applying (before any
// device is touched, so a crash cannot lose them) and dropped when its
// withdraw has been carried out, or when it rolled back.

// claimsOwner names the ownership migrations in the shared store.
const claimsOwner = "intent-claims"

var claimMigrations = []store.Migration{
	{Version: 1, Name: "claims: which intents hold which device paths", SQL: `
CREATE TABLE intent_claims (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	device    TEXT NOT NULL,
	path      TEXT NOT NULL,
	intent_id TEXT NOT NULL,
	has_value INTEGER NOT NULL,
	value     TEXT NOT NULL,
	has_prev  INTEGER NOT NULL,
	prev      TEXT NOT NULL,
	UNIQUE (device, path, intent_id)
);
CREATE INDEX intent_claims_intent ON intent_claims (intent_id, device);`},
}

// present is a node's value in a claim: for a leaf its canonical value, for
// a list entry only whether it exists.
type present struct {
	ok    bool
	value any // leaves only
}

func (p present) String() string {
	switch {
	case !p.ok:
		return "absent"
	case p.value == nil:
		return "present"
	}
	return yang.FormatValue(p.value)
}

func (p present) equal(q present) bool { return p.ok == q.ok && p.value == q.value }

// claim is one intent's hold on one path of one device.
type claim struct {
	seq    int64
	device string
	path   yang.Path
	intent string
	value  present // what the intent made it
	prev   present // what it replaced
}

// nodeOf reads a path's presence in t.
func nodeOf(t *yang.Tree, p yang.Path) present {
	if p.IsEntry() {
		return present{ok: t.Has(p)}
	}
	v, ok := t.Get(p)
	return present{ok: ok, value: v}
}

// claimsOf lists the claims of an intent's plan for one device: the nodes it
// holds and the nodes its changes touch, each with every list entry above
// it, with the value before (dp.Before) and after the plan.
func claimsOf(intentID string, dp DevicePlan) ([]claim, error) {
	if dp.Before == nil {
		return nil, fmt.Errorf("intent %s: plan for %s has no configuration to claim against", intentID, dp.Device)
	}
	after := dp.Before.Clone()
	if err := yang.Apply(after, dp.Changes); err != nil {
		return nil, fmt.Errorf("intent %s: plan for %s: %w", intentID, dp.Device, err)
	}
	seen := map[string]bool{}
	var out []claim
	add := func(p yang.Path) {
		for i := 1; i <= len(p); i++ {
			q := p[:i]
			if i < len(p) && !q.IsEntry() {
				continue
			}
			if isKeyLeaf(q) {
				continue // implied by its entry
			}
			k := q.String()
			if seen[k] {
				continue
			}
			seen[k] = true
			q = append(yang.Path(nil), q...)
			out = append(out, claim{device: dp.Device, path: q, intent: intentID, value: nodeOf(after, q), prev: nodeOf(dp.Before, q)})
		}
	}
	for _, p := range dp.Holds {
		if nodeOf(after, p).ok {
			add(p)
		}
	}
	for _, c := range dp.Changes {
		add(c.Path)
		if c.Op == yang.OpDelete && c.Path.IsEntry() {
			// Everything the deletion removes is the intent's to restore.
			for _, l := range dp.Before.Subtree(c.Path) {
				add(l.Path)
			}
		}
	}
	return out, nil
}

// isKeyLeaf reports whether p is a key leaf of its entry or the config/
// copy of one: it exists exactly when the entry does.
func isKeyLeaf(p yang.Path) bool {
	n := len(p)
	if n < 2 || p.IsEntry() {
		return false
	}
	name := p[n-1].Name
	for _, k := range p[n-2].Keys {
		if k.Name == name {
			return true
		}
	}
	if n >= 3 && p[n-2].Name == "config" {
		for _, k := range p[n-3].Keys {
			if k.Name == name {
				return true
			}
		}
	}
	return false
}

// claims is the claim table of the store.
type claims struct {
	db *store.DB
}

func encodePresent(p present) (int, string) {
	if !p.ok {
		return 0, ""
	}
	if p.value == nil {
		return 1, ""
	}
	return 1, yang.FormatValue(p.value)
}

func decodePresent(path yang.Path, has int, text string) (present, error) {
	if has == 0 {
		return present{}, nil
	}
	if path.IsEntry() {
		return present{ok: true}, nil
	}
	s, err := path.Schema()
	if err != nil {
		return present{}, err
	}
	v, err := yang.ParseValue(s, text)
	if err != nil {
		return present{}, fmt.Errorf("%s: %w", path, err)
	}
	return present{ok: true, value: v}, nil
}

// hold stores cs, keeping claims the intent already holds as they are (a
// re-plan after a restart or a reconcile does not forget what the intent
// first replaced).
func (c *claims) hold(ctx context.Context, cs []claim) error {
	if len(cs) == 0 {
		return nil
	}
	return c.db.Tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO intent_claims (device, path, intent_id, has_value, value, has_prev, prev)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device, path, intent_id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, cl := range cs {
			hv, v := encodePresent(cl.value)
			hp, p := encodePresent(cl.prev)
			if _, err := st.ExecContext(ctx, cl.device, cl.path.String(), cl.intent, hv, v, hp, p); err != nil {
				return fmt.Errorf("claim %s %s for %s: %w", cl.device, cl.path, cl.intent, err)
			}
		}
		return nil
	})
}

// release drops every claim of an intent.
func (c *claims) release(ctx context.Context, intentID string) error {
	if _, err := c.db.ExecContext(ctx, `DELETE FROM intent_claims WHERE intent_id = ?`, intentID); err != nil {
		return fmt.Errorf("intent %s: release claims: %w", intentID, err)
	}
	return nil
}

// handOver stores the outcome of a withdraw: the intent's claims go, and
// each later claim in splices takes over the value the intent replaced.
func (c *claims) handOver(ctx context.Context, intentID string, splices []claim) error {
	return c.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, s := range splices {
			hp, p := encodePresent(s.prev)
			if _, err := tx.ExecContext(ctx, `UPDATE intent_claims SET has_prev = ?, prev = ? WHERE seq = ?`, hp, p, s.seq); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM intent_claims WHERE intent_id = ?`, intentID)
		return err
	})
}

// stacks returns, for every path the intent holds on device, every claim
// on that path (the intent's and others'), oldest first.
func (c *claims) stacks(ctx context.Context, device, intentID string) (map[string][]claim, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT seq, path, intent_id, has_value, value, has_prev, prev FROM intent_claims
		WHERE device = ? AND path IN (SELECT path FROM intent_claims WHERE device = ? AND intent_id = ?) ORDER BY seq`,
		device, device, intentID)
	if err != nil {
		return nil, fmt.Errorf("claims on %s: %w", device, err)
	}
	out := map[string][]claim{}
	return out, scanClaims(rows, device, func(cl claim) { out[cl.path.String()] = append(out[cl.path.String()], cl) })
}

// others adds to stacks the claims of other intents on its paths (for an
// intent without stored claims).
func (c *claims) others(ctx context.Context, device string, stacks map[string][]claim) error {
	rows, err := c.db.QueryContext(ctx, `SELECT seq, path, intent_id, has_value, value, has_prev, prev FROM intent_claims
		WHERE device = ? ORDER BY seq`, device)
	if err != nil {
		return fmt.Errorf("claims on %s: %w", device, err)
	}
	return scanClaims(rows, device, func(cl claim) {
		if k := cl.path.String(); stacks[k] != nil {
			stacks[k] = append(stacks[k], cl)
		}
	})
}

func scanClaims(rows *sql.Rows, device string, each func(claim)) error {
	defer rows.Close()
	for rows.Next() {
		var (
			cl       claim
			path     string
			hv, hp   int
			val, prv string
		)
		if err := rows.Scan(&cl.seq, &path, &cl.intent, &hv, &val, &hp, &prv); err != nil {
			return fmt.Errorf("claims on %s: %w", device, err)
		}
		p, err := yang.ParsePath(path)
		if err != nil {
			return fmt.Errorf("claims on %s: %w", device, err)
		}
		cl.device, cl.path = device, p
		if cl.value, err = decodePresent(p, hv, val); err != nil {
			return fmt.Errorf("claims on %s: %w", device, err)
		}
		if cl.prev, err = decodePresent(p, hp, prv); err != nil {
			return fmt.Errorf("claims on %s: %w", device, err)
		}
		each(cl)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("claims on %s: %w", device, err)
	}
	return nil
}

// legacyClaims stands in for the claims of an intent applied before claims
// were kept: what its stored plan changed.
func legacyClaims(intentID string, dp DevicePlan) []claim {
	var out []claim
	for _, c := range dp.Changes {
		cl := claim{device: dp.Device, path: c.Path, intent: intentID}
		switch {
		case c.Path.IsEntry() && c.Op == yang.OpDelete:
			cl.prev = present{ok: true}
		case c.Path.IsEntry():
			cl.value = present{ok: true}
		case c.Op == yang.OpCreate:
			cl.value = present{ok: true, value: c.New}
		case c.Op == yang.OpUpdate:
			cl.value, cl.prev = present{ok: true, value: c.New}, present{ok: true, value: c.Old}
		default:
			cl.prev = present{ok: true, value: c.Old}
		}
		out = append(out, cl)
	}
	return out
}

// Kept is a node a withdraw leaves in place although the intent had set
// it, and why.
type Kept struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// withdrawDevice plans the removal of an intent's claims from one device
// whose configuration is cur: the changes, the nodes kept and why, and the
// later claims that take over what the intent had replaced.
func withdrawDevice(device, intentID string, cur *yang.Tree, stacks map[string][]claim) (DevicePlan, []claim) {
	desired := cur.Clone()
	var kept []Kept
	var splices []claim
	var entries []claim // entries to remove once the leaves are done
	paths := make([]string, 0, len(stacks))
	for p := range stacks {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, k := range paths {
		st := stacks[k]
		i := -1
		for j, cl := range st {
			if cl.intent == intentID {
				i = j
			}
		}
		if i < 0 {
			continue
		}
		mine := st[i]
		changed := !mine.value.equal(mine.prev)
		if i < len(st)-1 {
			later := st[i+1]
			later.prev = mine.prev
			splices = append(splices, later)
			if changed {
				kept = append(kept, Kept{Path: k, Reason: fmt.Sprintf("intent %s holds it", later.intent)})
			}
			continue
		}
		if !changed {
			continue
		}
		now := nodeOf(cur, mine.path)
		if !now.equal(mine.value) {
			kept = append(kept, Kept{Path: k, Reason: fmt.Sprintf("changed on the device since: %s, the intent made it %s", now, mine.value)})
			continue
		}
		switch {
		case mine.path.IsEntry() && !mine.prev.ok:
			entries = append(entries, mine)
		case mine.path.IsEntry():
			_ = yang.Apply(desired, []yang.Change{{Op: yang.OpCreate, Path: mine.path}})
		case !mine.prev.ok:
			desired.Delete(mine.path)
		default:
			if err := desired.Set(mine.path, mine.prev.value); err != nil {
				kept = append(kept, Kept{Path: k, Reason: fmt.Sprintf("cannot restore %s: %v", mine.prev, err)})
			}
		}
	}
	// Deepest entries first, so a parent sees its children gone.
	sort.SliceStable(entries, func(i, j int) bool { return len(entries[i].path) > len(entries[j].path) })
	for _, e := range entries {
		if foreign := firstForeign(desired, e.path); foreign != "" {
			kept = append(kept, Kept{Path: e.path.String(), Reason: "holds configuration netagent did not create (" + foreign + ")"})
			// What stays stays whole: the leaves the intent set under it
			// remain, so the entry is not left half configured.
			for _, l := range cur.Subtree(e.path) {
				if _, ok := desired.Get(l.Path); !ok {
					_ = desired.Set(l.Path, l.Value)
				}
			}
			continue
		}
		desired.Delete(e.path)
	}
	dp := DevicePlan{Device: device, Changes: yang.Diff(cur, desired), Before: cur, Kept: kept}
	if len(dp.Changes) > 0 {
		dp.Undo = yang.Diff(desired, cur)
	}
	return dp, splices
}

// firstForeign returns the first leaf below entry that is neither a key
// nor at its default value (as a device reports unset leaves), or "".
func firstForeign(t *yang.Tree, entry yang.Path) string {
	for _, l := range t.Subtree(entry) {
		if isKeyLeaf(l.Path) {
			continue
		}
		if s, err := l.Path.Schema(); err == nil && s.Default != nil && s.Default == l.Value {
			continue
		}
		return l.Path.String()
	}
	return ""
}

// keptSummary renders kept nodes for a transition's reason.
func keptSummary(p *Plan) string {
	var parts []string
	for _, d := range p.Devices {
		for _, k := range d.Kept {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", d.Device, k.Path, k.Reason))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	const maxParts = 8
	more := ""
	if len(parts) > maxParts {
		more = fmt.Sprintf("; and %d more", len(parts)-maxParts)
		parts = parts[:maxParts]
	}
	return "; kept " + strings.Join(parts, "; ") + more
}
