package netconf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/sshconn"
	"github.com/netagent/netagent/adapters/internal/txbook"
	"github.com/netagent/netagent/yang"
)

// Compile-time conformance.
var (
	_ adapters.Device        = (*Adapter)(nil)
	_ adapters.Transactional = (*Adapter)(nil)
	_ adapters.Capabler      = (*Adapter)(nil)
	_ adapters.Pinger        = (*Adapter)(nil)
	_ adapters.Opener        = Opener
)

// txState is a transaction (or a one-shot Configure's staging) on the
// device: Pending is a confirmed commit whose device timer runs until
// Deadline; a Committed one is undone by its inverse.
type txState struct {
	txbook.Tx
	locked bool
	sess   *session // the session holding the lock and the candidate
}

// Adapter is a Device over NETCONF. It keeps one pooled session, re-dialled
// when it breaks. It is safe for concurrent use; writes are serialised.
type Adapter struct {
	t   adapters.Target
	log *slog.Logger

	txs   *txbook.Book[*txState] // the one-writer slot and the transactions
	conns *sshconn.Pool[*session]
}

// Opener opens a NETCONF adapter; register it as adapters.NETCONF.
func Opener(ctx context.Context, t adapters.Target) (adapters.Device, error) { return Open(ctx, t) }

// Open connects to t and reads its hello. Errors are *adapters.DeviceError
// naming the device and what failed (unreachable, host key, auth).
func Open(ctx context.Context, t adapters.Target) (*Adapter, error) {
	t.Protocol.Name = adapters.NETCONF
	a := &Adapter{t: t, log: t.Log(), txs: txbook.New[*txState](t)}
	s, err := dial(ctx, t, nil)
	if err != nil {
		return nil, err
	}
	a.conns = sshconn.NewPool(t, s, func(ctx context.Context) (*session, error) { return dial(ctx, t, nil) })
	a.log.Debug("netconf session open", "encoding", s.encoding, "candidate", s.candidate, "confirmed_commit", s.confirmed)
	return a, nil
}

// session returns the pooled session, dialling a new one if needed.
func (a *Adapter) session(ctx context.Context) (*session, error) { return a.conns.Get(ctx) }

// Broken reports whether the session can carry no more RPCs (waiting for
// one in flight).
func (s *session) Broken() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.broken || s.tr.Closed()
}

// Capabilities reports what the device's hello offered.
func (a *Adapter) Capabilities() adapters.Caps {
	c := adapters.Caps{Protocol: adapters.NETCONF, AtomicPerCall: true}
	if s := a.conns.Peek(); s != nil {
		c.Candidate, c.Validate, c.ConfirmTimer = s.candidate, s.validate, s.candidate && s.confirmed
	}
	return c
}

func (a *Adapter) to() adapters.Timeouts { return a.t.Timeouts.WithDefaults() }

// Configure applies changes: lock, edit-config to the candidate, commit
// (which validates), unlock (or lock and edit running on devices without a
// candidate). The IETF encoding reads the running configuration first (its
// mapping needs it).
func (a *Adapter) Configure(ctx context.Context, changes []yang.Change) error {
	if len(changes) == 0 {
		return nil
	}
	if err := a.txs.Acquire(ctx, adapters.PhaseLock); err != nil {
		return err
	}
	defer a.txs.Release()
	s, err := a.session(ctx)
	if err != nil {
		return err
	}
	tx := &txState{Tx: txbook.Tx{Changes: changes}, sess: s}
	if err := a.stage(ctx, s, tx, false); err != nil {
		return err
	}
	if !s.candidate {
		return a.unlock(ctx, tx, "running")
	}
	if _, err := s.rpc(ctx, adapters.PhaseCommit, a.to().Commit, false, commitRPC); err != nil {
		a.cleanup(ctx, tx)
		return fmt.Errorf("netconf configure %s: %w", a.t.Device, err)
	}
	return a.unlock(ctx, tx, "candidate")
}

