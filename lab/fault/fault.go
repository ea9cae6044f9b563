package fault

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Protocol is a device front end a fault applies to.
type Protocol string

// Front ends.
const (
	Any     Protocol = ""
	NETCONF Protocol = "netconf"
	GNMI    Protocol = "gnmi"
	CLI     Protocol = "cli"
)

// Kind is what a fault does.
type Kind string

// Fault kinds.
const (
	// Down refuses connections (the listener is closed) and drops open sessions.
	Down Kind = "down"
	// Hang accepts connections and requests but never answers.
	Hang Kind = "hang"
	// Latency delays every reply by Delay.
	Latency Kind = "latency"
	// RejectCommit fails the next commit (NETCONF commit, gNMI Set, CLI
	// commit or configuration line) with ErrorTag and Message.
	RejectCommit Kind = "reject-commit"
	// DropCommit applies the next commit and drops the session before the
	// reply, so the client cannot know the outcome.
	DropCommit Kind = "drop-commit"
	// SlowCommit delays every commit by Delay before it takes effect.
	SlowCommit Kind = "slow-commit"
)

// Kinds lists every fault kind.
var Kinds = []Kind{Down, Hang, Latency, RejectCommit, DropCommit, SlowCommit}

// ErrBadFault is matched by errors from Inject for a fault that makes no sense.
var ErrBadFault = errors.New("bad fault")

// Fault is one injected fault on one device.
type Fault struct {
	Kind     Kind          `json:"kind"`
	Protocol Protocol      `json:"protocol,omitempty"` // "" applies to every front end
	Delay    time.Duration `json:"delay,omitempty"`    // latency, slow-commit
	ErrorTag string        `json:"error_tag,omitempty"`
	Message  string        `json:"message,omitempty"`
	// Count is how many times a reject-commit or drop-commit fires before it
	// clears itself; 0 means once. Other kinds last until cleared.
	Count int `json:"count,omitempty"`
}

func (f Fault) oneShot() bool { return f.Kind == RejectCommit || f.Kind == DropCommit }

func (f Fault) key() string { return string(f.Protocol) + "/" + string(f.Kind) }

// Validate checks the fault's fields.
func (f Fault) Validate() error {
	known := false
	for _, k := range Kinds {
		known = known || k == f.Kind
	}
	if !known {
		return fmt.Errorf("%w: unknown kind %q", ErrBadFault, f.Kind)
	}
	switch f.Protocol {
	case Any, NETCONF, GNMI, CLI:
	default:
		return fmt.Errorf("%w: unknown protocol %q", ErrBadFault, f.Protocol)
	}
	if (f.Kind == Latency || f.Kind == SlowCommit) && f.Delay <= 0 {
		return fmt.Errorf("%w: %s needs a positive delay", ErrBadFault, f.Kind)
	}
	if f.Count < 0 {
		return fmt.Errorf("%w: negative count", ErrBadFault)
	}
	return nil
}

// Set holds the faults of one device and counts how often each was hit.
// It is safe for concurrent use.
type Set struct {
	mu      sync.Mutex // protects following fields
	faults  map[string]*Fault
	hits    map[string]uint64
	changed chan struct{} // closed and replaced whenever faults change
	watch   []func()
}

// NewSet returns an empty fault set.
func NewSet() *Set {
	return &Set{faults: map[string]*Fault{}, hits: map[string]uint64{}, changed: make(chan struct{})}
}

// OnChange registers fn to be called (without locks held) after every
// Inject or Clear. Listeners use it to go down and up.
func (s *Set) OnChange(fn func()) {
	s.mu.Lock()
	s.watch = append(s.watch, fn)
	s.mu.Unlock()
}

func (s *Set) notify() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	w := append([]func(){}, s.watch...)
	s.mu.Unlock()
	for _, fn := range w {
		fn()
	}
}

// Inject adds f, replacing a fault of the same kind and protocol.
func (s *Set) Inject(f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.oneShot() && f.Count == 0 {
		f.Count = 1
	}
	s.mu.Lock()
	s.faults[f.key()] = &f
	s.mu.Unlock()
	s.notify()
	return nil
}

