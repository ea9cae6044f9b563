package sshconn

import (
	"context"
	"sync"

	"github.com/netagent/netagent/adapters"
)

// Conn is a session a Pool keeps: a pointer type whose Broken reports that
// it can carry no more exchanges and whose Close ends it (idempotent, and
// bounded in time).
type Conn interface {
	comparable
	Broken() bool
	Close()
}

// Pool keeps an adapter's one session to its device and dials a new one
// when it breaks. A broken session is closed in the background; Close
// waits for those closes. A Pool is safe for concurrent use.
type Pool[C Conn] struct {
	t    adapters.Target
	dial func(context.Context) (C, error)
	// closing counts broken sessions being closed in the background.
	closing sync.WaitGroup

	mu     sync.Mutex // protects following fields
	sess   C          // the zero C when none
	closed bool
}

// NewPool returns a pool holding first (already dialled) that dials with
// dial when it needs a new session.
func NewPool[C Conn](t adapters.Target, first C, dial func(context.Context) (C, error)) *Pool[C] {
	return &Pool[C]{t: t, dial: dial, sess: first}
}

// Get returns the pooled session, dialling a new one if there is none or
// it broke. After Close it is ErrClosed.
func (p *Pool[C]) Get(ctx context.Context) (C, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var zero C
	if p.closed {
		return zero, p.t.Err(adapters.PhaseConnect, adapters.ErrClosed, true, nil, "")
	}
	if p.sess != zero && !p.sess.Broken() {
		return p.sess, nil
	}
	if p.sess != zero {
		old := p.sess
		p.closing.Add(1)
		go func() { // bounded (Conn.Close); Close waits for it
			defer p.closing.Done()
			old.Close()
		}()
	}
	s, err := p.dial(ctx)
	if err != nil {
		p.sess = zero
		return zero, err
	}
	p.sess = s
	return s, nil
}

// Peek returns the pooled session without dialling (the zero C if none).
func (p *Pool[C]) Peek() C {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sess
}

// Close closes the pooled session and also (a session the adapter holds
// outside the pool, or the zero C), and waits for the sessions being
// closed in the background. Later calls do nothing.
func (p *Pool[C]) Close(also C) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	s := p.sess
	var zero C
	p.sess = zero
	p.mu.Unlock()
	if s != zero {
		s.Close()
	}
	if also != zero && also != s {
		also.Close()
	}
	p.closing.Wait()
}