// stage is R17 phases 1 and 2: lock, (read), edit, and for a prepared
// transaction validate. On error the candidate is discarded and unlocked.
// prepare reads the running configuration first and has the device
// validate the candidate; a one-shot Configure leaves validation to the
// commit, which validates anyway and applies nothing when it refuses.
func (a *Adapter) stage(ctx context.Context, s *session, tx *txState, prepare bool) error {
	read := prepare
	rpc := a.to().RPC
	target := "candidate"
	if !s.candidate {
		target = "running"
	}
	if _, err := s.rpc(ctx, adapters.PhaseLock, rpc, true, lockRPC(target)); err != nil {
		return fmt.Errorf("netconf lock %s: %w", a.t.Device, err)
	}
	tx.locked = true
	// No discard-changes: RFC 6241 section 7.5 refuses a lock on a
	// candidate that holds uncommitted changes, so a granted lock means a
	// clean candidate.
	if read || s.encoding == EncodingIETF {
		// The rollback point needs only what the change touches: with the
		// OpenConfig encoding, the top-level containers of its paths
		// (yang.Invert diffs within them).
		paths := make([]yang.Path, len(tx.Changes))
		for i, c := range tx.Changes {
			paths[i] = c.Path
		}
		before, err := a.getConfig(ctx, s, paths)
		if err != nil {
			a.cleanup(ctx, tx)
			return err
		}
		tx.Before = before
	}
	var payload []byte
	var err error
	if s.encoding == EncodingIETF {
		payload, err = yang.EncodeEditConfigIETF(tx.Before, tx.Changes)
	} else {
		payload, err = yang.EncodeEditConfig(tx.Changes)
	}
	if err != nil {
		a.cleanup(ctx, tx)
		return &adapters.DeviceError{Device: a.t.Device, Protocol: adapters.NETCONF, Phase: adapters.PhaseStage,
			Kind: adapters.ErrUnsupported, NotApplied: true, Err: err, Message: "cannot encode the change as " + s.encoding}
	}
	edit := editConfigRPC(target, string(payload))
	if !s.candidate && s.rollbackOnError {
		// An edit of running is all or nothing only when asked to be.
		edit = `<edit-config><target><running/></target><error-option>rollback-on-error</error-option>` +
			string(payload) + `</edit-config>`
	}
	// Only an edit of running can be applied by a failed RPC; a candidate is discarded.
	if _, err := s.rpc(ctx, adapters.PhaseStage, rpc, s.candidate, edit); err != nil {
		var de *adapters.DeviceError
		if !s.candidate && !s.rollbackOnError && errors.As(err, &de) {
			// Without :rollback-on-error an edit of running stops at the
			// refused node and keeps what came before it.
			de.NotApplied = false
		}
		a.cleanup(ctx, tx)
		return fmt.Errorf("netconf edit-config %s: %w", a.t.Device, err)
	}
	if prepare && s.candidate && s.validate {
		if _, err := s.rpc(ctx, adapters.PhaseValidate, rpc, true, validateRPC); err != nil {
			a.cleanup(ctx, tx)
			return fmt.Errorf("netconf validate %s: %w", a.t.Device, err)
		}
	}
	return nil
}

// cleanup discards the candidate and unlocks, best effort, on a session
// that still works (a broken one releases both when it closes).
func (a *Adapter) cleanup(ctx context.Context, tx *txState) {
	s := tx.sess
	if s == nil || s.Broken() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.to().RPC)
	defer cancel()
	if s.candidate {
		_, _ = s.rpc(ctx, adapters.PhaseAbort, a.to().RPC, true, discardRPC)
	}
	if tx.locked {
		target := "candidate"
		if !s.candidate {
			target = "running"
		}
		_, _ = s.rpc(ctx, adapters.PhaseAbort, a.to().RPC, true, unlockRPC(target))
		tx.locked = false
	}
}

func (a *Adapter) unlock(ctx context.Context, tx *txState, target string) error {
	if !tx.locked {
		return nil
	}
	tx.locked = false
	if _, err := tx.sess.rpc(ctx, adapters.PhaseCommit, a.to().RPC, false, unlockRPC(target)); err != nil {
		// The change is committed; a lost unlock is released with the session.
		a.log.Warn("netconf unlock failed after commit", "err", err)
		tx.sess.markBroken()
	}
	return nil
}

