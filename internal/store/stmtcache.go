package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
)

// stmtCacheSize bounds the prepared statements kept per connection: the
// store's owners use a few dozen distinct statements; a query built with
// varying text (a list with optional filters) only evicts the least
// recently used.
const stmtCacheSize = 128

// connector opens connections to one DSN through the SQLite driver and
// gives each a statement cache: SQLite parses and plans a statement each
// time it is prepared, which was a quarter of the CPU of a durable submit,
// while executing a prepared statement again only binds its arguments.
// Owners keep calling ExecContext and QueryContext with SQL text; the
// cache is invisible to them.
type connector struct {
	drv driver.Driver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) {
	dc, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newCachingConn(dc)
}

func (c connector) Driver() driver.Driver { return c.drv }

// baseConn is what the cache needs of the driver's connection (the SQLite
// driver's has all of it).
type baseConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
}

// cachingConn is one connection with its statement cache. database/sql
// uses a connection from one goroutine at a time, so the cache needs no
// lock; a statement is busy while rows read from it are open (a query
// inside a loop over another query's rows prepares a second, uncached one).
type cachingConn struct {
	baseConn
	// stmts maps SQL text to its element in lru (most recent at the front).
	stmts map[string]*list.Element
	lru   *list.List
	// uncancelled is set on the writer's connection: its statements run
	// to the end whatever their context says. The writer runs a write
	// once it took it (its caller then waits for the commit), and the
	// driver would otherwise start a goroutine per statement to interrupt
	// the connection (any statement of the batch) when a caller's context
	// ends.
	uncancelled bool
}

type cachedStmt struct {
	query string
	stmt  interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool
}

var errNoCache = errors.New("store: the SQLite driver's connection lacks a method the statement cache needs")

func newCachingConn(dc driver.Conn) (driver.Conn, error) {
	bc, ok := dc.(baseConn)
	if !ok {
		_ = dc.Close()
		return nil, errNoCache
	}
	return &cachingConn{baseConn: bc, stmts: map[string]*list.Element{}, lru: list.New()}, nil
}

// statement returns the cached statement for query, preparing it on
// first use; nil (and no error) when it is busy.
func (c *cachingConn) statement(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.stmts[query]; ok {
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return cs, nil
	}
	ds, err := c.baseConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		_ = ds.Close()
		return nil, errNoCache
	}
	cs := &cachedStmt{query: query, stmt: st}
	c.stmts[query] = c.lru.PushFront(cs)
	for c.lru.Len() > stmtCacheSize {
		old := c.lru.Back()
		ocs := old.Value.(*cachedStmt)
		if ocs.busy {
			break // closed when its rows close (see rows.Close)
		}
		c.lru.Remove(old)
		delete(c.stmts, ocs.query)
		_ = ocs.stmt.Close()
	}
	return cs, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.uncancelled {
		ctx = context.WithoutCancel(ctx)
	}
	cs, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.baseConn.ExecContext(ctx, query, args)
	}
	return cs.stmt.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.uncancelled {
		ctx = context.WithoutCancel(ctx)
	}
	cs, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.baseConn.QueryContext(ctx, query, args)
	}
	r, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: r, c: c, cs: cs}, nil
}

// ResetSession and IsValid pass the driver's verdict on the connection to
// database/sql's pool.
func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.baseConn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.baseConn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		errs = append(errs, e.Value.(*cachedStmt).stmt.Close())
	}
	c.lru.Init()
	clear(c.stmts)
	errs = append(errs, c.baseConn.Close())
	return errors.Join(errs...)
}

// cachedRows frees its statement for the next use when closed (the
// driver resets a statement whose rows close).
type cachedRows struct {
	driver.Rows
	c  *cachingConn
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.cs != nil {
		r.cs.busy = false
		if e, ok := r.c.stmts[r.cs.query]; !ok || e.Value != r.cs {
			// Evicted while busy: nobody else holds it.
			err = errors.Join(err, r.cs.stmt.Close())
		}
		r.cs = nil
	}
	return err
}

// ColumnTypeDatabaseTypeName and the other column-type methods are those
// of the driver's rows, where it has them.
func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

var (
	_ driver.Connector       = connector{}
	_ driver.ExecerContext   = (*cachingConn)(nil)
	_ driver.QueryerContext  = (*cachingConn)(nil)
	_ driver.SessionResetter = (*cachingConn)(nil)
	_ driver.Validator       = (*cachingConn)(nil)
)
