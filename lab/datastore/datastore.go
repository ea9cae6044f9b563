package datastore

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/netagent/netagent/yang"
)

// Target names a configuration datastore.
type Target string

// The datastores a device has.
const (
	Running   Target = "running"
	Candidate Target = "candidate"
)

// Sentinel errors; the protocol front ends map them to their own error codes.
var (
	ErrLocked        = errors.New("datastore locked by another session")
	ErrNotLockHolder = errors.New("datastore lock not held by this session")
	ErrNoPending     = errors.New("no confirmed commit is pending")
	ErrPersistID     = errors.New("persist-id does not match the pending confirmed commit")
	ErrUnknownTarget = errors.New("unknown datastore")
	ErrClosed        = errors.New("datastore closed")
)

// sharedEdits marks a candidate edited by more than one session.
const sharedEdits = ^uint32(0)

// LockError says who holds a lock.
type LockError struct {
	Target Target
	Holder uint32 // session id
}

func (e *LockError) Error() string {
	return fmt.Sprintf("%s datastore is locked by session %d", e.Target, e.Holder)
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockError) Unwrap() error { return ErrLocked }

// ConfirmOptions describe a confirmed commit (RFC 6241 section 8.4).
type ConfirmOptions struct {
	Timeout   time.Duration // 0 means the RFC default, 600 s
	Persist   string        // non-empty: the commit survives its session; confirm with this id
	PersistID string        // confirms or extends a persistent confirmed commit
}

// Event is one change of the running configuration.
type Event struct {
	Seq     uint64
	Time    time.Time
	Changes []yang.Change
	Source  string // "netconf", "gnmi", "cli", "revert", ...
}

type pending struct {
	before  *yang.Tree
	persist string
	session uint32 // 0 when persistent
	timer   *time.Timer
	gen     uint64
}

// Store is one device's configuration: running and candidate trees, locks
// and the pending confirmed commit. It is safe for concurrent use; every
// method is atomic, and trees it returns are private copies.
type Store struct {
	name string

	mu        sync.Mutex // protects following fields
	running   *yang.Tree
	candidate *yang.Tree
	dirty     bool   // candidate differs from running by edits
	editor    uint32 // the one session whose edits the candidate holds; sharedEdits when several
	locks     map[Target]uint32
	pend      *pending
	pendGen   uint64
	seq       uint64
	changed   chan struct{} // closed and replaced on every change of running
	lastEvent Event
	events    []Event // the latest changes of running, oldest first, at most maxEvents
	closed    bool
	reverts   uint64
	// valid is the candidate as it last passed validation (every change
	// of the candidate installs a new tree, so the pointer tells whether
	// it changed since): a commit after a validate need not validate again.
	valid *yang.Tree
}

// New returns a store whose running and candidate configuration is initial
// (copied). name is used in error messages.
func New(name string, initial *yang.Tree) *Store {
	if initial == nil {
		initial = yang.NewTree()
	}
	return &Store{
		name:      name,
		running:   initial.Clone(),
		candidate: initial.Clone(),
		locks:     map[Target]uint32{},
		changed:   make(chan struct{}),
	}
}

// Name is the device name the store belongs to.
func (s *Store) Name() string { return s.name }

// Get returns a copy of the target datastore.
func (s *Store) Get(t Target) (*yang.Tree, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch t {
	case Running:
		return s.running.Clone(), nil
	case Candidate:
		return s.candidate.Clone(), nil
	}
	return nil, fmt.Errorf("%s: get %q: %w", s.name, t, ErrUnknownTarget)
}

// Read calls fn with the target datastore itself, under the store's lock:
// fn must not modify the tree nor keep it (a get-config filters and
// encodes it without copying it first).
func (s *Store) Read(t Target, fn func(*yang.Tree)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch t {
	case Running:
		fn(s.running)
		return nil
	case Candidate:
		fn(s.candidate)
		return nil
	}
	return fmt.Errorf("%s: read %q: %w", s.name, t, ErrUnknownTarget)
}

// Running returns a copy of the running configuration.
func (s *Store) Running() *yang.Tree {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running.Clone()
}

