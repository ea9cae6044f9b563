package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// maxIdleConns is how many idle connections the pool keeps (each with its
// statement cache).
const maxIdleConns = 16

// sqliteDriver is the driver registered as "sqlite" by modernc.org/sqlite.
func sqliteDriver() (driver.Driver, error) {
	db, err := sql.Open("sqlite", "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.Driver(), nil
}

// ErrMigration marks an invalid list of migrations (duplicate or
// non-positive versions); errors.Is matches it.
var ErrMigration = errors.New("store: invalid migrations")

// Options tune Open. The zero value is the production setting.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: "FULL" (the default:
	// a commit survives power loss) or "NORMAL" (a commit survives a crash
	// of the process, not of the machine).
	Synchronous string
	// BusyTimeout is how long a writer waits for the lock; default 10s.
	BusyTimeout time.Duration
}

// DB is an open store. It embeds *sql.DB, so the usual query methods are
// available; Tx and Migrate add what every owner needs. Safe for concurrent use.
type DB struct {
	*sql.DB
	path string
	w    *writer
}

// Open opens (creating if needed) the SQLite database at path. The path
// ":memory:" opens a private in-memory database (one connection), for tests.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	sync := opts.Synchronous
	if sync == "" {
		sync = "FULL"
	}
	if sync != "FULL" && sync != "NORMAL" {
		return nil, fmt.Errorf("store: open %s: synchronous must be FULL or NORMAL, not %q", path, sync)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Set("_txlock", "immediate")
	memory := path == ":memory:"
	var dsn string
	if memory {
		dsn = "file::memory:?" + q.Encode()
	} else {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("store: open %s: %w", path, err)
			}
		}
		q.Add("_pragma", "journal_mode(WAL)")
		// A checkpoint every 4,000 pages (16 MiB of WAL) rather than
		// SQLite's 1,000: the pages a burst of writes keeps touching (the
		// tables' last leaves) are copied into the database once per
		// checkpoint, not four times.
		q.Add("_pragma", "wal_autocheckpoint(4000)")
		dsn = "file:" + path + "?" + q.Encode()
	}
	drv, err := sqliteDriver()
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	sdb := sql.OpenDB(connector{drv: drv, dsn: dsn})
	if memory {
		// Every connection to :memory: is a different database.
		sdb.SetMaxOpenConns(1)
	} else {
		// Keep the connections concurrent readers use (and their
		// prepared statements): database/sql keeps 2 idle by default, so
		// a burst of reads opened and closed connections (each open
		// parses the schema again).
		sdb.SetMaxIdleConns(maxIdleConns)
		sdb.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if !memory {
		var mode string
		if err := sdb.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			sdb.Close()
			return nil, fmt.Errorf("store: open %s: journal mode: %w", path, err)
		}
		if mode != "wal" {
			sdb.Close()
			return nil, fmt.Errorf("store: open %s: journal mode is %q, want wal", path, mode)
		}
	}
	db := &DB{DB: sdb, path: path, w: newWriter(sdb, !memory)}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS store_migrations (
		owner TEXT NOT NULL,
		version INTEGER NOT NULL,
		name TEXT NOT NULL,
		applied_at INTEGER NOT NULL,
		PRIMARY KEY (owner, version)
	)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: migrations table: %w", path, err)
	}
	return db, nil
}

// Close stops the writer (writes still queued fail) and closes the database.
func (db *DB) Close() error {
	db.w.close()
	return db.DB.Close()
}

// WriterStats reports how many transactions the writer committed and how
// many writes (Tx calls) they carried: writes/batches is the group-commit
// factor.
func (db *DB) WriterStats() (batches, writes int64) {
	return db.w.batches.Load(), db.w.writes.Load()
}

// Path is the file the store lives in.
func (db *DB) Path() string { return db.path }

// Tx runs fn in a write transaction, through the store's one writer
// goroutine: writes that arrive together share one transaction and one
// fsync (group commit), each in its own savepoint, so fn's changes commit
// when fn returns nil and are rolled back alone when it returns an error
// (or panics). Tx returns once the commit is durable. fn must only use tx
// (never call Tx itself: it would wait for the writer running it) and
// should not block on anything but the database. fn may run more than
// once: a batch runs as one plain transaction first, and when one of its
// writes fails it is rolled back and run again with a savepoint per
// write; so fn must leave no trace but its changes in tx and values it
// sets afresh on every run; other owners' writes (an
// audit entry, say) go in the same fn to land atomically with it. Reads
// (QueryContext on the DB) never wait for the writer: WAL.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.w.submit(ctx, fn)
}

// Migration is one step of an owner's schema. Versions start at 1 and are
// applied in ascending order; a version once released never changes.
type Migration struct {
	Version int
	Name    string
	// SQL is executed as one script (several statements allowed).
	SQL string
}

// Migrate applies owner's migrations that are not yet applied, each in its
// own transaction with the row that records it, and returns the owner's
// version afterwards. It is safe to call from several processes at once.
func (db *DB) Migrate(ctx context.Context, owner string, migrations []Migration) (int, error) {
	if owner == "" {
		return 0, fmt.Errorf("%w: empty owner", ErrMigration)
	}
	ms := append([]Migration(nil), migrations...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version <= 0 {
			return 0, fmt.Errorf("%w: %s version %d is not positive", ErrMigration, owner, m.Version)
		}
		if i > 0 && ms[i-1].Version == m.Version {
			return 0, fmt.Errorf("%w: %s version %d appears twice", ErrMigration, owner, m.Version)
		}
	}
	for _, m := range ms {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM store_migrations WHERE owner = ? AND version = ?`,
				owner, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO store_migrations (owner, version, name, applied_at) VALUES (?, ?, ?, ?)`,
				owner, m.Version, m.Name, time.Now().UnixNano())
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("store: migrate %s to %d (%s) in %s: %w", owner, m.Version, m.Name, db.path, err)
		}
	}
	return db.Version(ctx, owner)
}

// Version is the highest migration applied for owner, 0 when none.
func (db *DB) Version(ctx context.Context, owner string) (int, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM store_migrations WHERE owner = ?`, owner).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: version of %s in %s: %w", owner, db.path, err)
	}
	return int(v.Int64), nil
}
