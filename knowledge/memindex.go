package knowledge

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
)

// memIndex is the copy of the stored cases that Lookup reads: every case
// with its counts, a map of fingerprints, and an inverted index of the
// terms the FTS5 table holds, scored with the same BM25 as FTS5's bm25()
// (k1 1.2, b 0.75, the tag column weighing 2). The store stays the truth:
// after every write commits, the rows it touched are read back into the
// index (a failed read marks the index stale and the next lookup loads it
// whole), so a lookup never reads SQLite and never sees a write that
// rolled back.
type memIndex struct {
	// load serialises reading the store into the index, so that a slow
	// read never overwrites a later one.
	load sync.Mutex

	mu     sync.RWMutex // protects following fields
	loaded bool
	cases  []*memCase           // by dense id, in seq order of first load
	dense  map[int64]int32      // seq to dense id
	byFP   map[string]int32     // fingerprint to dense id
	post   map[string][]posting // term to the cases holding it, ascending id
	tokens int                  // tokens of all cases, for BM25's average length
}

// memCase is one case as the index holds it. c is replaced, never
// changed, so a reader may keep it after unlocking.
type memCase struct {
	seq   int64
	ix    *indexed
	c     *Case // counts included, impact not
	terms map[string]float32
	ntok  int
}

type posting struct {
	id int32
	f  float32 // the term's weighted frequency in the case
	n  int32   // the case's tokens (kept here: no pointer to chase)
}

// tagKey is the posting key of a tag term queried in the tag column only
// (FTS5's tag:"t..."); an unqualified term matches either column.
func tagKey(tt string) string { return "\x00tag:" + tt }

// BM25 parameters, FTS5's.
const (
	bm25K1        = 1.2
	bm25B         = 0.75
	bm25TagWeight = 2
	// bm25Candidates is how many of the best BM25 rows are re-ranked.
	bm25Candidates = 16
)

func newMemCase(seq int64, ix *indexed, c *Case) *memCase {
	body, tt := ftsBody(&ix.c)
	mc := &memCase{seq: seq, ix: ix, c: c, terms: map[string]float32{}}
	for _, t := range strings.Fields(body) {
		mc.terms[t]++
		mc.ntok++
	}
	if tt != "" {
		mc.terms[tt] += bm25TagWeight
		mc.terms[tagKey(tt)] += bm25TagWeight
		mc.ntok++
	}
	return mc
}

// loadAll reads every case and fingerprint into a new index.
func (b *Base) loadAll(ctx context.Context) error {
	m := &b.mem
	m.load.Lock()
	defer m.load.Unlock()
	rows, err := b.db.QueryContext(ctx, `SELECT `+caseColumns+` FROM kb_cases c ORDER BY c.seq`)
	if err != nil {
		return fmt.Errorf("knowledge: load index: %w", err)
	}
	var cases []*memCase
	for rows.Next() {
		ix, c, err := b.scanCase(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("knowledge: load index: %w", err)
		}
		cases = append(cases, newMemCase(ix.seq, ix, c))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("knowledge: load index: %w", err)
	}
	fps, err := b.fingerprints(ctx, "")
	if err != nil {
		return err
	}
	dense := make(map[int64]int32, len(cases))
	post := map[string][]posting{}
	tokens := 0
	for i, mc := range cases {
		dense[mc.seq] = int32(i)
		tokens += mc.ntok
		for t, f := range mc.terms {
			post[t] = append(post[t], posting{int32(i), f, int32(mc.ntok)})
		}
	}
	byFP := make(map[string]int32, len(fps))
	for fp, seq := range fps {
		if id, ok := dense[seq]; ok {
			byFP[fp] = id
		}
	}
	m.mu.Lock()
	m.cases, m.dense, m.byFP, m.post, m.tokens, m.loaded = cases, dense, byFP, post, tokens, true
	m.mu.Unlock()
	return nil
}