// Changed returns a channel closed at the next change of running and the
// sequence number of the current running configuration.
func (s *Store) Changed() (<-chan struct{}, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed, s.seq
}

// LastEvent returns the latest change of running (zero Event when none).
func (s *Store) LastEvent() Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastEvent
}

// maxEvents bounds the change history EventsSince can return.
const maxEvents = 256

// EventsSince returns the changes of running after sequence number seq,
// oldest first (at most the latest 256).
func (s *Store) EventsSince(seq uint64) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, e := range s.events {
		if e.Seq > seq {
			out = append(out, e)
		}
	}
	return out
}

// Reverts counts confirmed commits rolled back (timer, cancel or session end).
func (s *Store) Reverts() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reverts
}

// checkLock fails when another session than sid holds a lock on t. sid 0 is
// a session of a front end without locks (gNMI, CLI).
func (s *Store) checkLock(t Target, sid uint32) error {
	if h, ok := s.locks[t]; ok && h != sid {
		return &LockError{Target: t, Holder: h}
	}
	return nil
}

// writable fails when the store is closed or another session than sid
// holds a lock on one of ts. Callers hold mu.
func (s *Store) writable(sid uint32, ts ...Target) error {
	if s.closed {
		return ErrClosed
	}
	for _, t := range ts {
		if err := s.checkLock(t, sid); err != nil {
			return err
		}
	}
	return nil
}

// Lock takes the lock on t for session sid.
func (s *Store) Lock(t Target, sid uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t != Running && t != Candidate {
		return fmt.Errorf("%s: lock %q: %w", s.name, t, ErrUnknownTarget)
	}
	if h, ok := s.locks[t]; ok {
		return &LockError{Target: t, Holder: h}
	}
	// RFC 6241 7.5: the candidate cannot be locked while it holds
	// uncommitted changes of another session.
	if t == Candidate && s.dirty {
		return &LockError{Target: t, Holder: 0}
	}
	s.locks[t] = sid
	return nil
}

// Unlock releases the lock sid holds on t.
func (s *Store) Unlock(t Target, sid uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.locks[t]; !ok || h != sid {
		return fmt.Errorf("%s: unlock %s: %w", s.name, t, ErrNotLockHolder)
	}
	delete(s.locks, t)
	// RFC 6241 7.6: unlocking a candidate with changes discards them.
	if t == Candidate && s.dirty {
		s.candidate = s.running.Clone()
		s.dirty, s.editor = false, 0
	}
	return nil
}

// LockHolder returns the session holding the lock on t, or 0.
func (s *Store) LockHolder(t Target) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.locks[t]
}

// Edit applies fn to a copy of the target datastore on behalf of session sid
// and keeps the result only when fn succeeds (atomic). An edit of running
// takes effect at once; the candidate follows when it has no edits of its own.
func (s *Store) Edit(t Target, sid uint32, source string, fn func(*yang.Tree) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(sid, t); err != nil {
		return err
	}
	switch t {
	case Candidate:
		c := s.candidate.Clone()
		if err := fn(c); err != nil {
			return err
		}
		s.candidate = c
		s.dirty = !c.Equal(s.running)
		switch {
		case !s.dirty:
			s.editor = 0
		case s.editor == 0:
			s.editor = sid
		case s.editor != sid:
			s.editor = sharedEdits
		}
		return nil
	case Running:
		// Writing running directly also respects a candidate lock held by
		// another session: that session is about to commit over it.
		if err := s.checkLock(Candidate, sid); err != nil {
			return err
		}
		r := s.running.Clone()
		if err := fn(r); err != nil {
			return err
		}
		s.setRunning(r, source)
		return nil
	}
	return fmt.Errorf("%s: edit %q: %w", s.name, t, ErrUnknownTarget)
}

