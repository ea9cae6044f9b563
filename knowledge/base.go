package knowledge

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/netagent/netagent/internal/store"
)

const storeOwner = "knowledge"

var migrations = []store.Migration{
	{Version: 1, Name: "cases, fingerprints, impact and the FTS5 index", SQL: `
CREATE TABLE kb_cases (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	doc         TEXT NOT NULL,
	origin      TEXT NOT NULL,
	revision    INTEGER NOT NULL,
	fingerprint TEXT NOT NULL,
	templates   TEXT NOT NULL,
	seen        INTEGER NOT NULL DEFAULT 0,
	first_seen  INTEGER NOT NULL DEFAULT 0,
	last_seen   INTEGER NOT NULL DEFAULT 0,
	fix_worked  INTEGER NOT NULL DEFAULT 0,
	fix_failed  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE kb_fingerprints (
	fingerprint TEXT PRIMARY KEY,
	case_seq    INTEGER NOT NULL REFERENCES kb_cases (seq) ON DELETE CASCADE
);
CREATE TABLE kb_impact (
	case_seq  INTEGER NOT NULL REFERENCES kb_cases (seq) ON DELETE CASCADE,
	kind      TEXT NOT NULL,
	name      TEXT NOT NULL,
	last_seen INTEGER NOT NULL,
	PRIMARY KEY (case_seq, kind, name)
);
CREATE VIRTUAL TABLE kb_fts USING fts5(body, tag, tokenize = 'unicode61');
CREATE VIRTUAL TABLE kb_vocab USING fts5vocab(kb_fts, 'row');`},
}

//go:embed seeds.json
var seedJSON []byte

// Seeds returns the cases shipped with netagent.
func Seeds() ([]Case, error) {
	var cs []Case
	if err := json.Unmarshal(seedJSON, &cs); err != nil {
		return nil, fmt.Errorf("knowledge: embedded seeds: %w", err)
	}
	return cs, nil
}

// Threshold is the score a case needs to count as a match.
const Threshold = 0.6

