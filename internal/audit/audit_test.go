package audit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/internal/trace"
)

func openLog(t *testing.T) (*Log, *store.DB, ed25519.PrivateKey) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, created, err := LoadOrCreateKey(filepath.Join(dir, "agent.key"))
	if err != nil || !created {
		t.Fatalf("LoadOrCreateKey = %v, created %v", err, created)
	}
	l, err := New(ctx, db, Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return l, db, key
}

// fill appends n entries: intents i1, i2 alternating, devices r1/r2.
func fill(t *testing.T, l *Log, n int) {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "alice", Kind: "operator", Via: "token"})
	for i := 1; i <= n; i++ {
		e := Entry{Action: ActionDeviceChange, Intent: fmt.Sprintf("i%d", i%2+1), Device: fmt.Sprintf("r%d", i%2+1),
			Detail: Detail(map[string]any{"n": i, "before": "sha256:aa", "after": "sha256:bb"})}
		if _, err := l.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
}

// tamper runs SQL on the entries table as someone with the file would:
// the append-only triggers dropped first.
func tamper(t *testing.T, db *store.DB, stmts ...string) {
	t.Helper()
	all := append([]string{`DROP TRIGGER audit_entries_no_update`, `DROP TRIGGER audit_entries_no_delete`}, stmts...)
	for _, s := range all {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestVerifyIntactChain(t *testing.T) {
	l, db, key := openLog(t)
	ctx := context.Background()
	rep, err := Verify(ctx, db, key.Public().(ed25519.PublicKey))
	if err != nil || rep.Entries != 0 {
		t.Fatalf("empty chain: %+v, %v", rep, err)
	}
	fill(t, l, 5)
	if _, err := l.Sign(ctx); err != nil {
		t.Fatal(err)
	}
	fill(t, l, 2)
	rep, err = Verify(ctx, db, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	want := Report{Entries: 7, LastSeq: 7, Heads: 1, SignedSeq: 5}
	if d := cmp.Diff(want, rep); d != "" {
		t.Errorf("report (-want +got):\n%s", d)
	}
}

func TestAppendOnlyTriggers(t *testing.T) {
	l, db, _ := openLog(t)
	fill(t, l, 2)
	for _, s := range []string{`UPDATE audit_entries SET action = 'x' WHERE seq = 1`, `DELETE FROM audit_entries WHERE seq = 2`} {
		if _, err := db.Exec(s); err == nil {
			t.Errorf("%s: the store allowed it", s)
		}
	}
}

// TestVerifyNamesFirstBadEntry is the tamper table: each way of changing the
// stored chain is caught and the entry named.
func TestVerifyNamesFirstBadEntry(t *testing.T) {
	tests := []struct {
		name    string
		sign    bool // sign the head before tampering
		stmts   []string
		seq     int64
		problem string
	}{
		{name: "edit detail", stmts: []string{`UPDATE audit_entries SET detail = '{"n":4,"before":"sha256:aa","after":"sha256:cc"}' WHERE seq = 4`},
			seq: 4, problem: ProblemEdited},
		{name: "edit actor", stmts: []string{`UPDATE audit_entries SET actor = '{"subject":"mallory"}' WHERE seq = 2`},
			seq: 2, problem: ProblemEdited},
		{name: "edit device", stmts: []string{`UPDATE audit_entries SET device = 'r9' WHERE seq = 6`}, seq: 6, problem: ProblemEdited},
		{name: "edit time", stmts: []string{`UPDATE audit_entries SET at = at + 1 WHERE seq = 1`}, seq: 1, problem: ProblemEdited},
		{name: "delete one", stmts: []string{`DELETE FROM audit_entries WHERE seq = 3`}, seq: 3, problem: ProblemDeleted},
		{name: "delete first", stmts: []string{`DELETE FROM audit_entries WHERE seq = 1`}, seq: 1, problem: ProblemDeleted},
		{name: "delete and renumber", stmts: []string{`DELETE FROM audit_entries WHERE seq = 3`,
			`UPDATE audit_entries SET seq = seq - 1 WHERE seq > 3`}, seq: 3, problem: ProblemDeleted},
		{name: "swap two", stmts: []string{`UPDATE audit_entries SET seq = -1 WHERE seq = 3`,
			`UPDATE audit_entries SET seq = 3 WHERE seq = 4`, `UPDATE audit_entries SET seq = 4 WHERE seq = -1`},
			seq: 3, problem: ProblemReordered},
		{name: "truncate signed tail", sign: true, stmts: []string{`DELETE FROM audit_entries WHERE seq >= 6`},
			seq: 6, problem: ProblemDeleted},
		{name: "forge signature", sign: true, stmts: []string{`UPDATE audit_heads SET signature = 'AAAA'`},
			seq: 8, problem: ProblemSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, db, key := openLog(t)
			fill(t, l, 8)
			if tt.sign {
				if _, err := l.Sign(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			pub := key.Public().(ed25519.PublicKey)
			if _, err := Verify(context.Background(), db, pub); err != nil {
				t.Fatalf("before tampering: %v", err)
			}
			tamper(t, db, tt.stmts...)
			_, err := Verify(context.Background(), db, pub)
			var ce *ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("Verify = %v, want a *ChainError", err)
			}
			if ce.Seq != tt.seq || ce.Problem != tt.problem {
				t.Errorf("Verify named entry %d (%s), want %d (%s): %v", ce.Seq, ce.Problem, tt.seq, tt.problem, err)
			}
		})
	}
}

// TestVerifyRewrittenChain: someone with the file but not the key rewrites
// an entry and re-hashes every entry after it; the signed head catches it.
func TestVerifyRewrittenChain(t *testing.T) {
	l, db, key := openLog(t)
	ctx := context.Background()
	fill(t, l, 6)
	if _, err := l.Sign(ctx); err != nil {
		t.Fatal(err)
	}
	tamper(t, db)
	entries, err := Query(ctx, db, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	prev := entries[2].Prev
	for i := 2; i < len(entries); i++ {
		e := entries[i]
		if i == 2 {
			e.Device = "r9"
		}
		e.Prev = prev
		e.Hash = e.ComputeHash()
		prev = e.Hash
		if _, err := db.Exec(`UPDATE audit_entries SET device = ?, prev = ?, hash = ? WHERE seq = ?`, e.Device, e.Prev, e.Hash, e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	_, err = Verify(ctx, db, key.Public().(ed25519.PublicKey))
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Problem != ProblemEdited || ce.Seq != 6 {
		t.Fatalf("Verify = %v, want entry 6 edited (the signed head no longer matches)", err)
	}
	// A different key does not verify the stored heads.
	_, other, _ := ed25519.GenerateKey(nil)
	if _, err := Verify(ctx, db, other.Public().(ed25519.PublicKey)); !errors.As(err, &ce) || ce.Problem != ProblemSignature {
		t.Fatalf("Verify with another key = %v, want a signature problem", err)
	}
}

func TestAppendInCallersTransaction(t *testing.T) {
	l, db, _ := openLog(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := l.Append(ctx, tx, Entry{Action: ActionIntentAccepted, Intent: "x"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	got, err := Query(ctx, db, Filter{})
	if err != nil || len(got) != 0 {
		t.Fatalf("after a rolled-back transaction: %d entries, %v; want none", len(got), err)
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := l.Append(ctx, tx, Entry{Action: ActionIntentAccepted, Intent: "x"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := Query(ctx, db, Filter{}); len(got) != 1 || got[0].Seq != 1 || got[0].Prev != ZeroHash {
		t.Fatalf("after a committed transaction: %+v", got)
	}
}

func TestContextAndInheritance(t *testing.T) {
	l, db, _ := openLog(t)
	tc := trace.New()
	alice := auth.Principal{Subject: "alice", Kind: "operator", Scopes: []auth.Scope{auth.IntentsWrite}, Via: "token"}
	bot := alice.Narrow(auth.Principal{Subject: "mcp-bot", Kind: "agent", Scopes: []auth.Scope{auth.IntentsWrite, auth.Admin}, Via: "jwt"})
	ctx := trace.With(auth.WithPrincipal(context.Background(), bot), tc)
	if _, err := l.Record(ctx, Entry{Action: ActionIntentAccepted, Intent: "i1"}); err != nil {
		t.Fatal(err)
	}
	// A worker's context carries nothing: the intent's entries inherit.
	if _, err := l.Record(context.Background(), Entry{Action: ActionIntentState, Intent: "i1"}); err != nil {
		t.Fatal(err)
	}
	// An entry for nothing in particular is the agent's own.
	if _, err := l.Record(context.Background(), Entry{Action: ActionFailover, Device: "r1"}); err != nil {
		t.Fatal(err)
	}
	got, err := Query(context.Background(), db, Filter{})
	if err != nil || len(got) != 3 {
		t.Fatalf("Query = %d entries, %v", len(got), err)
	}
	for _, e := range got[:2] {
		p, _ := e.Principal()
		if p.String() != "mcp-bot for alice" || e.Trace != string(tc.TraceID) {
			t.Errorf("entry %d (%s): actor %q trace %q, want mcp-bot for alice, %s", e.Seq, e.Action, p, e.Trace, tc.TraceID)
		}
	}
	if p, _ := got[2].Principal(); p.Subject != "netagent" || got[2].Trace != "" {
		t.Errorf("failover entry: actor %q trace %q, want netagent and none", p, got[2].Trace)
	}
	wctx := l.IntentContext(context.Background(), "i1")
	if trace.IDFrom(wctx) != tc.TraceID {
		t.Errorf("IntentContext trace = %q, want %q", trace.IDFrom(wctx), tc.TraceID)
	}
	if p, ok := auth.FromContext(wctx); !ok || p.String() != "mcp-bot for alice" {
		t.Errorf("IntentContext principal = %v", p)
	}
}

func TestQueryFilters(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	l, db, _ := openLog(t)
	l.now = func() time.Time { now = now.Add(time.Minute); return now }
	fill(t, l, 6) // at 10:01..10:06; intent i1 on r1 for even n
	ctx := context.Background()
	tests := []struct {
		f    Filter
		want []int64
	}{
		{Filter{}, []int64{1, 2, 3, 4, 5, 6}},
		{Filter{Intent: "i1"}, []int64{2, 4, 6}},
		{Filter{Device: "r2", Since: time.Date(2026, 12, 1, 10, 3, 0, 0, time.UTC)}, []int64{3, 5}},
		{Filter{Limit: 2}, []int64{5, 6}},
	}
	for _, tt := range tests {
		got, err := Query(ctx, db, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, e := range got {
			seqs = append(seqs, e.Seq)
		}
		if d := cmp.Diff(tt.want, seqs); d != "" {
			t.Errorf("Query(%+v) (-want +got):\n%s", tt.f, d)
		}
	}
}

// TestConcurrentLogsShareOneChain: two processes' worth of Logs on one
// store file append concurrently; the chain stays one unbroken line.
func TestConcurrentLogsShareOneChain(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "netagent.db")
	var logs []*Log
	for range 2 {
		db, err := store.Open(ctx, path, store.Options{Synchronous: "NORMAL"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		l, err := New(ctx, db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, l)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := logs[i%2].Record(ctx, Entry{Action: ActionIntentState, Intent: fmt.Sprint(i)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Verify(ctx, logs[0].db, nil)
	if err != nil || rep.Entries != 40 {
		t.Fatalf("Verify = %+v, %v; want 40 intact entries", rep, err)
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "agent.key")
	k1, created, err := LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("first start: %v, created %v", err, created)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	k2, created, err := LoadOrCreateKey(path)
	if err != nil || created || !k1.Equal(k2) {
		t.Fatalf("second start: created %v, same %v, %v", created, k1.Equal(k2), err)
	}
	pub, err := LoadPublicKey(path)
	if err != nil || !pub.Equal(k1.Public()) {
		t.Fatalf("LoadPublicKey = %v", err)
	}
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("not a key"), 0o600)
	if _, _, err := LoadOrCreateKey(bad); err == nil {
		t.Error("a garbage key file was accepted (or replaced)")
	}
	var l *Log
	if _, err := l.Record(context.Background(), Entry{Action: "x"}); err != nil {
		t.Errorf("nil Log Record = %v", err)
	}
}

func TestSignOnlyWhenHeadMoves(t *testing.T) {
	l, db, _ := openLog(t)
	ctx := context.Background()
	if h, err := l.Sign(ctx); err != nil || h.Seq != 0 {
		t.Fatalf("Sign of an empty chain = %+v, %v", h, err)
	}
	fill(t, l, 3)
	for range 3 {
		if _, err := l.Sign(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM audit_heads`).Scan(&n)
	if n != 1 {
		t.Errorf("%d heads stored after signing one head three times, want 1", n)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- l.Run(rctx, time.Hour) }()
	fill(t, l, 1)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, db, nil)
	if err != nil || rep.SignedSeq != 4 {
		t.Fatalf("after Run stopped: %+v, %v; want the head 4 signed at shutdown", rep, err)
	}
}

// TestAppendAll: entries appended together (one head read, one INSERT of
// up to 16 rows) chain like entries appended one by one, inherit the
// intent's actor and trace from the stored first entry (or, for a new
// intent, from the first of the call), and go in all or none.
func TestAppendAll(t *testing.T) {
	l, db, key := openLog(t)
	tc := trace.New()
	alice := auth.Principal{Subject: "alice", Kind: "operator", Via: "token"}
	ctx := trace.With(auth.WithPrincipal(context.Background(), alice), tc)
	if _, err := l.Record(ctx, Entry{Action: ActionIntentAccepted, Intent: "i1"}); err != nil {
		t.Fatal(err)
	}
	bob := ActorJSON(auth.Principal{Subject: "bob", Via: "token"})
	// 40 entries: three statements (16, 16, 8). A worker's context: no
	// principal, no trace.
	var es []Entry
	for i := range 40 {
		e := Entry{Action: ActionIntentState, Intent: "i1"}
		switch i % 4 {
		case 1:
			e.Intent = "i2" // new: inherits from entry 2 of the call
		case 2:
			e.Intent, e.Device = "", "r1" // the agent's own
		case 3:
			e.Intent, e.Actor = "i3", bob
		}
		es = append(es, e)
	}
	es[1].Actor, es[1].Trace = bob, "feedfeedfeedfeedfeedfeedfeedfeed"
	var out []Entry
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		out, err = l.AppendAll(context.Background(), tx, es)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Query(context.Background(), db, Filter{})
	if err != nil || len(got) != 41 {
		t.Fatalf("Query = %d entries, %v; want 41", len(got), err)
	}
	if d := cmp.Diff(out, got[1:]); d != "" {
		t.Errorf("AppendAll's answer differs from what is stored (-answer +stored):\n%s", d)
	}
	for i, e := range got[1:] {
		p, _ := e.Principal()
		var wantWho, wantTrace string
		switch i % 4 {
		case 0:
			wantWho, wantTrace = "alice", string(tc.TraceID) // i1's first entry
		case 1:
			wantWho, wantTrace = "bob", "feedfeedfeedfeedfeedfeedfeedfeed"
		case 2:
			wantWho = "netagent"
		case 3:
			wantWho = "bob"
		}
		if p.Subject != wantWho || e.Trace != wantTrace || e.Seq != int64(i+2) {
			t.Errorf("entry %d (%s, intent %q): seq %d, actor %q, trace %q; want seq %d, %s, %q", i, e.Action, e.Intent, e.Seq, p.Subject, e.Trace, i+2, wantWho, wantTrace)
		}
	}
	if _, err := l.Sign(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rep, err := Verify(context.Background(), db, key.Public().(ed25519.PublicKey)); err != nil || rep.Entries != 41 {
		t.Fatalf("Verify = %+v, %v; want 41 entries intact", rep, err)
	}
	// One refused entry (its detail is not JSON): none of the call's.
	err = db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := l.AppendAll(ctx, tx, []Entry{{Action: ActionIntentState, Intent: "i1"}, {Action: ActionIntentState, Detail: json.RawMessage("{")}})
		return err
	})
	if err == nil {
		t.Fatal("AppendAll with a detail that is not JSON: no error")
	}
	if got, _ := Query(context.Background(), db, Filter{}); len(got) != 41 {
		t.Errorf("after a refused AppendAll: %d entries, want 41", len(got))
	}
}

// TestHashIndexDropped: a store made before version 2 loses the index on
// entry hashes (nothing reads by hash) and keeps its chain.
func TestHashIndexDropped(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, storeOwner, migrations[:1]); err != nil {
		t.Fatal(err)
	}
	l := &Log{db: db, self: ActorJSON(auth.Principal{Subject: "netagent"}), now: time.Now}
	if _, err := l.Record(ctx, Entry{Action: ActionFailover, Device: "r1"}); err != nil {
		t.Fatal(err)
	}
	index := func() int {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'audit_entries_hash'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if index() != 1 {
		t.Fatal("version 1 has no hash index")
	}
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if index() != 0 {
		t.Error("after Migrate the hash index is still there")
	}
	if rep, err := Verify(ctx, db, nil); err != nil || rep.Entries != 1 {
		t.Errorf("Verify = %+v, %v", rep, err)
	}
}
