package datastore

import (
	"errors"
	"testing"
	"time"

	"github.com/netagent/netagent/yang"
)

var descr = yang.InterfacePath("eth1").Leaf("config", "description")

func initial(t *testing.T) *yang.Tree {
	t.Helper()
	tr := yang.NewTree()
	if err := tr.Set(descr, "start"); err != nil {
		t.Fatal(err)
	}
	return tr
}

func setDescr(v string) func(*yang.Tree) error {
	return func(t *yang.Tree) error { return t.Set(descr, v) }
}

func get(t *testing.T, s *Store, tg Target) any {
	t.Helper()
	tr, err := s.Get(tg)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := tr.Get(descr)
	return v
}

func TestEditIsAtomic(t *testing.T) {
	t.Parallel()
	s := New("d", initial(t))
	boom := errors.New("boom")
	err := s.Edit(Candidate, 1, "test", func(tr *yang.Tree) error {
		_ = tr.Set(descr, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if v := get(t, s, Candidate); v != "start" {
		t.Errorf("candidate after failed edit: %v", v)
	}
}

func TestLocks(t *testing.T) {
	t.Parallel()
	s := New("d", initial(t))
	if err := s.Lock(Candidate, 1); err != nil {
		t.Fatal(err)
	}
	var le *LockError
	if err := s.Lock(Candidate, 2); !errors.As(err, &le) || le.Holder != 1 || !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v", err)
	}
	if err := s.Edit(Candidate, 2, "test", setDescr("x")); !errors.Is(err, ErrLocked) {
		t.Errorf("edit by another session: %v", err)
	}
	if err := s.Edit(Running, 0, "gnmi", setDescr("x")); !errors.Is(err, ErrLocked) {
		t.Errorf("running write under a candidate lock: %v", err)
	}
	if err := s.Unlock(Candidate, 2); !errors.Is(err, ErrNotLockHolder) {
		t.Errorf("unlock by non-holder: %v", err)
	}
	if err := s.Edit(Candidate, 1, "test", setDescr("mine")); err != nil {
		t.Fatal(err)
	}
	s.SessionEnded(1)
	if h := s.LockHolder(Candidate); h != 0 {
		t.Errorf("lock survives its session: %d", h)
	}
	if v := get(t, s, Candidate); v != "start" {
		t.Errorf("candidate changes of an ended session survive: %v", v)
	}
}

func TestConfirmedCommit(t *testing.T) {
	t.Parallel()
	s := New("d", initial(t))
	ch, seq := s.Changed()
	_ = s.Edit(Candidate, 1, "test", setDescr("new"))
	if err := s.Commit(1, "test", &ConfirmOptions{Timeout: 50 * time.Millisecond}, ""); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	default:
		t.Error("Changed did not fire on commit")
	}
	if _, seq2 := s.Changed(); seq2 != seq+1 {
		t.Errorf("seq %d -> %d", seq, seq2)
	}
	if v := get(t, s, Running); v != "new" {
		t.Fatalf("running after confirmed commit: %v", v)
	}
	deadline := time.Now().Add(5 * time.Second)
	for get(t, s, Running) != "start" {
		if time.Now().After(deadline) {
			t.Fatal("no revert")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s.Reverts() != 1 || s.LastEvent().Source != "confirm-timeout" {
		t.Errorf("reverts %d, last event %+v", s.Reverts(), s.LastEvent())
	}
	// Persistent: another session confirms with the id.
	_ = s.Edit(Candidate, 2, "test", setDescr("p"))
	if err := s.Commit(2, "test", &ConfirmOptions{Timeout: time.Minute, Persist: "id1"}, ""); err != nil {
		t.Fatal(err)
	}
	s.SessionEnded(2)
	if v := get(t, s, Running); v != "p" {
		t.Errorf("persistent confirmed commit reverted at session end: %v", v)
	}
	if err := s.Commit(3, "test", nil, "wrong"); !errors.Is(err, ErrPersistID) {
		t.Errorf("confirm with a wrong id: %v", err)
	}
	if err := s.CancelCommit(3, "id1"); err != nil {
		t.Fatal(err)
	}
	if v := get(t, s, Running); v != "start" {
		t.Errorf("after cancel: %v", v)
	}
	if err := s.CancelCommit(3, ""); !errors.Is(err, ErrNoPending) {
		t.Errorf("cancel without pending: %v", err)
	}
	s.Close()
}

func TestCommitValidates(t *testing.T) {
	t.Parallel()
	s := New("d", initial(t))
	_ = s.Edit(Candidate, 1, "test", func(tr *yang.Tree) error {
		return tr.Set(yang.InterfacePath("eth1").Leaf("config", "mtu"), uint64(10))
	})
	if err := s.Commit(1, "test", nil, ""); !errors.Is(err, yang.ErrInvalid) {
		t.Fatalf("commit of an invalid candidate: %v", err)
	}
	if err := s.Discard(1); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(Candidate); err != nil {
		t.Errorf("candidate after discard: %v", err)
	}
}

func TestSessionEndDiscardsItsEdits(t *testing.T) {
	t.Parallel()
	s := New("d", initial(t))
	_ = s.Edit(Candidate, 7, "test", setDescr("abandoned"))
	s.SessionEnded(7)
	if v := get(t, s, Candidate); v != "start" {
		t.Errorf("edits of an ended session survive: %v", v)
	}
	if err := s.Lock(Candidate, 8); err != nil {
		t.Errorf("lock after the editor left: %v", err)
	}
	_ = s.Unlock(Candidate, 8)
	// Edits shared by two sessions stay when one of them ends.
	_ = s.Edit(Candidate, 1, "test", setDescr("a"))
	_ = s.Edit(Candidate, 2, "test", setDescr("b"))
	s.SessionEnded(1)
	if v := get(t, s, Candidate); v != "b" {
		t.Errorf("shared edits dropped: %v", v)
	}
}

// A commit naming a persist-id must match a pending persistent confirmed
// commit (RFC 6241 8.4.5.1); otherwise it fails and commits nothing.
func TestCommitPersistIDWithoutMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pending *ConfirmOptions // a confirmed commit made first; nil: none
		confirm *ConfirmOptions
		id      string
	}{
		{"nothing pending", nil, nil, "X"},
		{"nothing pending, confirmed with persist-id", nil, &ConfirmOptions{PersistID: "X"}, ""},
		{"non-persistent pending", &ConfirmOptions{Timeout: time.Minute}, nil, "X"},
		{"other persist id", &ConfirmOptions{Timeout: time.Minute, Persist: "Y"}, nil, "X"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New("d", initial(t))
			defer s.Close()
			want := "start"
			if tc.pending != nil {
				_ = s.Edit(Candidate, 1, "test", setDescr("pending"))
				if err := s.Commit(1, "test", tc.pending, ""); err != nil {
					t.Fatal(err)
				}
				want = "pending"
			}
			_ = s.Edit(Candidate, 1, "test", setDescr("new"))
			if err := s.Commit(1, "test", tc.confirm, tc.id); !errors.Is(err, ErrPersistID) {
				t.Errorf("Commit: want ErrPersistID, got %v", err)
			}
			if v := get(t, s, Running); v != want {
				t.Errorf("running: want %q, got %v", want, v)
			}
			if p, _ := s.Pending(); p != (tc.pending != nil) {
				t.Errorf("pending: %v", p)
			}
		})
	}
}