func (s *session) markBroken() {
	s.mu.Lock()
	s.broken = true
	s.mu.Unlock()
}

// Query reads the running configuration at or below paths.
func (a *Adapter) Query(ctx context.Context, paths []yang.Path) (*yang.Tree, error) {
	s, err := a.session(ctx)
	if err != nil {
		return nil, err
	}
	t, err := a.getConfig(ctx, s, paths)
	if err != nil {
		return nil, err
	}
	return adapters.Restrict(t, paths), nil
}

// getConfig reads running; with the OpenConfig encoding the filter selects
// the top-level containers paths touch.
func (a *Adapter) getConfig(ctx context.Context, s *session, paths []yang.Path) (*yang.Tree, error) {
	filter := ""
	if s.encoding == EncodingOpenConfig {
		filter = topFilter(paths)
	}
	res, err := s.rpc(ctx, adapters.PhaseRead, a.to().RPC, true, getConfigRPC(filter))
	if err != nil {
		return nil, fmt.Errorf("netconf get-config %s: %w", a.t.Device, err)
	}
	var t *yang.Tree
	if s.encoding == EncodingIETF {
		t, err = yang.DecodeConfigXMLIETF(res)
	} else {
		t, err = yang.DecodeConfigXML(res)
	}
	if err != nil {
		return nil, &adapters.DeviceError{Device: a.t.Device, Protocol: adapters.NETCONF, Phase: adapters.PhaseRead,
			Kind: adapters.ErrRejected, Tag: "malformed-reply", NotApplied: true, Err: err, Message: "cannot decode the device's configuration"}
	}
	return t, nil
}

// topFilter is a subtree filter selecting the model's top-level
// containers that paths touch ("" for everything).
func topFilter(paths []yang.Path) string {
	if len(paths) == 0 {
		return ""
	}
	seen := map[string]bool{}
	out := ""
	for _, p := range paths {
		if len(p) == 0 {
			return ""
		}
		s := yang.Root.Child(p[0].Name)
		if s == nil || seen[s.Name] {
			continue
		}
		seen[s.Name] = true
		out += "<" + s.Name + ` xmlns="` + s.NS + `"/>`
	}
	return out
}

// Ping sends a get-config whose filter selects nothing.
func (a *Adapter) Ping(ctx context.Context) error {
	s, err := a.session(ctx)
	if err != nil {
		return err
	}
	filter := `<interfaces xmlns="` + yang.NSInterfaces + `"><interface><name>netagent-ping</name></interface></interfaces>`
	_, err = s.rpc(ctx, adapters.PhaseQuery, a.to().RPC, true, getConfigRPC(filter))
	var de *adapters.DeviceError
	if errors.As(err, &de) && errors.Is(de.Kind, adapters.ErrRejected) {
		return nil // the device answered: alive
	}
	return err
}

// Close ends the session and waits for its goroutines.
func (a *Adapter) Close() error {
	// A transaction's session may have left the pool (it broke and was
	// replaced) while the transaction still holds it.
	var held *session
	if h := a.txs.Holder(); h != nil {
		held = h.sess
	}
	a.conns.Close(held)
	return nil
}

// --- transactions ---

// Prepare locks the candidate, reads running (kept for Rollback), edits
// the candidate and validates it. The writer slot stays taken until the
// transaction ends.
func (a *Adapter) Prepare(ctx context.Context, tx string, changes []yang.Change) error {
	return a.txs.Prepare(ctx, func() (*txState, error) {
		s, err := a.session(ctx)
		if err != nil {
			return nil, err
		}
		st := &txState{Tx: txbook.Tx{ID: tx, Changes: changes}, sess: s}
		return st, a.stage(ctx, s, st, true)
	})
}

