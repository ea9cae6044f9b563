package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state", "netagent.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

var kvMigrations = []Migration{
	{Version: 1, Name: "kv", SQL: `CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)`},
	{Version: 2, Name: "kv seq", SQL: `ALTER TABLE kv ADD COLUMN seq INTEGER NOT NULL DEFAULT 0; CREATE INDEX kv_seq ON kv(seq)`},
}

func TestMigratePerOwnerAndOnce(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	v, err := db.Migrate(ctx, "a", kvMigrations[:1])
	if err != nil || v != 1 {
		t.Fatalf("Migrate a to 1 = %d, %v", v, err)
	}
	// Applying the same list again, plus one more, runs only the new step.
	v, err = db.Migrate(ctx, "a", kvMigrations)
	if err != nil || v != 2 {
		t.Fatalf("Migrate a to 2 = %d, %v", v, err)
	}
	// Another owner's versions are independent.
	v, err = db.Migrate(ctx, "b", []Migration{{Version: 1, Name: "b", SQL: `CREATE TABLE b (x INTEGER)`}})
	if err != nil || v != 1 {
		t.Fatalf("Migrate b = %d, %v", v, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO kv (k, v, seq) VALUES ('x', 'y', 3)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db2, err := Open(ctx, path, Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	v, err = db2.Migrate(ctx, "a", kvMigrations)
	if err != nil || v != 2 {
		t.Fatalf("after reopen Migrate a = %d, %v", v, err)
	}
	var got string
	if err := db2.QueryRowContext(ctx, `SELECT v FROM kv WHERE k = 'x'`).Scan(&got); err != nil || got != "y" {
		t.Fatalf("row after reopen = %q, %v", got, err)
	}
	var mode string
	if err := db2.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
}

func TestMigrateFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	bad := []Migration{
		{Version: 1, Name: "ok", SQL: `CREATE TABLE t1 (x INTEGER)`},
		{Version: 2, Name: "half", SQL: `CREATE TABLE t2 (x INTEGER); CREATE TABLE t1 (y INTEGER)`},
	}
	if _, err := db.Migrate(ctx, "c", bad); err == nil {
		t.Fatal("Migrate with a failing step succeeded")
	}
	v, err := db.Version(ctx, "c")
	if err != nil || v != 1 {
		t.Fatalf("Version = %d, %v; want 1", v, err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 't2'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("t2 exists after failed migration (n=%d, err=%v)", n, err)
	}
}

func TestMigrateInvalidList(t *testing.T) {
	db, _ := openTemp(t)
	for name, ms := range map[string][]Migration{
		"duplicate": {{Version: 1, SQL: "SELECT 1"}, {Version: 1, SQL: "SELECT 1"}},
		"zero":      {{Version: 0, SQL: "SELECT 1"}},
	} {
		if _, err := db.Migrate(context.Background(), "d", ms); !errors.Is(err, ErrMigration) {
			t.Errorf("%s: err = %v, want ErrMigration", name, err)
		}
	}
}

func TestTxRollbackAndConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	if _, err := db.Migrate(ctx, "a", kvMigrations); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES ('gone', '1')`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx err = %v, want boom", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				errs[w] = db.Tx(ctx, func(tx *sql.Tx) error {
					var n int
					if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM kv`).Scan(&n); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, `INSERT INTO kv (k, v, seq) VALUES (?, 'x', ?)`, fmt.Sprintf("%d-%d", w, i), n)
					return err
				})
				if errs[w] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var n, distinct int
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT seq) FROM kv`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	// Every transaction saw the count of the ones before it: serialised.
	if diff := cmp.Diff([]int{160, 160}, []int{n, distinct}); diff != "" {
		t.Errorf("rows, distinct seq (-want +got):\n%s", diff)
	}
}

func TestOpenMemoryAndBadOptions(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, ":memory:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, "a", kvMigrations); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), Options{Synchronous: "OFF"}); err == nil {
		t.Error("Open with synchronous OFF succeeded")
	}
}
