// Package store is netagent's embedded database: one SQLite file (pure Go,
// modernc.org/sqlite) shared by every package that keeps state: intents,
// the transaction write-ahead log, the knowledge base and the audit chain.
//
// A DB wraps *sql.DB. Open configures the connection so that every commit is
// durable before it returns (WAL journal, synchronous=FULL unless told
// otherwise), transactions take the write lock when they begin (BEGIN
// IMMEDIATE, so two writers never deadlock upgrading a read lock) and a busy
// database is waited for rather than failed.
//
// Each owner (a package) brings its own schema as a list of numbered
// migrations and calls Migrate at start-up; the versions applied are kept per
// owner in the table store_migrations, so owners never collide and never see
// each other's versions. A migration runs in a transaction together with the
// row that records it: it is applied exactly once or not at all.
//
// Writes go through one writer goroutine (Tx): every write waiting when the
// writer is free joins one transaction (the writer lets the goroutines
// ready to run go first, so that writes on their way join too), and they
// share one commit and one fsync (group commit); Tx returns when its write
// is durable, or with its own error, having changed nothing. A write's
// context counts until the writer takes it; then its statements run to
// the end (a caller that went away does not interrupt the batch). A batch runs as one plain
// transaction; if one of its writes fails, it is rolled back and run
// again with each write in its own savepoint (so a write's function may
// run twice, and must have no effect outside the transaction). The writer
// keeps one connection of its own, and every connection caches its
// prepared statements (SQL text to statement, least recently used
// evicted), so a write executes statements without parsing them again. Any
// owner's write can join another's atomically by running in the same Tx
// function (the audit chain's entry inside an intent's storage
// transaction, say). Reads run on their own connections and never wait for
// the writer (WAL). A Tx function must not call Tx.
//
// Concurrency: a DB is safe for concurrent use, as *sql.DB is. Errors name
// the operation and the file and wrap the driver's error with %w.
package store
