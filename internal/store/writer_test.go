package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestGroupCommit: concurrent writes share transactions (fewer commits
// than writes), each is durable when Tx returns, and one that fails or
// panics is rolled back alone while the others of its batch commit.
func TestGroupCommit(t *testing.T) {
	db, path := openTemp(t)
	ctx := context.Background()
	if _, err := db.Migrate(ctx, "kv", kvMigrations[:1]); err != nil {
		t.Fatal(err)
	}
	const n = 400
	errBad := errors.New("refused")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprint(i), "v"); err != nil {
					return err
				}
				switch i % 50 {
				case 7:
					return errBad // its insert is rolled back
				case 9:
					panic("boom")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	want := 0
	for i, err := range errs {
		switch i % 50 {
		case 7:
			if !errors.Is(err, errBad) {
				t.Errorf("write %d: err = %v, want its own error", i, err)
			}
		case 9:
			if err == nil {
				t.Errorf("write %d panicked and succeeded", i)
			}
		default:
			want++
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	batches, writes := db.WriterStats()
	t.Logf("%d writes in %d transactions", writes, batches)
	if batches >= writes {
		t.Errorf("%d transactions for %d writes: no group commit", batches, writes)
	}
	// Durable: a second connection to the file sees exactly the good ones.
	db2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	var got int
	if err := db2.QueryRowContext(ctx, `SELECT count(*) FROM kv`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("rows = %d, want %d", got, want)
	}
}

// TestTxCancelled: a write whose ctx ended before it ran writes nothing
// and says so; Tx after Close fails.
func TestTxCancelled(t *testing.T) {
	db, _ := openTemp(t)
	if _, err := db.Migrate(context.Background(), "kv", kvMigrations[:1]); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO kv (k, v) VALUES ('x', 'y')`)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM kv`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows = %d (%v), want 0", n, err)
	}
	db.Close()
	if err := db.Tx(context.Background(), func(*sql.Tx) error { return nil }); err == nil {
		t.Error("Tx after Close succeeded")
	}
}
