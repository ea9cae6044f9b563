package adapters

import (
	"context"
	"fmt"
	"sync"
)

// SessionLimit bounds how many protocol sessions a Pool (every device's
// Failover sharing it) holds open at once. Opens beyond the limit wait in
// arrival order (first come, first served: a slot that frees up goes to
// the oldest waiter, never to a newcomer), until a session closes (idle,
// or its device closes) or their ctx ends. A nil *SessionLimit is
// unlimited. It is safe for concurrent use.
type SessionLimit struct {
	max int

	mu    sync.Mutex // protects following fields
	open  int
	queue []chan struct{} // waiters, oldest first; closed when given a slot
}

// NewSessionLimit returns a limit of max open sessions (max < 1: unlimited).
func NewSessionLimit(max int) *SessionLimit {
	if max < 1 {
		return nil
	}
	return &SessionLimit{max: max}
}

// Acquire takes a slot, waiting in line for one. Its error wraps ctx's.
func (l *SessionLimit) Acquire(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.open < l.max && len(l.queue) == 0 {
		l.open++
		l.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	l.queue = append(l.queue, ch)
	l.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, w := range l.queue {
			if w == ch {
				l.queue = append(l.queue[:i:i], l.queue[i+1:]...)
				return fmt.Errorf("waiting for one of %d sessions: %w", l.max, ctx.Err())
			}
		}
		// Given a slot just as ctx ended: pass it on.
		l.releaseLocked()
		return fmt.Errorf("waiting for one of %d sessions: %w", l.max, ctx.Err())
	}
}

// Release gives a slot back (to the oldest waiter, if any).
func (l *SessionLimit) Release() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.releaseLocked()
}

func (l *SessionLimit) releaseLocked() {
	if len(l.queue) > 0 {
		ch := l.queue[0]
		l.queue = l.queue[1:]
		close(ch) // the slot moves to the waiter: open stays the same
		return
	}
	if l.open > 0 {
		l.open--
	}
}

// Open is how many slots are taken.
func (l *SessionLimit) Open() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// Waiting is how many opens wait for a slot.
func (l *SessionLimit) Waiting() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}
