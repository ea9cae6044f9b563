package txn

import (
	"context"
	"sort"
	"sync"
)

// locks is the coordinator's one-writer-per-device table: which
// transaction holds each device. A transaction takes all its devices at
// once or waits (or, with NoWait, is refused naming the holder), so two
// transactions never deadlock on each other.
type locks struct {
	mu      sync.Mutex // protects following fields
	holder  map[string]string
	changed chan struct{} // closed and replaced on every release
}

func newLocks() *locks {
	return &locks{holder: map[string]string{}, changed: make(chan struct{})}
}

func (l *locks) acquire(ctx context.Context, id string, devices []string, noWait bool) (release func(), err error) {
	devices = append([]string(nil), devices...)
	sort.Strings(devices)
	for {
		l.mu.Lock()
		busy, holder := "", ""
		for _, d := range devices {
			if h, ok := l.holder[d]; ok {
				busy, holder = d, h
				break
			}
		}
		if busy == "" {
			for _, d := range devices {
				l.holder[d] = id
			}
			l.mu.Unlock()
			return func() { l.release(id, devices) }, nil
		}
		ch := l.changed
		l.mu.Unlock()
		if noWait {
			return nil, &BusyError{Device: busy, Holder: holder}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, &BusyError{Device: busy, Holder: holder}
		}
	}
}

func (l *locks) release(id string, devices []string) {
	l.mu.Lock()
	for _, d := range devices {
		if l.holder[d] == id {
			delete(l.holder, d)
		}
	}
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// Holder returns the transaction holding device, or "".
func (c *Coordinator) Holder(device string) string {
	c.locks.mu.Lock()
	defer c.locks.mu.Unlock()
	return c.locks.holder[device]
}