// fingerprints maps fingerprints to case seqs: all of them, or those of
// the cases whose seq is in the comma-separated list in.
func (b *Base) fingerprints(ctx context.Context, in string) (map[string]int64, error) {
	q := `SELECT fingerprint, case_seq FROM kb_fingerprints`
	if in != "" {
		q += ` WHERE case_seq IN (` + in + `)`
	}
	rows, err := b.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("knowledge: load fingerprints: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var fp string
		var seq int64
		if err := rows.Scan(&fp, &seq); err != nil {
			return nil, fmt.Errorf("knowledge: load fingerprints: %w", err)
		}
		out[fp] = seq
	}
	return out, rows.Err()
}

// refresh reads the cases with seqs back into the index after a write
// committed. A failure marks the index stale: the next lookup loads it
// whole.
func (b *Base) refresh(ctx context.Context, seqs ...int64) {
	if err := b.refreshSeqs(ctx, seqs); err != nil {
		b.log.Error("knowledge: index refresh failed; it is loaded again on the next lookup", "err", err)
		b.mem.mu.Lock()
		b.mem.loaded = false
		b.mem.mu.Unlock()
	}
}

func (b *Base) refreshSeqs(ctx context.Context, seqs []int64) error {
	m := &b.mem
	m.mu.RLock()
	loaded := m.loaded
	m.mu.RUnlock()
	if !loaded || len(seqs) > 256 {
		return b.loadAll(ctx)
	}
	m.load.Lock()
	defer m.load.Unlock()
	ids := make([]string, len(seqs))
	fresh := make([]*memCase, 0, len(seqs))
	for i, seq := range seqs {
		ids[i] = fmt.Sprint(seq)
		ix, c, err := b.scanCase(b.db.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM kb_cases c WHERE c.seq = ?`, seq))
		if err != nil {
			return fmt.Errorf("knowledge: refresh case %d: %w", seq, err)
		}
		fresh = append(fresh, newMemCase(seq, ix, c))
	}
	fps, err := b.fingerprints(ctx, strings.Join(ids, ","))
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mc := range fresh {
		id, ok := m.dense[mc.seq]
		if !ok {
			id = int32(len(m.cases))
			m.cases = append(m.cases, mc)
			m.dense[mc.seq] = id
			m.addPostings(id, mc)
			continue
		}
		old := m.cases[id]
		if old.ix.revision == mc.ix.revision {
			// Only counts changed: the terms are the same.
			mc.terms, mc.ntok = old.terms, old.ntok
			m.cases[id] = mc
			continue
		}
		m.removePostings(id, old)
		m.cases[id] = mc
		m.addPostings(id, mc)
	}
	for fp, seq := range fps {
		if id, ok := m.dense[seq]; ok {
			m.byFP[fp] = id
		}
	}
	return nil
}

func (m *memIndex) addPostings(id int32, mc *memCase) {
	m.tokens += mc.ntok
	for t, f := range mc.terms {
		ps := m.post[t]
		// Ids only grow, except when a case is rewritten in place.
		i := sort.Search(len(ps), func(i int) bool { return ps[i].id >= id })
		ps = append(ps, posting{})
		copy(ps[i+1:], ps[i:])
		ps[i] = posting{id, f, int32(mc.ntok)}
		m.post[t] = ps
	}
}

func (m *memIndex) removePostings(id int32, mc *memCase) {
	m.tokens -= mc.ntok
	for t := range mc.terms {
		ps := m.post[t]
		i := sort.Search(len(ps), func(i int) bool { return ps[i].id >= id })
		if i < len(ps) && ps[i].id == id {
			ps = append(ps[:i], ps[i+1:]...)
		}
		if len(ps) == 0 {
			delete(m.post, t)
		} else {
			m.post[t] = ps
		}
	}
}

// ensureLoaded loads the index when it is not (first use, or stale).
func (b *Base) ensureLoaded(ctx context.Context) error {
	b.mem.mu.RLock()
	loaded := b.mem.loaded
	b.mem.mu.RUnlock()
	if loaded {
		return nil
	}
	return b.loadAll(ctx)
}

// scratch accumulates BM25 scores by dense id without a map.
type scratch struct {
	acc     []float64
	touched []int32
}

var scratchPool = sync.Pool{New: func() any { return &scratch{} }}

type candidate struct {
	id    int32
	bm25  float64
	score float64
}

// rankMem finds o's candidates in the index: the exact fingerprint, else
// the best BM25 rows over the rarest terms and the tag, re-ranked by
// score. found is false when BM25 had no candidate at all.
func (b *Base) rankMem(o Observation, tmpl string, limit int, minScore float64) (out []Match, found bool) {
	m := &b.mem
	m.mu.RLock()
	defer m.mu.RUnlock()
	fp := Fingerprint(o.Protocol, o.Tag, tmpl)
	if id, ok := m.byFP[fp]; ok {
		c := *m.cases[id].c
		return []Match{{Case: &c, Score: 1 + 1, Exact: true, Why: []string{"fingerprint " + fp + " (same failure, values aside)"}}}, true
	}
	qterms := terms(tmpl)
	best := m.bm25(o, qterms)
	if best == nil {
		return nil, false
	}
	qq := newQuery(o, qterms)
	for i := range best {
		best[i].score, _ = qq.score(m.cases[best[i].id].ix, false)
	}
	sort.SliceStable(best, func(i, j int) bool { return best[i].score > best[j].score })
	out = make([]Match, 0, min(limit, len(best)))
	for _, r := range best {
		if len(out) == limit || r.score < minScore {
			break
		}
		mc := m.cases[r.id]
		_, why := qq.score(mc.ix, true)
		why = append(why, fmt.Sprintf("bm25 %.2f", r.bm25))
		c := *mc.c
		out = append(out, Match{Case: &c, Score: r.score, Why: why})
	}
	return out, true
}

// bm25Keys are the posting keys of a query: the rarest maxQueryTerms of
// its terms that some case holds, and its tag. The caller holds m.mu.
func (m *memIndex) bm25Keys(o Observation, qterms []string) []string {
	var keys []string
	for _, t := range qterms {
		if len(m.post[t]) > 0 {
			keys = append(keys, t)
		}
	}
	sort.SliceStable(keys, func(i, j int) bool { return len(m.post[keys[i]]) < len(m.post[keys[j]]) })
	if len(keys) > maxQueryTerms {
		keys = keys[:maxQueryTerms]
	}
	if tt := tagTerm(o.Tag); tt != "" && len(m.post[tagKey(tt)]) > 0 {
		keys = append(keys, tagKey(tt))
	}
	return keys
}

// bm25 scores the cases holding any of the query's keys as FTS5's bm25()
// would (with the weights 1 and 2 of its columns) and returns the best
// bm25Candidates, ties to the older case; nil when no case holds a key.
// The caller holds m.mu.
func (m *memIndex) bm25(o Observation, qterms []string) []candidate {
	keys := m.bm25Keys(o, qterms)
	if len(keys) == 0 || len(m.cases) == 0 {
		return nil
	}
	n := float64(len(m.cases))
	avgdl := float64(m.tokens) / n
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	if len(sc.acc) < len(m.cases) {
		sc.acc = make([]float64, len(m.cases)+len(m.cases)/4)
	}
	sc.touched = sc.touched[:0]
	for _, k := range keys {
		ps := m.post[k]
		nhit := float64(len(ps))
		idf := math.Log((n - nhit + 0.5) / (nhit + 0.5))
		if idf <= 0 {
			idf = 1e-6
		}
		k := bm25K1 * bm25B / avgdl
		for _, p := range ps {
			f := float64(p.f)
			if sc.acc[p.id] == 0 {
				sc.touched = append(sc.touched, p.id)
			}
			sc.acc[p.id] += idf * f * (bm25K1 + 1) / (f + bm25K1*(1-bm25B) + k*float64(p.n))
		}
	}
	// The best bm25Candidates, ties to the older case.
	best := make([]candidate, 0, bm25Candidates+1)
	for _, id := range sc.touched {
		s := sc.acc[id]
		sc.acc[id] = 0
		if len(best) == bm25Candidates && !better(s, id, best[len(best)-1]) {
			continue
		}
		i := sort.Search(len(best), func(i int) bool { return better(s, id, best[i]) })
		best = append(best, candidate{})
		copy(best[i+1:], best[i:])
		best[i] = candidate{id: id, bm25: s}
		if len(best) > bm25Candidates {
			best = best[:bm25Candidates]
		}
	}
	return best
}

func better(s float64, id int32, than candidate) bool {
	return s > than.bm25 || s == than.bm25 && id < than.id
}
