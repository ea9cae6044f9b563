package store

import (
	"context"
	"database/sql"
	"fmt"
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
	db    *sql.DB
	queue chan *write
	stop  chan struct{}
	wg    sync.WaitGroup

	mu     sync.RWMutex // protects closed; held (read) while enqueueing
	closed bool

	// batches and writes count what the writer did (tests, figures).
	batches, writes atomic.Int64
}

func newWriter(db *sql.DB) *writer {
	w := &writer{db: db, queue: make(chan *write, 4*maxBatch), stop: make(chan struct{})}
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

func (w *writer) run() {
	defer w.wg.Done()
	batch := make([]*write, 0, maxBatch)
	for {
		select {
		case <-w.stop:
			w.drain()
			return
		case first := <-w.queue:
			batch = append(batch[:0], first)
		more:
			for len(batch) < maxBatch {
				select {
				case x := <-w.queue:
					batch = append(batch, x)
				default:
					break more
				}
			}
			w.commit(batch)
		}
	}
}

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
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		for _, x := range live {
			x.done <- fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	errs := make([]error, len(live))
	ok := 0
	for i, x := range live {
		errs[i] = w.one(tx, x)
		if errs[i] == nil {
			ok++
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
	for i, x := range live {
		x.done <- errs[i]
	}
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
