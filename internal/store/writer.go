package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// maxBatch bounds how many writes share one transaction.
const maxBatch = 256

// write is one Tx call waiting for the writer.
type write struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error // buffered: the writer never blocks on it
	// state: 0 queued, 1 taken by the writer, 2 abandoned by its caller.
	state atomic.Int32
}

// writer is the store's one writer goroutine: it takes every write that
// is waiting (group commit), runs each in its own savepoint of one
// transaction, commits once (one fsync for all of them) and then answers
// each. A write that fails is rolled back to its savepoint alone; the
// others commit. A write whose caller gave up before the writer took it
// is skipped.
type writer struct {
	db *sql.DB
	// pin keeps the writer on one connection of its own (and so on its
	// prepared statements), except for an in-memory database, whose one
	// connection readers share. conn is that connection, nil until the
	// first write and after it broke; only the writer goroutine uses it.
	pin   bool
	conn  *sql.Conn
	queue chan *write
	stop  chan struct{}
	wg    sync.WaitGroup

	mu     sync.RWMutex // protects closed; held (read) while enqueueing
	closed bool

	// batches and writes count what the writer did (tests, figures);
	// retries the batches run again with a savepoint per write.
	batches, writes, retries atomic.Int64
}

func newWriter(db *sql.DB, pin bool) *writer {
	w := &writer{db: db, pin: pin, queue: make(chan *write, 4*maxBatch), stop: make(chan struct{})}
	w.wg.Add(1)
	go w.run()
	return w
}

// close stops the writer after answering what is queued; idempotent.
func (w *writer) close() {
	w.mu.Lock()
	was := w.closed
	w.closed = true
	w.mu.Unlock()
	if was {
		return
	}
	close(w.stop)
	w.wg.Wait()
}

// begin starts the batch's transaction, on the writer's own connection
// when it has one.
func (w *writer) begin() (*sql.Tx, error) {
	ctx := context.Background()
	if !w.pin {
		return w.db.BeginTx(ctx, nil)
	}
	if w.conn == nil {
		c, err := w.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		_ = c.Raw(func(dc any) error {
			if cc, ok := dc.(*cachingConn); ok {
				cc.uncancelled = true
			}
			return nil
		})
		w.conn = c
	}
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		// Take another connection next time (database/sql discards a
		// broken one when it is returned).
		_ = w.conn.Close()
		w.conn = nil
	}
	return tx, err
}

func (w *writer) run() {
	defer w.wg.Done()
	defer func() {
		if w.conn != nil {
			_ = w.conn.Close()
		}
	}()
	batch := make([]*write, 0, maxBatch)
	for {
		select {
		case <-w.stop:
			w.drain()
			return
		case first := <-w.queue:
			batch = w.gather(append(batch[:0], first))
			w.commit(batch)
		}
	}
}

// gather adds to batch the writes queued, up to maxBatch. Before it gives
// up, it lets the goroutines that are ready to run go first, once for
// each round that brought more: callers on their way to a write (a
// submission being planned) join this batch instead of waiting a commit
// for the next one, so one fsync serves more of them. Nothing ready to
// run, nothing waited: a lone write commits at once.
func (w *writer) gather(batch []*write) []*write {
	for round := 0; ; round++ {
		n := len(batch)
	more:
		for len(batch) < maxBatch {
			select {
			case x := <-w.queue:
				batch = append(batch, x)
			default:
				break more
			}
		}
		if len(batch) == maxBatch || round == maxGatherRounds || (round > 0 && len(batch) == n) {
			return batch
		}
		runtime.Gosched()
	}
}

// maxGatherRounds bounds how often gather yields for one batch.
const maxGatherRounds = 8

// drain answers the writes still queued at Close.
func (w *writer) drain() {
	for {
		select {
		case x := <-w.queue:
			x.done <- fmt.Errorf("store: closed")
		default:
			return
		}
	}
}

func (w *writer) commit(batch []*write) {
	live := batch[:0]
	for _, x := range batch {
		if x.state.CompareAndSwap(0, 1) {
			live = append(live, x)
		}
	}
	if len(live) == 0 {
		return
	}
	w.batches.Add(1)
	w.writes.Add(int64(len(live)))
	// First as one plain transaction: a savepoint per write costs three
	// statements and a sub-journal copy of every page it touches, and
	// writes seldom fail. If one does, the batch is rolled back and run
	// again with each write in its own savepoint, so that the others
	// still commit.
	errs, again := w.attempt(live, len(live) == 1)
	if again {
		w.retries.Add(1)
		errs, _ = w.attempt(live, true)
	}
	for i, x := range live {
		x.done <- errs[i]
	}
}

// attempt runs the batch in one transaction and commits it. With
// isolate, a write's failure is its own: it is rolled back alone (to its
// savepoint; a lone write needs none) and the others commit. Without, a
// failing write stops the attempt and rolls everything back: again
// reports that the batch must be run with isolate.
func (w *writer) attempt(live []*write, isolate bool) (errs []error, again bool) {
	errs = make([]error, len(live))
	tx, err := w.begin()
	if err != nil {
		for i := range errs {
			errs[i] = fmt.Errorf("store: begin: %w", err)
		}
		return errs, false
	}
	ok := 0
	for i, x := range live {
		if isolate && len(live) > 1 {
			errs[i] = w.one(tx, x)
		} else {
			errs[i] = w.plain(tx, x)
		}
		if errs[i] == nil {
			ok++
		} else if !isolate {
			_ = tx.Rollback()
			return nil, true
		}
	}
	if ok == 0 {
		_ = tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("store: commit: %w", err)
			}
		}
	}
	return errs, false
}

// plain runs x's function in tx as it is (a panic becomes its error).
func (w *writer) plain(tx *sql.Tx, x *write) (err error) {
	if err := x.ctx.Err(); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write panicked: %v", p)
		}
	}()
	return x.fn(tx)
}

// one runs x's function in a savepoint of tx, rolled back if it fails
// (or panics: the panic becomes its error, the writer goes on).
func (w *writer) one(tx *sql.Tx, x *write) (err error) {
	if err := x.ctx.Err(); err != nil {
		return err
	}
	if _, err := tx.Exec("SAVEPOINT w"); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write panicked: %v", p)
		}
		if err != nil {
			if _, rerr := tx.Exec("ROLLBACK TO w"); rerr != nil {
				err = fmt.Errorf("%w (and rolling back its savepoint: %w)", err, rerr)
			}
		}
		if _, rerr := tx.Exec("RELEASE w"); rerr != nil && err == nil {
			err = fmt.Errorf("store: release savepoint: %w", rerr)
		}
	}()
	return x.fn(tx)
}

// submit queues fn and waits for its outcome. Until the writer takes it,
// ctx ending abandons it (ctx's error, nothing written); once taken, the
// caller waits for the commit, so nil always means durable and an error
// always means not written.
func (w *writer) submit(ctx context.Context, fn func(*sql.Tx) error) error {
	x := &write{ctx: ctx, fn: fn, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return fmt.Errorf("store: closed")
	}
	select {
	case w.queue <- x:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	select {
	case err := <-x.done:
		return err
	case <-ctx.Done():
		if x.state.CompareAndSwap(0, 2) {
			return ctx.Err()
		}
		return <-x.done
	}
}