// setRunning installs r as running and notifies watchers. Callers hold mu.
func (s *Store) setRunning(r *yang.Tree, source string) {
	changes := yang.Diff(s.running, r)
	s.running = r
	if !s.dirty {
		s.candidate = r.Clone()
	} else if s.dirty = !s.candidate.Equal(s.running); !s.dirty {
		s.editor = 0
	}
	if len(changes) == 0 {
		return
	}
	s.seq++
	s.lastEvent = Event{Seq: s.seq, Time: time.Now(), Changes: changes, Source: source}
	s.events = append(s.events, s.lastEvent)
	if len(s.events) > maxEvents {
		s.events = append([]Event(nil), s.events[len(s.events)-maxEvents:]...)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// Validate checks the target datastore with yang.Validate.
func (s *Store) Validate(t Target) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch t {
	case Running:
		return yang.Validate(s.running)
	case Candidate:
		return s.validateCandidate()
	}
	return fmt.Errorf("%s: validate %q: %w", s.name, t, ErrUnknownTarget)
}

// validateCandidate validates the candidate unless it passed since it last
// changed. Callers hold mu.
func (s *Store) validateCandidate() error {
	if s.candidate == s.valid {
		return nil
	}
	if err := yang.Validate(s.candidate); err != nil {
		return err
	}
	s.valid = s.candidate
	return nil
}

// Discard resets the candidate to running (discard-changes).
func (s *Store) Discard(sid uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkLock(Candidate, sid); err != nil {
		return err
	}
	s.candidate = s.running.Clone()
	s.dirty, s.editor = false, 0
	return nil
}

// Commit copies the candidate to running after validating it. With confirm
// non-nil the commit is a confirmed commit: running reverts by itself when
// the timeout expires without a confirming commit, or (unless persistent)
// when session sid ends first. A commit while a confirmed commit is pending
// confirms it (confirm nil) or extends it (confirm non-nil); when the pending
// one is persistent, persistID (or confirm.PersistID) must match it. A
// persistID with no persistent confirmed commit pending fails with
// ErrPersistID and commits nothing.
func (s *Store) Commit(sid uint32, source string, confirm *ConfirmOptions, persistID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(sid, Running, Candidate); err != nil {
		return err
	}
	// RFC 6241 8.4.5.1: a persist-id must name the pending persistent
	// confirmed commit, and a persistent one is confirmed only by its id.
	id := persistID
	if confirm != nil && confirm.PersistID != "" {
		id = confirm.PersistID
	}
	switch {
	case id != "" && s.pend == nil:
		return fmt.Errorf("%s: commit with persist-id %q: %w (%w)", s.name, id, ErrPersistID, ErrNoPending)
	case id != "" && s.pend.persist == "":
		return fmt.Errorf("%s: commit with persist-id %q: the pending confirmed commit is not persistent: %w", s.name, id, ErrPersistID)
	case s.pend != nil && id != s.pend.persist:
		return fmt.Errorf("%s: commit: %w", s.name, ErrPersistID)
	}
	if err := s.validateCandidate(); err != nil {
		return err
	}
	before := s.running
	if s.pend != nil {
		before = s.pend.before // a follow-up keeps the original rollback point
		s.pend.timer.Stop()
		s.pend = nil
	}
	if s.dirty {
		// A candidate without edits of its own is running already (a
		// confirming commit): nothing to install.
		s.setRunning(s.candidate.Clone(), source)
	}
	s.dirty, s.editor = false, 0
	if confirm == nil {
		return nil
	}
	timeout := confirm.Timeout
	if timeout <= 0 {
		timeout = 600 * time.Second
	}
	s.pendGen++
	p := &pending{before: before, persist: confirm.Persist, gen: s.pendGen}
	if p.persist == "" {
		p.session = sid
	}
	gen := p.gen
	p.timer = time.AfterFunc(timeout, func() { s.expire(gen) })
	s.pend = p
	return nil
}

func (s *Store) expire(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pend == nil || s.pend.gen != gen || s.closed {
		return
	}
	s.revertLocked("confirm-timeout")
}

func (s *Store) revertLocked(source string) {
	p := s.pend
	s.pend = nil
	p.timer.Stop()
	s.dirty, s.editor = false, 0
	s.setRunning(p.before.Clone(), source)
	s.candidate = s.running.Clone()
	s.reverts++
}

// Pending reports whether a confirmed commit waits for confirmation, and
// its persist id.
func (s *Store) Pending() (bool, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pend == nil {
		return false, ""
	}
	return true, s.pend.persist
}

// CancelCommit reverts a pending confirmed commit now. A persistent one
// needs its persist id; a non-persistent one can only be cancelled by the
// session that issued it.
func (s *Store) CancelCommit(sid uint32, persistID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pend == nil {
		return fmt.Errorf("%s: cancel-commit: %w", s.name, ErrNoPending)
	}
	if s.pend.persist != "" && s.pend.persist != persistID {
		return fmt.Errorf("%s: cancel-commit: %w", s.name, ErrPersistID)
	}
	if s.pend.persist == "" && s.pend.session != sid {
		return fmt.Errorf("%s: cancel-commit from session %d: %w", s.name, sid, ErrNoPending)
	}
	s.revertLocked("cancel-commit")
	return nil
}

// SessionEnded releases the locks of session sid, discards the candidate
// changes it had locked, and reverts a non-persistent confirmed commit it
// issued (RFC 6241 8.4.1).
func (s *Store) SessionEnded(sid uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, h := range s.locks {
		if h == sid {
			delete(s.locks, t)
			if t == Candidate && s.dirty {
				s.candidate = s.running.Clone()
				s.dirty, s.editor = false, 0
			}
		}
	}
	// Uncommitted candidate edits of this session alone go with it, so a
	// session that dies mid-change does not leave the candidate unlockable.
	if s.dirty && s.editor == sid && sid != 0 {
		s.candidate = s.running.Clone()
		s.dirty, s.editor = false, 0
		s.editor = 0
	}
	if s.pend != nil && s.pend.persist == "" && s.pend.session == sid && !s.closed {
		s.revertLocked("session-end")
	}
}

// Close stops the confirmed-commit timer; later edits fail with ErrClosed.
func (s *Store) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.pend != nil {
		s.pend.timer.Stop()
	}
}