// Commit commits the candidate; with confirmTimeout > 0 and a device that
// supports confirmed-commit:1.1 it is a confirmed commit persisted under tx.
func (a *Adapter) Commit(ctx context.Context, tx string, confirmTimeout time.Duration) error {
	st, err := a.txs.Prepared(tx)
	if err != nil {
		return err
	}
	s := st.sess
	if !s.candidate {
		// Edits of running took effect at Prepare.
		return a.unlockKeep(ctx, st, confirmTimeout)
	}
	timer := confirmTimeout > 0 && s.confirmed
	start := time.Now()
	body := commitRPC
	if timer {
		body = confirmedCommitRPC(confirmTimeout, tx)
	}
	_, err = s.rpc(ctx, adapters.PhaseCommit, a.to().Commit, false, body)
	if err != nil {
		if adapters.Retryable(err) {
			a.cleanup(ctx, st)
			a.txs.End(st, false)
		}
		return fmt.Errorf("netconf commit %s tx %s: %w", a.t.Device, tx, err)
	}
	if timer {
		st.Phase, st.Deadline = txbook.Pending, start.Add(confirmTimeout)
		return nil
	}
	return a.unlockKeep(ctx, st, confirmTimeout)
}

// unlockKeep releases the lock of a commit without a device timer; with
// confirmTimeout == 0 the transaction is over.
func (a *Adapter) unlockKeep(ctx context.Context, st *txState, confirmTimeout time.Duration) error {
	target := "candidate"
	if !st.sess.candidate {
		target = "running"
	}
	_ = a.unlock(ctx, st, target)
	a.txs.Committed(st, confirmTimeout)
	return nil
}

// Confirm confirms a pending confirmed commit (from any session: the
// persist-id is tx) and ends the transaction.
func (a *Adapter) Confirm(ctx context.Context, tx string) error {
	st, err := a.txs.Confirm(tx)
	if st == nil {
		return err // not committed yet, or committed without a timer: over
	}
	if !time.Now().Before(st.Deadline) {
		// Never send a confirming commit after the timer: the device has
		// reverted, and a commit now would commit whatever the candidate holds.
		a.cleanup(ctx, st)
		a.txs.End(st, false)
		return fmt.Errorf("netconf confirm %s tx %s: %w", a.t.Device, tx, &adapters.DeviceError{Device: a.t.Device,
			Protocol: adapters.NETCONF, Phase: adapters.PhaseConfirm, Kind: adapters.ErrRejected, Tag: "confirm-timeout",
			NotApplied: true, Message: "confirm timer expired, the device reverted the change"})
	}
	s := st.sess
	if s.Broken() {
		if s, err = a.session(ctx); err != nil {
			return err
		}
	}
	_, err = s.rpc(ctx, adapters.PhaseConfirm, a.to().Commit, false, confirmRPC(tx))
	if err != nil {
		var de *adapters.DeviceError
		if errors.As(err, &de) && errors.Is(de.Kind, adapters.ErrRejected) {
			// The device has no such pending commit: its timer expired and it reverted.
			a.cleanup(ctx, st)
			a.txs.End(st, false)
			de.Message = "confirm timer expired, the device reverted the change: " + de.Message
		}
		return fmt.Errorf("netconf confirm %s tx %s: %w", a.t.Device, tx, err)
	}
	_ = a.unlock(ctx, st, "candidate")
	st.Phase = txbook.Committed
	a.txs.End(st, true)
	return nil
}

// Abort discards a prepared change, or cancels a pending confirmed commit.
// Aborting an unknown transaction succeeds.
func (a *Adapter) Abort(ctx context.Context, tx string) error {
	return a.txs.Abort(ctx, tx, a.undo)
}

// Rollback cancels a pending confirmed commit or applies the inverse of a
// committed change (kept for the last 16 transactions). Rolling back an
// unknown transaction succeeds.
func (a *Adapter) Rollback(ctx context.Context, tx string) error {
	return a.txs.Rollback(ctx, tx, a.undo)
}

