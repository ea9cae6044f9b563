package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestStatementCache: statements run again from a connection's cache give
// the same answers as freshly prepared ones, including a query run again
// while its own rows are still open (nested on one connection, inside a
// transaction), more distinct statements than the cache holds, and a
// schema change under a cached statement.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	if _, err := db.Migrate(ctx, "kv", kvMigrations); err != nil {
		t.Fatal(err)
	}
	const sel = `SELECT k, seq FROM kv WHERE seq >= ? ORDER BY seq`
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		for i := range 5 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO kv (k, v, seq) VALUES (?, 'v', ?)`, fmt.Sprint(i), i); err != nil {
				return err
			}
		}
		// The same query, nested in its own rows' loop on one connection.
		rows, err := tx.QueryContext(ctx, sel, 0)
		if err != nil {
			return err
		}
		defer rows.Close()
		var outer, inner []int
		for rows.Next() {
			var k string
			var seq int
			if err := rows.Scan(&k, &seq); err != nil {
				return err
			}
			outer = append(outer, seq)
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+sel+`)`, seq).Scan(&n); err != nil {
				return err
			}
			in, err := tx.QueryContext(ctx, sel, seq)
			if err != nil {
				return err
			}
			c := 0
			for in.Next() {
				c++
			}
			if err := in.Close(); err != nil {
				return err
			}
			if c != n {
				return fmt.Errorf("nested query from %d: %d rows, count says %d", seq, c, n)
			}
			inner = append(inner, c)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if diff := cmp.Diff([]int{0, 1, 2, 3, 4}, outer); diff != "" {
			return fmt.Errorf("outer rows (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int{5, 4, 3, 2, 1}, inner); diff != "" {
			return fmt.Errorf("nested rows (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// More distinct statements than one connection caches, each twice.
	for round := range 2 {
		for i := range stmtCacheSize + 20 {
			var got int
			if err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + count(*) FROM kv`, i)).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != i+5 {
				t.Fatalf("round %d, statement %d: got %d, want %d", round, i, got, i+5)
			}
		}
	}

	// A cached statement sees a column added after it was prepared.
	const all = `SELECT * FROM kv WHERE k = '0'`
	cols := func() int {
		t.Helper()
		rows, err := db.QueryContext(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		c, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		return len(c)
	}
	before := cols()
	if _, err := db.Migrate(ctx, "kv", append(kvMigrations[:2:2], Migration{Version: 3, Name: "more", SQL: `ALTER TABLE kv ADD COLUMN extra TEXT`})); err != nil {
		t.Fatal(err)
	}
	if after := cols(); after != before+1 {
		t.Errorf("columns after ALTER TABLE: %d, want %d", after, before+1)
	}
}

// TestBatchRetriedWithSavepoints: writes that share a batch with one that
// fails still commit, each exactly once, although the batch ran twice
// (first as one plain transaction, then a savepoint per write).
func TestBatchRetriedWithSavepoints(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	if _, err := db.Migrate(ctx, "kv", kvMigrations[:1]); err != nil {
		t.Fatal(err)
	}
	// Hold the writer in a write of its own until the batch is queued.
	release := make(chan struct{})
	held := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = db.Tx(ctx, func(*sql.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	errBad := errors.New("refused")
	const n = 6
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (?, 'v')`, fmt.Sprint(i)); err != nil {
					return err
				}
				if i == 3 {
					return errBad
				}
				return nil
			})
		}()
	}
	// Wait until all n are queued behind the held write.
	deadline := time.Now().Add(time.Minute)
	for len(db.w.queue) < n {
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("%d of %d writes queued after a minute", len(db.w.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if i == 3 {
			if !errors.Is(err, errBad) {
				t.Errorf("write 3: err = %v, want its own error", err)
			}
		} else if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	var got []string
	rows, err := db.QueryContext(ctx, `SELECT k FROM kv ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
	}
	if diff := cmp.Diff([]string{"0", "1", "2", "4", "5"}, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if r := db.w.retries.Load(); r != 1 {
		t.Errorf("batches run again with savepoints: %d, want 1", r)
	}
}