// Observation is one failure as the base sees it.
type Observation struct {
	Device   string `json:"device,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	Platform string `json:"platform,omitempty"`
	// Kind is the adapters' error kind: locked, rejected, auth, host-key,
	// timeout, unreachable, unsupported, closed; "" when unknown.
	Kind    string `json:"kind,omitempty"`
	Phase   string `json:"phase,omitempty"`
	Tag     string `json:"tag,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	// Intent and Service (the intent's kind) are the impact; may be empty.
	Intent  string    `json:"intent,omitempty"`
	Service string    `json:"service,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// template is the observation's normalised message.
func (o Observation) template() string { return Normalise(o.Message, o.Device) }

// Match is a case that matches an observation or a query.
type Match struct {
	Case  *Case   `json:"case"`
	Score float64 `json:"score"`
	// Exact is set when the fingerprint matched.
	Exact bool     `json:"exact,omitempty"`
	Why   []string `json:"why"`
}

// Sighting is what recording an observation did.
type Sighting struct {
	Case        string `json:"case"`
	New         bool   `json:"new"`
	Seen        int    `json:"seen"`
	Fingerprint string `json:"fingerprint"`
}

// Base is the knowledge base over the store. Safe for concurrent use.
type Base struct {
	db  *store.DB
	log *slog.Logger
	now func() time.Time

	mu    sync.Mutex // protects following fields
	cache map[int64]*indexed

	// mem is what Lookup and Search read (memindex.go).
	mem memIndex
}

// maxQueryTerms bounds the terms of one BM25 query: the rarest ones, as
// BM25 scores every case that holds any of them.
const maxQueryTerms = 5

// indexed is a case as matching needs it, cached per revision.
type indexed struct {
	seq       int64
	revision  int
	c         Case
	templates [][]string // terms of each template
	extra     map[string]bool
	tag       string // CanonTag of the case's tag
}

// Options tune New.
type Options struct {
	// NoSeeds leaves the seed cases out (benchmarks, tests).
	NoSeeds bool
	Log     *slog.Logger
	Clock   func() time.Time
}

// New opens the knowledge base in db, migrating its tables and loading the
// seed cases that are not stored yet.
func New(ctx context.Context, db *store.DB, opts Options) (*Base, error) {
	if db == nil {
		return nil, errors.New("knowledge: New needs a store")
	}
	if _, err := db.Migrate(ctx, storeOwner, migrations); err != nil {
		return nil, err
	}
	b := &Base{db: db, log: opts.Log, now: opts.Clock, cache: map[int64]*indexed{}}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	if !opts.NoSeeds {
		seeds, err := Seeds()
		if err != nil {
			return nil, err
		}
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			for i := range seeds {
				if _, _, err := b.put(ctx, tx, &seeds[i], OriginSeed, false); err != nil {
					return fmt.Errorf("seed %s: %w", seeds[i].ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("knowledge: load seeds: %w", err)
		}
	}
	if err := b.loadAll(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// authored is the part of a case people write; the rest is the base's.
func authored(c *Case) Case {
	return Case{ID: c.ID, Title: c.Title, ErrorType: c.ErrorType, Protocol: c.Protocol, Platform: c.Platform, Tag: c.Tag,
		Template: c.Template, Messages: c.Messages, Keywords: c.Keywords, Fix: c.Fix, Remediation: c.Remediation, Source: c.Source}
}

// ftsBody is what the FTS index holds for a case: the terms of its
// templates, keywords and title.
func ftsBody(c *Case) (body, tag string) {
	var all []string
	for _, t := range c.templates() {
		all = append(all, terms(t)...)
	}
	for _, k := range c.Keywords {
		all = append(all, terms(strings.ToLower(k))...)
	}
	all = append(all, terms(strings.ToLower(c.Title))...)
	return strings.Join(all, " "), tagTerm(c.Tag)
}

func tagTerm(tag string) string {
	t := CanonTag(tag)
	if t == "" || t == "%" {
		return ""
	}
	return "t" + t
}

// put stores c: a new case, or (when overwrite) new authored fields for an
// existing one. Without overwrite an existing id is left alone. It returns
// the case's seq and whether it was created.
func (b *Base) put(ctx context.Context, tx *sql.Tx, c *Case, origin string, overwrite bool) (int64, bool, error) {
	a := authored(c)
	if a.Template == "" && len(a.Messages) > 0 {
		a.Template = Normalise(a.Messages[0])
	}
	a.Template = Normalise(a.Template)
	doc, err := json.Marshal(a)
	if err != nil {
		return 0, false, err
	}
	fp := Fingerprint(a.Protocol, a.Tag, a.Template)
	body, tag := ftsBody(&a)
	tmpls := strings.Join(a.templates(), "\n")
	var seq int64
	var rev int
	err = tx.QueryRowContext(ctx, `SELECT seq, revision FROM kb_cases WHERE id = ?`, a.ID).Scan(&seq, &rev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := tx.ExecContext(ctx, `INSERT INTO kb_cases (id, doc, origin, revision, fingerprint, templates) VALUES (?, ?, ?, 1, ?, ?)`,
			a.ID, string(doc), origin, fp, tmpls)
		if err != nil {
			return 0, false, err
		}
		if seq, err = res.LastInsertId(); err != nil {
			return 0, false, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO kb_fts (rowid, body, tag) VALUES (?, ?, ?)`, seq, body, tag); err != nil {
			return 0, false, err
		}
		if err := addFingerprints(ctx, tx, seq, &a); err != nil {
			return 0, false, err
		}
		return seq, true, nil
	case err != nil:
		return 0, false, err
	case !overwrite:
		return seq, false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE kb_cases SET doc = ?, revision = revision + 1, fingerprint = ?, templates = ?,
		origin = CASE WHEN origin = 'learned' THEN ? ELSE origin END WHERE seq = ?`, string(doc), fp, tmpls, origin, seq); err != nil {
		return 0, false, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM kb_fts WHERE rowid = ?`, seq); err != nil {
		return 0, false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO kb_fts (rowid, body, tag) VALUES (?, ?, ?)`, seq, body, tag); err != nil {
		return 0, false, err
	}
	return seq, false, addFingerprints(ctx, tx, seq, &a)
}

// addFingerprints maps the fingerprints of a case's templates to it (a
// fingerprint already claimed by another case stays with that case).
func addFingerprints(ctx context.Context, tx *sql.Tx, seq int64, c *Case) error {
	for _, t := range c.templates() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO kb_fingerprints (fingerprint, case_seq) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			Fingerprint(c.Protocol, c.Tag, t), seq); err != nil {
			return err
		}
	}
	return nil
}

// Put adds a case or corrects one (same id): its authored fields are
// replaced, its sightings kept. It returns the stored case and whether it
// was created.
func (b *Base) Put(ctx context.Context, c *Case) (*Case, bool, error) {
	var created bool
	var seq int64
	err := b.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		seq, created, err = b.put(ctx, tx, c, OriginOperator, true)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("knowledge: put %s: %w", c.ID, err)
	}
	b.refresh(ctx, seq)
	out, err := b.Get(ctx, c.ID)
	return out, created, err
}

const caseColumns = `c.seq, c.id, c.doc, c.origin, c.revision, c.fingerprint, c.templates, c.seen, c.first_seen, c.last_seen, c.fix_worked, c.fix_failed`

type rowScanner interface{ Scan(dest ...any) error }

// scanCase reads a case row, reusing the cached parse of its document.
func (b *Base) scanCase(row rowScanner, extra ...any) (*indexed, *Case, error) {
	var (
		seq                        int64
		id, doc, origin, fp, tmpls string
		rev, seen, worked, failed  int
		first, last                int64
	)
	dest := append([]any{&seq, &id, &doc, &origin, &rev, &fp, &tmpls, &seen, &first, &last, &worked, &failed}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, nil, err
	}
	ix, err := b.index(seq, rev, doc, tmpls)
	if err != nil {
		return nil, nil, err
	}
	c := ix.c
	c.Origin, c.Revision, c.Fingerprint, c.Seen, c.FixWorked, c.FixFailed = origin, rev, fp, seen, worked, failed
	if first > 0 {
		t := time.Unix(0, first).UTC()
		c.FirstSeen = &t
	}
	if last > 0 {
		t := time.Unix(0, last).UTC()
		c.LastSeen = &t
	}
	return ix, &c, nil
}

func (b *Base) index(seq int64, rev int, doc, tmpls string) (*indexed, error) {
	b.mu.Lock()
	ix, ok := b.cache[seq]
	b.mu.Unlock()
	if ok && ix.revision == rev {
		return ix, nil
	}
	ix = &indexed{seq: seq, revision: rev, extra: map[string]bool{}}
	if err := json.Unmarshal([]byte(doc), &ix.c); err != nil {
		return nil, fmt.Errorf("knowledge: stored case %d: %w", seq, err)
	}
	ix.tag = CanonTag(ix.c.Tag)
	for _, t := range strings.Split(tmpls, "\n") {
		ix.templates = append(ix.templates, terms(t))
	}
	for _, k := range ix.c.Keywords {
		for _, t := range terms(strings.ToLower(k)) {
			ix.extra[t] = true
		}
	}
	for _, t := range terms(strings.ToLower(ix.c.Title)) {
		ix.extra[t] = true
	}
	b.mu.Lock()
	b.cache[seq] = ix
	b.mu.Unlock()
	return ix, nil
}

// Get returns the case with id, with its impact.
func (b *Base) Get(ctx context.Context, id string) (*Case, error) {
	_, c, err := b.scanCase(b.db.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM kb_cases c WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("knowledge: get %s: %w", id, err)
	}
	if c.Impact, err = b.impact(ctx, id); err != nil {
		return nil, err
	}
	return c, nil
}

func (b *Base) impact(ctx context.Context, id string) (*Impact, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT i.kind, i.name FROM kb_impact i JOIN kb_cases c ON c.seq = i.case_seq
		WHERE c.id = ? ORDER BY i.last_seen DESC, i.name`, id)
	if err != nil {
		return nil, fmt.Errorf("knowledge: impact of %s: %w", id, err)
	}
	defer rows.Close()
	im := &Impact{Devices: []string{}, Intents: []string{}, Services: []string{}}
	for rows.Next() {
		var kind, name string
		if err := rows.Scan(&kind, &name); err != nil {
			return nil, err
		}
		var list *[]string
		switch kind {
		case "device":
			im.DeviceCount++
			list = &im.Devices
		case "intent":
			im.IntentCount++
			list = &im.Intents
		default:
			im.ServiceCount++
			list = &im.Services
		}
		if len(*list) < 20 {
			*list = append(*list, name)
		}
	}
	return im, rows.Err()
}