// ErrPending is returned when a confirmed change is already waiting for
// confirmation and another one is asked for.
var ErrPending = errors.New("a confirmed commit is already pending")

// EditConfirmed applies fn to running like Edit, as a confirmed commit
// identified by id (gNMI's commit-confirmed extension): unless ConfirmPending
// is called with id within timeout, running reverts to what it was. Such a
// commit belongs to no session. It fails with ErrPending while another
// confirmed commit waits.
func (s *Store) EditConfirmed(source, id string, timeout time.Duration, fn func(*yang.Tree) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" || timeout <= 0 {
		return fmt.Errorf("%s: confirmed edit needs an id and a positive timeout", s.name)
	}
	if err := s.writable(0, Running, Candidate); err != nil {
		return err
	}
	if s.pend != nil {
		return fmt.Errorf("%s: confirmed edit %q: %w", s.name, id, ErrPending)
	}
	r := s.running.Clone()
	if err := fn(r); err != nil {
		return err
	}
	before := s.running
	s.setRunning(r, source)
	s.pendGen++
	gen := s.pendGen
	s.pend = &pending{before: before, persist: id, gen: gen, timer: time.AfterFunc(timeout, func() { s.expire(gen) })}
	return nil
}

// pendingIs fails unless a confirmed commit with persist id id is pending.
// Callers hold mu.
func (s *Store) pendingIs(op, id string) error {
	if s.pend == nil {
		return fmt.Errorf("%s: %s %q: %w", s.name, op, id, ErrNoPending)
	}
	if s.pend.persist != id {
		return fmt.Errorf("%s: %s %q: %w", s.name, op, id, ErrPersistID)
	}
	return nil
}

// ConfirmPending confirms the pending confirmed commit with persist id id
// without committing anything else.
func (s *Store) ConfirmPending(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.pendingIs("confirm", id); err != nil {
		return err
	}
	s.pend.timer.Stop()
	s.pend = nil
	return nil
}

// ExtendPending restarts the revert timer of the pending confirmed commit
// id with a new timeout.
func (s *Store) ExtendPending(id string, timeout time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.pendingIs("extend", id); err != nil {
		return err
	}
	if timeout <= 0 {
		return fmt.Errorf("%s: extend %q: timeout must be positive", s.name, id)
	}
	s.pend.timer.Stop()
	s.pendGen++
	gen := s.pendGen
	s.pend.gen = gen
	s.pend.timer = time.AfterFunc(timeout, func() { s.expire(gen) })
	return nil
}