func (a *Adapter) undo(ctx context.Context, st *txState, phase adapters.Phase) error {
	switch st.Phase {
	case txbook.Prepared:
		a.cleanup(ctx, st)
		a.txs.End(st, false)
		return nil
	case txbook.Pending:
		s := st.sess
		var err error
		if s.Broken() {
			if s, err = a.session(ctx); err != nil {
				return err
			}
		}
		_, err = s.rpc(ctx, phase, a.to().Commit, false, cancelCommitRPC(st.ID))
		var de *adapters.DeviceError
		if err != nil && !(errors.As(err, &de) && errors.Is(de.Kind, adapters.ErrRejected)) {
			return fmt.Errorf("netconf cancel-commit %s tx %s: %w", a.t.Device, st.ID, err)
		}
		// Rejected: nothing pending any more (the timer expired); either way reverted.
		a.cleanup(ctx, st)
		a.txs.End(st, false)
		return nil
	}
	inv, err := yang.Invert(st.Before, st.Changes)
	if err != nil {
		a.txs.End(st, true)
		return a.t.Err(phase, adapters.ErrUnsupported, true, err, "cannot invert the change")
	}
	s, err := a.session(ctx)
	if err != nil {
		a.txs.End(st, true)
		return err
	}
	undo := &txState{Tx: txbook.Tx{Changes: inv}, sess: s}
	if err := a.stage(ctx, s, undo, false); err != nil {
		a.txs.End(st, true)
		return fmt.Errorf("netconf rollback %s tx %s: %w", a.t.Device, st.ID, err)
	}
	if s.candidate {
		if _, err := s.rpc(ctx, phase, a.to().Commit, false, commitRPC); err != nil {
			a.cleanup(ctx, undo)
			a.txs.End(st, true)
			return fmt.Errorf("netconf rollback commit %s tx %s: %w", a.t.Device, st.ID, err)
		}
		_ = a.unlock(ctx, undo, "candidate")
	} else {
		_ = a.unlock(ctx, undo, "running")
	}
	a.txs.End(st, false)
	return nil
}

// ConfirmPending confirms the persistent confirmed commit tx (its
// persist-id) over any session, without the transaction's state: a
// restarted coordinator finishes what an earlier process committed. A
// transaction this adapter still holds is confirmed as Confirm does.
func (a *Adapter) ConfirmPending(ctx context.Context, tx string) error {
	if h := a.txs.Holder(); h != nil && h.ID == tx {
		return a.Confirm(ctx, tx)
	}
	return a.resume(ctx, tx, adapters.PhaseConfirm, confirmRPC(tx))
}

// CancelPending reverts the persistent confirmed commit tx now
// (cancel-commit with its persist-id) over any session. A transaction this
// adapter still holds is aborted as Abort does.
func (a *Adapter) CancelPending(ctx context.Context, tx string) error {
	if h := a.txs.Holder(); h != nil && h.ID == tx {
		return a.Abort(ctx, tx)
	}
	return a.resume(ctx, tx, adapters.PhaseAbort, cancelCommitRPC(tx))
}

// resume sends body, a confirming commit or a cancel-commit naming tx's
// persist-id, holding the writer slot so no write of this process
// interleaves with it. The session of the process that committed may still
// hold the candidate's lock for a while after it died (the device ends it
// when it notices): a lock-denied answer is retried until ctx ends.
func (a *Adapter) resume(ctx context.Context, tx string, phase adapters.Phase, body string) error {
	if err := a.txs.Acquire(ctx, phase); err != nil {
		return err
	}
	defer a.txs.Release()
	s, err := a.session(ctx)
	if err != nil {
		return err
	}
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		_, err := s.rpc(ctx, phase, a.to().Commit, false, body)
		if err == nil {
			return nil
		}
		if !errors.Is(err, adapters.ErrLocked) || ctx.Err() != nil {
			return fmt.Errorf("netconf %s %s tx %s: %w", phase, a.t.Device, tx, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("netconf %s %s tx %s: %w", phase, a.t.Device, tx, err)
		case <-t.C:
		}
	}
}

func xmlEscape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			out = append(out, "&lt;"...)
		case '>':
			out = append(out, "&gt;"...)
		case '&':
			out = append(out, "&amp;"...)
		default:
			out = append(out, c)
		}
	}
	return string(out)
}