// Clear removes the faults matching p and k; Any and "" match every
// protocol and kind.
func (s *Set) Clear(p Protocol, k Kind) int {
	s.mu.Lock()
	n := 0
	for key, f := range s.faults {
		if (p == Any || f.Protocol == p) && (k == "" || f.Kind == k) {
			delete(s.faults, key)
			n++
		}
	}
	s.mu.Unlock()
	if n > 0 {
		s.notify()
	}
	return n
}

// List returns the active faults, sorted by protocol and kind.
func (s *Set) List() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

func (s *Set) lookup(p Protocol, k Kind) *Fault {
	if f, ok := s.faults[string(p)+"/"+string(k)]; ok {
		return f
	}
	if f, ok := s.faults["/"+string(k)]; ok {
		return f
	}
	return nil
}

// Active reports whether a fault of kind k applies to p, without counting it.
func (s *Set) Active(p Protocol, k Kind) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.lookup(p, k); f != nil {
		return *f, true
	}
	return Fault{}, false
}

// Take reports whether a fault of kind k applies to p; if so it counts a
// hit and uses up one firing of a one-shot fault.
func (s *Set) Take(p Protocol, k Kind) (Fault, bool) {
	s.mu.Lock()
	f := s.lookup(p, k)
	if f == nil {
		s.mu.Unlock()
		return Fault{}, false
	}
	out := *f
	s.hits[string(p)+"/"+string(k)]++
	cleared := false
	if f.oneShot() {
		f.Count--
		if f.Count <= 0 {
			delete(s.faults, f.key())
			cleared = true
		}
	}
	s.mu.Unlock()
	if cleared {
		s.notify()
	}
	return out, true
}

// Hits returns how often each fault fired, keyed "protocol/kind".
func (s *Set) Hits() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]uint64, len(s.hits))
	for k, v := range s.hits {
		out[k] = v
	}
	return out
}

// Hit counts a hit of kind k on p without consulting the faults (for
// faults enforced outside Take, such as a refused connection).
func (s *Set) Hit(p Protocol, k Kind) {
	s.mu.Lock()
	s.hits[string(p)+"/"+string(k)]++
	s.mu.Unlock()
}

// Delay sleeps for the latency fault on p, if any; it returns ctx's error
// when ctx ends first.
func (s *Set) Delay(ctx context.Context, p Protocol) error {
	f, ok := s.Take(p, Latency)
	if !ok {
		return nil
	}
	return sleep(ctx, f.Delay)
}

// HangWhile blocks while a hang fault applies to p, until it is cleared
// (returns nil) or ctx ends (returns ctx's error).
func (s *Set) HangWhile(ctx context.Context, p Protocol) error {
	counted := false
	for {
		s.mu.Lock()
		f := s.lookup(p, Hang)
		ch := s.changed
		if f != nil && !counted {
			s.hits[string(p)+"/"+string(Hang)]++
			counted = true
		}
		s.mu.Unlock()
		if f == nil {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// BeforeCommit applies the commit faults on p in the order every front end
// obeys them: a slow-commit waits its Delay first (returning ctx's error,
// and rejecting nothing, when ctx ends before), then a reject-commit fires.
// The commit has started when BeforeCommit is called: as on a real device,
// it runs to its end even if the session that asked for it goes away, so
// ctx should end when the device stops (its server closes, or another
// session kills the requester), not when the requester's transport closes.
// rejected is non-nil when the commit must fail; its ErrorTag defaults to
// operation-failed and its Message to "commit rejected (injected fault)".
func (s *Set) BeforeCommit(ctx context.Context, p Protocol) (rejected *Fault, err error) {
	if f, ok := s.Take(p, SlowCommit); ok {
		if err := sleep(ctx, f.Delay); err != nil {
			return nil, err
		}
	}
	f, ok := s.Take(p, RejectCommit)
	if !ok {
		return nil, nil
	}
	if f.ErrorTag == "" {
		f.ErrorTag = "operation-failed"
	}
	if f.Message == "" {
		f.Message = "commit rejected (injected fault)"
	}
	return &f, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
