package knowledge

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/internal/store"
)

// TestBM25SameAsFTS5 holds the in-memory BM25 to FTS5's bm25() over the
// same rows: for every message of the labelled set, the query the index
// builds gives FTS5 the same best scores, for the same cases.
func TestBM25SameAsFTS5(t *testing.T) {
	ctx := context.Background()
	b := newBase(t, Options{})
	// Cases that share wording, so that posting lists are long and the
	// document lengths differ.
	seeds, err := Seeds()
	if err != nil {
		t.Fatal(err)
	}
	ex := &Export{Version: 1}
	for i := range 150 {
		s := seeds[i%len(seeds)]
		ex.Cases = append(ex.Cases, Case{ID: fmt.Sprintf("fts-%03d", i), Title: s.Title, ErrorType: s.ErrorType, Protocol: s.Protocol,
			Tag: s.Tag, Fix: s.Fix, Messages: []string{s.Messages[0] + strings.Repeat(" extra words here", i%5)}})
	}
	if _, _, err := b.Import(ctx, ex); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, f := range []string{"train", "heldout", "interop"} {
		for _, l := range readLabelled(t, "testdata/labelled/"+f+".jsonl") {
			o := l.Observation
			qterms := terms(o.template())
			b.mem.mu.RLock()
			keys := b.mem.bm25Keys(o, qterms)
			mem := b.mem.bm25(o, qterms)
			var memSeqs []int64
			for _, c := range mem {
				memSeqs = append(memSeqs, b.mem.cases[c.id].seq)
			}
			b.mem.mu.RUnlock()
			if len(keys) == 0 {
				continue
			}
			var or []string
			for _, k := range keys {
				if tt, ok := strings.CutPrefix(k, tagKey("")); ok {
					or = append(or, `tag:"`+tt+`"`)
				} else {
					or = append(or, `"`+k+`"`)
				}
			}
			rows, err := b.db.QueryContext(ctx, `SELECT rowid, -bm25(kb_fts, 1.0, 2.0) AS s FROM kb_fts WHERE kb_fts MATCH ? ORDER BY s DESC, rowid LIMIT ?`,
				strings.Join(or, " OR "), bm25Candidates)
			if err != nil {
				t.Fatal(err)
			}
			fts := map[int64]float64{}
			var ftsScores []float64
			for rows.Next() {
				var seq int64
				var s float64
				if err := rows.Scan(&seq, &s); err != nil {
					t.Fatal(err)
				}
				fts[seq] = s
				ftsScores = append(ftsScores, s)
			}
			rows.Close()
			if len(mem) != len(ftsScores) {
				t.Fatalf("%q: %d candidates in memory, %d from FTS5", o.Message, len(mem), len(ftsScores))
			}
			for i, c := range mem {
				if !near(c.bm25, ftsScores[i]) {
					t.Errorf("%q: candidate %d scores %.6f in memory, %.6f in FTS5", o.Message, i, c.bm25, ftsScores[i])
				}
				// Ties at the cut may pick other rows; a case both hold
				// scores the same in both.
				if s, ok := fts[memSeqs[i]]; ok && !near(s, c.bm25) {
					t.Errorf("%q: case %d scores %.6f in memory, %.6f in FTS5", o.Message, memSeqs[i], c.bm25, s)
				}
			}
			compared++
		}
	}
	if compared < 150 {
		t.Errorf("compared %d queries, want the labelled set's", compared)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

// TestIndexFollowsWrites: after adds, corrections, sightings, outcomes and
// imports, what Lookup answers from the index is what a base opened
// afresh over the same store answers; an import that fails changes
// neither.
func TestIndexFollowsWrites(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "kb.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b, err := New(ctx, db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	probes := []Observation{
		{Device: "fw3", Protocol: "netconf", Kind: "rejected", Tag: "operation-failed", Message: "FPC 3 is offline"},
		{Device: "leaf1", Protocol: "netconf", Kind: "locked", Tag: "lock-denied", Message: "lock held by session 12"},
		{Device: "leaf2", Protocol: "netconf", Kind: "rejected", Tag: "invalid-value", Message: "mtu 9216 is not supported on this line card"},
		{Device: "r1", Protocol: "cli", Platform: "frr", Message: "% Unknown command: ip routee 10.0.0.0/8"},
		{Device: "r2", Protocol: "gnmi", Kind: "timeout", Tag: "DeadlineExceeded", Message: "context deadline exceeded"},
	}
	for _, l := range readLabelled(t, "testdata/labelled/heldout.jsonl") {
		probes = append(probes, l.Observation)
	}
	write := []func() error{
		func() error { _, err := b.Record(ctx, probes[0]); return err },
		func() error {
			o := probes[0]
			o.Device, o.Message = "fw9", "FPC 11 is offline"
			_, err := b.Record(ctx, o)
			return err
		},
		func() error { _, err := b.Record(ctx, probes[1]); return err },
		func() error { return b.Outcome(ctx, "netconf-lock-denied", true) },
		func() error {
			_, _, err := b.Put(ctx, &Case{ID: "lab-mtu", Title: "Lab line card refuses large MTUs", ErrorType: TypeRejectedValue,
				Protocol: "netconf", Tag: "invalid-value", Messages: []string{"mtu 9100 is not supported on this line card"},
				Fix: "Use an MTU of at most 9000 on this line card."})
			return err
		},
		func() error {
			c, err := b.Get(ctx, "lab-mtu")
			if err != nil {
				return err
			}
			c.Messages = append(c.Messages, "line card refuses frames above 9000 bytes")
			c.Keywords = []string{"jumbo"}
			_, _, err = b.Put(ctx, c)
			return err
		},
		func() error {
			_, _, err := b.Import(ctx, &Export{Version: 1, Cases: []Case{
				{ID: "imported-gnmi", Title: "gNMI target too slow", ErrorType: TypeTimeout, Protocol: "gnmi", Tag: "DeadlineExceeded",
					Messages: []string{"context deadline exceeded while waiting for the target"}, Fix: "Raise the gNMI timeout or lighten the target's load.", Seen: 4},
			}})
			return err
		},
	}
	for i, w := range write {
		if err := w(); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	// An import whose last case the store refuses rolls back.
	if _, err := db.ExecContext(ctx, `CREATE TRIGGER kb_test_refuse BEFORE INSERT ON kb_cases WHEN NEW.id = 'refused'
		BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	before := lookups(t, b, probes)
	_, _, err = b.Import(ctx, &Export{Version: 1, Cases: []Case{
		{ID: "lab-mtu", Title: "Changed by an import that rolls back", ErrorType: TypeRejectedValue, Protocol: "netconf",
			Tag: "operation-failed", Messages: []string{"FPC 3 is offline"}, Fix: "Nothing to do: this change never lands.", Seen: 50},
		{ID: "refused", Title: "never stored", ErrorType: TypeUnknown, Messages: []string{"only in a rolled back import"}, Fix: "Nothing to do: this case never lands."},
	}})
	if err == nil {
		t.Fatal("an import the store refused succeeded")
	}
	if diff := cmp.Diff(before, lookups(t, b, probes)); diff != "" {
		t.Errorf("a failed import changed the index (-before +after):\n%s", diff)
	}
	fresh, err := New(ctx, db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(lookups(t, fresh, probes), lookups(t, b, probes)); diff != "" {
		t.Errorf("index after writes differs from the store (-fresh +followed):\n%s", diff)
	}
	if got := lookups(t, b, probes[:1]); !strings.Contains(got[0], "seen 2") {
		t.Errorf("learned case after two sightings: %s", got[0])
	}
}

// lookups renders what Lookup answers for each probe.
func lookups(t *testing.T, b *Base, probes []Observation) []string {
	t.Helper()
	var out []string
	for _, o := range probes {
		ms, err := b.Lookup(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, m := range ms {
			parts = append(parts, fmt.Sprintf("%s rev %d seen %d worked %d %.4f %v", m.Case.ID, m.Case.Revision, m.Case.Seen, m.Case.FixWorked, m.Score, m.Why))
		}
		out = append(out, o.Message+" => "+strings.Join(parts, "; "))
	}
	return out
}

// TestSearchPrefixFallback: words no case holds whole are taken as
// prefixes by the FTS5 index.
func TestSearchPrefixFallback(t *testing.T) {
	b := newBase(t, Options{})
	ms, err := b.Search(context.Background(), "authenticat", 5)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.Case.ID)
	}
	if len(ms) == 0 || !slices.ContainsFunc(ms, func(m Match) bool { return m.Case.ErrorType == TypeAuth }) {
		t.Fatalf("search for a prefix of authentication found %v", ids)
	}
	if !slices.ContainsFunc(ms[0].Why, func(w string) bool { return strings.HasPrefix(w, "prefix bm25") }) {
		t.Errorf("why %v: want the prefix search named", ms[0].Why)
	}
}