// List returns every case ordered by id, at most limit (default 100, at
// most 10000), starting after the id after.
func (b *Base) List(ctx context.Context, after string, limit int) ([]*Case, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 10000)
	rows, err := b.db.QueryContext(ctx, `SELECT `+caseColumns+` FROM kb_cases c WHERE c.id > ? ORDER BY c.id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("knowledge: list: %w", err)
	}
	defer rows.Close()
	out := []*Case{}
	for rows.Next() {
		_, c, err := b.scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("knowledge: list: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Lookup returns the cases that match o, best first, each with its score
// and why; only cases scoring at least Threshold. An exact fingerprint
// match is returned alone. It reads the in-memory index only.
func (b *Base) Lookup(ctx context.Context, o Observation) ([]Match, error) {
	if err := b.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	ms, _ := b.rankMem(o, o.template(), 5, Threshold)
	out := ms[:0]
	for _, m := range ms {
		if m.Score >= Threshold {
			out = append(out, m)
		}
	}
	return out, nil
}

// Search ranks cases against free text (an error message, words of a
// symptom, a tag), best first, at most limit; weak matches included. When
// no whole word of q is in any case, the FTS5 index answers with its words
// taken as prefixes ("lock" finds "locked", "authen" finds
// "authentication").
func (b *Base) Search(ctx context.Context, q string, limit int) ([]Match, error) {
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, 100)
	if err := b.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	o := Observation{Message: q, Tag: q}
	tmpl := Normalise(q)
	if ms, found := b.rankMem(o, tmpl, limit, -10); found {
		return ms, nil
	}
	return b.searchPrefix(ctx, o, tmpl, limit)
}

// searchPrefix asks the FTS5 index for the cases holding words that start
// with the query's words, and re-ranks them.
func (b *Base) searchPrefix(ctx context.Context, o Observation, tmpl string, limit int) ([]Match, error) {
	qterms := terms(tmpl)
	var or []string
	for _, t := range qterms {
		if len(or) == 8 {
			break
		}
		or = append(or, `"`+t+`"*`)
	}
	if len(or) == 0 {
		return []Match{}, nil
	}
	rows, err := b.db.QueryContext(ctx, `SELECT rowid, bm25(kb_fts, 1.0, 2.0) AS score FROM kb_fts WHERE kb_fts MATCH ? ORDER BY score LIMIT ?`,
		strings.Join(or, " OR "), bm25Candidates)
	if err != nil {
		return nil, fmt.Errorf("knowledge: search: %w", err)
	}
	type hit struct {
		seq int64
		bm  float64
	}
	var hits []hit
	for rows.Next() {
		var h hit
		if err := rows.Scan(&h.seq, &h.bm); err != nil {
			rows.Close()
			return nil, fmt.Errorf("knowledge: search: %w", err)
		}
		hits = append(hits, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("knowledge: search: %w", err)
	}
	// The prefixes stand for the words they start.
	b.mem.mu.RLock()
	defer b.mem.mu.RUnlock()
	out := []Match{}
	for _, h := range hits {
		id, ok := b.mem.dense[h.seq]
		if !ok {
			continue
		}
		mc := b.mem.cases[id]
		var words []string
		for _, t := range qterms {
			for w := range mc.terms {
				if strings.HasPrefix(w, t) && !strings.HasPrefix(w, "\x00") {
					words = append(words, w)
				}
			}
		}
		sc, why := score(mc.ix, o, append(qterms, words...))
		why = append(why, fmt.Sprintf("prefix bm25 %.2f", -h.bm))
		c := *mc.c
		out = append(out, Match{Case: &c, Score: sc, Why: why})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// compatible lists, per adapters error kind, the error types it can be.
var compatible = map[string][]ErrorType{
	"locked":      {TypeLock},
	"auth":        {TypeAuth},
	"host-key":    {TypeHostKey},
	"timeout":     {TypeTimeout, TypeTransport},
	"unreachable": {TypeTransport, TypeTimeout, TypeAuth, TypeHostKey},
	"closed":      {TypeTransport},
	"unsupported": {TypeUnsupported, TypeSchema},
	"rejected":    {TypeSchema, TypeRejectedValue, TypeDependency, TypeResource, TypeUnknown, TypeUnsupported, TypeLock, TypeTimeout},
}

// query is an observation prepared for scoring many cases.
type query struct {
	o        Observation
	q        []string
	qs       map[string]bool
	tag      string // canonical
	kinds    []ErrorType
	hasKinds bool
	platform string // lowered
}

func newQuery(o Observation, q []string) *query {
	qq := &query{o: o, q: q, qs: make(map[string]bool, len(q)), tag: CanonTag(o.Tag), platform: strings.ToLower(o.Platform)}
	for _, t := range q {
		qq.qs[t] = true
	}
	qq.kinds, qq.hasKinds = compatible[o.Kind]
	return qq
}

// score rates how well case ix explains o: how much of the case's best
// template the message covers and how much of the message the case
// explains, then the tag, protocol, platform and kind.
func score(ix *indexed, o Observation, q []string) (float64, []string) {
	return newQuery(o, q).score(ix, true)
}

// score is the package's score; why is left nil unless asked for.
func (qq *query) score(ix *indexed, explain bool) (float64, []string) {
	q, o := qq.q, qq.o
	best, bestTmpl := 0.0, -1
	inExtra := 0 // query terms the keywords and title explain
	var rest []string
	for _, t := range q {
		if ix.extra[t] {
			inExtra++
		} else {
			rest = append(rest, t)
		}
	}
	for i, tt := range ix.templates {
		if len(tt) == 0 {
			continue
		}
		matched := 0
		for _, t := range tt {
			if qq.qs[t] {
				matched++
			}
		}
		explained := inExtra
		for _, t := range rest {
			if slices.Contains(tt, t) {
				explained++
			}
		}
		s := 0.6 * float64(matched) / float64(len(tt))
		if len(q) > 0 {
			s += 0.4 * float64(explained) / float64(len(q))
		}
		if s > best {
			best, bestTmpl = s, i
		}
	}
	var why []string
	if explain && bestTmpl >= 0 {
		var matched []string
		for _, t := range ix.templates[bestTmpl] {
			if qq.qs[t] {
				matched = append(matched, t)
			}
		}
		if len(matched) > 0 {
			why = append(why, "terms "+strings.Join(matched, ", "))
		}
	}
	c := &ix.c
	ct, ot := ix.tag, qq.tag
	specific := ct != "" && ct != "%"
	switch {
	case specific && ct == ot:
		best += 0.3
		if explain {
			why = append(why, "tag "+c.Tag)
		}
	case specific && ot != "" && ot != "%" && c.Protocol != "" && strings.EqualFold(c.Protocol, o.Protocol):
		best -= 0.1
	}
	switch {
	case c.Protocol == "" || o.Protocol == "":
	case strings.EqualFold(c.Protocol, o.Protocol):
		best += 0.1
		if explain {
			why = append(why, "protocol "+c.Protocol)
		}
	default:
		best -= 0.4
	}
	if c.Platform != "" && o.Platform != "" {
		if strings.Contains(qq.platform, c.Platform) {
			best += 0.05
			if explain {
				why = append(why, "platform "+c.Platform)
			}
		} else {
			best -= 0.1
		}
	}
	if qq.hasKinds {
		if slices.Contains(qq.kinds, c.ErrorType) {
			best += 0.05
		} else {
			best -= 0.15
		}
	}
	return best, why
}

// typeFor classifies a failure nobody described from its adapters kind.
func typeFor(kind string) ErrorType {
	switch kind {
	case "locked":
		return TypeLock
	case "auth":
		return TypeAuth
	case "host-key":
		return TypeHostKey
	case "timeout":
		return TypeTimeout
	case "unreachable", "closed":
		return TypeTransport
	case "unsupported":
		return TypeUnsupported
	case "rejected":
		return TypeRejectedValue
	}
	return TypeUnknown
}

// Record stores a sighting of o: one more for the case it matches (by
// fingerprint, or the best match above Threshold, whose fingerprints then
// include o's), or a new learned case.
func (b *Base) Record(ctx context.Context, o Observation) (Sighting, error) {
	if o.At.IsZero() {
		o.At = b.now()
	}
	tmpl := o.template()
	fp := Fingerprint(o.Protocol, o.Tag, tmpl)
	var target int64
	ms, err := b.Lookup(ctx, o)
	if err != nil {
		return Sighting{}, err
	}
	var s Sighting
	s.Fingerprint = fp
	err = b.db.Tx(ctx, func(tx *sql.Tx) error {
		if len(ms) > 0 {
			if err := tx.QueryRowContext(ctx, `SELECT seq FROM kb_cases WHERE id = ?`, ms[0].Case.ID).Scan(&target); err != nil {
				return err
			}
			s.Case = ms[0].Case.ID
		} else {
			c := &Case{ID: "learned-" + fp, Title: learnedTitle(o, tmpl), ErrorType: typeFor(o.Kind), Protocol: strings.ToLower(o.Protocol),
				Tag: o.Tag, Template: tmpl,
				Fix: "No fix is known yet: this failure was recorded by the agent. Read the device's message, then correct this case (POST /v1/knowledge) with the cause and the fix."}
			var err error
			if target, s.New, err = b.put(ctx, tx, c, OriginLearned, false); err != nil {
				return err
			}
			s.Case = c.ID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO kb_fingerprints (fingerprint, case_seq) VALUES (?, ?) ON CONFLICT DO NOTHING`, fp, target); err != nil {
			return err
		}
		at := o.At.UnixNano()
		if err := tx.QueryRowContext(ctx, `UPDATE kb_cases SET seen = seen + 1, last_seen = max(last_seen, ?),
			first_seen = CASE WHEN first_seen = 0 OR first_seen > ? THEN ? ELSE first_seen END WHERE seq = ? RETURNING seen`,
			at, at, at, target).Scan(&s.Seen); err != nil {
			return err
		}
		for _, im := range [][2]string{{"device", o.Device}, {"intent", o.Intent}, {"service", o.Service}} {
			if im[1] == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO kb_impact (case_seq, kind, name, last_seen) VALUES (?, ?, ?, ?)
				ON CONFLICT (case_seq, kind, name) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`, target, im[0], im[1], at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Sighting{}, fmt.Errorf("knowledge: record: %w", err)
	}
	b.refresh(ctx, target)
	return s, nil
}

func learnedTitle(o Observation, tmpl string) string {
	t := tmpl
	if len(t) > 120 {
		t = t[:120]
	}
	p := o.Protocol
	if p == "" {
		p = "device"
	}
	if len(t) < 3 {
		t = "failure with no message"
	}
	return p + ": " + t
}

// Outcome records whether a case's fix (or remediation) worked.
func (b *Base) Outcome(ctx context.Context, id string, worked bool) error {
	col := "fix_failed"
	if worked {
		col = "fix_worked"
	}
	var seq int64
	err := b.db.QueryRowContext(ctx, `UPDATE kb_cases SET `+col+` = `+col+` + 1 WHERE id = ? RETURNING seq`, id).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("knowledge: outcome of %s: %w", id, err)
	}
	b.refresh(ctx, seq)
	return nil
}

// Export returns every case, sightings included.
func (b *Base) Export(ctx context.Context) (*Export, error) {
	ex := &Export{Version: 1, Cases: []Case{}}
	after := ""
	for {
		page, err := b.List(ctx, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			if c.Impact, err = b.impact(ctx, c.ID); err != nil {
				return nil, err
			}
			ex.Cases = append(ex.Cases, *c)
		}
		if len(page) < 1000 {
			return ex, nil
		}
		after = page[len(page)-1].ID
	}
}

// Import stores every case of ex in one transaction: all or nothing.
// Authored fields replace those of a stored case with the same id; the
// counts become the larger of the two.
func (b *Base) Import(ctx context.Context, ex *Export) (created, updated int, err error) {
	var seqs []int64
	err = b.db.Tx(ctx, func(tx *sql.Tx) error {
		created, updated, seqs = 0, 0, seqs[:0]
		for i := range ex.Cases {
			c := &ex.Cases[i]
			seq, isNew, err := b.put(ctx, tx, c, OriginImport, true)
			if err != nil {
				return fmt.Errorf("case %s: %w", c.ID, err)
			}
			seqs = append(seqs, seq)
			if isNew {
				created++
			} else {
				updated++
			}
			var first, last int64
			if c.FirstSeen != nil {
				first = c.FirstSeen.UnixNano()
			}
			if c.LastSeen != nil {
				last = c.LastSeen.UnixNano()
			}
			if _, err := tx.ExecContext(ctx, `UPDATE kb_cases SET seen = max(seen, ?), fix_worked = max(fix_worked, ?), fix_failed = max(fix_failed, ?),
				last_seen = max(last_seen, ?), first_seen = CASE WHEN ? > 0 AND (first_seen = 0 OR first_seen > ?) THEN ? ELSE first_seen END WHERE seq = ?`,
				c.Seen, c.FixWorked, c.FixFailed, last, first, first, first, seq); err != nil {
				return fmt.Errorf("case %s: %w", c.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("knowledge: import: %w", err)
	}
	b.refresh(ctx, seqs...)
	return created, updated, nil
}
