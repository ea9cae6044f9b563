package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"

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

// session is one SSH CLI session; commands on it are serialised by mu.
type session struct {
	t         adapters.Target
	tr        *sshconn.Transport
	drv       *network.Driver
	mu        sync.Mutex // one exchange at a time; protects the driver's fields
	broken    atomic.Bool
	closeOnce sync.Once
}

func dial(ctx context.Context, t adapters.Target, p *Platform, onAuth func()) (*session, error) {
	to := t.Timeouts.WithDefaults()
	tr := sshconn.New(t, sshconn.Shell)
	tr.Ctx = ctx
	tr.OnAuth = onAuth
	pl, err := platform.NewPlatform(p.Definition, t.Address,
		options.WithTransportType("standard"),
		options.WithCustomTransport(tr),
		options.WithPort(t.Protocol.Port),
		options.WithTimeoutOps(adapters.Bound(ctx, to.RPC)),
	)
	if err != nil {
		return nil, t.Err(adapters.PhaseConnect, adapters.ErrUnsupported, true, err, "platform definition "+p.Name)
	}
	drv, err := pl.GetNetworkDriver()
	if err != nil {
		return nil, t.Err(adapters.PhaseConnect, adapters.ErrUnsupported, true, err, "platform definition "+p.Name)
	}
	stop := context.AfterFunc(ctx, tr.Kill)
	err = drv.Open()
	stop()
	if err != nil {
		return nil, tr.OpenError(ctx, err, p.Name+" prompt", "CLI")
	}
	return &session{t: t, tr: tr, drv: drv}, nil
}

// Broken reports whether the session can carry no more commands.
func (s *session) Broken() bool { return s.broken.Load() || s.tr.Closed() }

// begin takes the session for one exchange with timeout d (bounded by
// ctx, whose end kills the transport); the caller defers end.
func (s *session) begin(ctx context.Context, phase adapters.Phase, d time.Duration) (end func(), err error) {
	s.mu.Lock()
	if s.Broken() {
		s.mu.Unlock()
		return nil, s.t.Err(phase, adapters.ErrClosed, true, nil, "session closed")
	}
	s.drv.Channel.TimeoutOps = adapters.Bound(ctx, d)
	stop := context.AfterFunc(ctx, s.tr.Kill)
	return func() { stop(); s.mu.Unlock() }, nil
}

// fail is sshconn's classification of an exchange's outcome; an error
// leaves the session broken.
func (s *session) fail(ctx context.Context, phase adapters.Phase, notApplied bool, err error) error {
	if err := s.tr.ExchangeError(ctx, phase, notApplied, err, "no prompt from the device"); err != nil {
		s.broken.Store(true)
		return err
	}
	return nil
}

// run sends commands (config mode when config) and returns their outputs.
func (s *session) run(ctx context.Context, phase adapters.Phase, d time.Duration, notApplied bool, config bool, cmds []string) ([]string, error) {
	end, err := s.begin(ctx, phase, d)
	if err != nil {
		return nil, err
	}
	defer end()
	var outs []string
	if config {
		r, e := s.drv.SendConfigs(cmds)
		err = e
		if r != nil {
			for _, x := range r.Responses {
				outs = append(outs, x.Result)
			}
		}
	} else {
		for _, c := range cmds {
			r, e := s.drv.SendCommand(c)
			if e != nil {
				err = e
				break
			}
			outs = append(outs, r.Result)
		}
	}
	return outs, s.fail(ctx, phase, notApplied, err)
}

// runUntilError sends cmds one at a time from exec mode (they may change
// mode themselves) and stops after the first output that bad flags.
func (s *session) runUntilError(ctx context.Context, phase adapters.Phase, d time.Duration, cmds []string,
	bad func(string) (string, bool), fromExec bool) ([]string, error) {
	end, err := s.begin(ctx, phase, d)
	if err != nil {
		return nil, err
	}
	defer end()
	// The commands move between modes behind the driver's back: make it
	// read the prompt again before its next command.
	defer func() { s.drv.CurrentPriv = "" }()
	if fromExec {
		if err := s.drv.AcquirePriv(s.drv.DefaultDesiredPriv); err != nil {
			s.broken.Store(true)
			return nil, s.t.Err(phase, adapters.ErrTimeout, true, err, "no privileged prompt")
		}
	}
	var outs []string
	for i, c := range cmds {
		r, err := s.drv.Channel.SendInput(c)
		// Nothing is committed before the last command.
		if err := s.fail(ctx, phase, i < len(cmds)-1, err); err != nil {
			return outs, err
		}
		outs = append(outs, string(r))
		if _, b := bad(string(r)); b {
			break
		}
	}
	return outs, nil
}

// Close ends the session; it is idempotent.
func (s *session) Close() { s.closeOnce.Do(s.doClose) }

func (s *session) doClose() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken.Store(true)
	s.drv.Channel.TimeoutOps = time.Second
	if s.tr.Closed() {
		_ = s.drv.Channel.Close()
		return
	}
	_ = s.drv.Close()
	s.tr.Kill()
}

// Adapter is a Device over an SSH CLI. It pools one session. It is safe
// for concurrent use; writes are serialised.
type Adapter struct {
	t   adapters.Target
	p   *Platform
	log *slog.Logger

	// txs holds the writer slot and the transactions (no device timer:
	// txbook.Pending is never used).
	txs   *txbook.Book[*txbook.Tx]
	conns *sshconn.Pool[*session]
}

// Opener opens a CLI adapter; register it as adapters.CLI.
func Opener(ctx context.Context, t adapters.Target) (adapters.Device, error) { return Open(ctx, t) }

// Open connects to t and reaches the platform's privileged prompt.
func Open(ctx context.Context, t adapters.Target) (*Adapter, error) {
	t.Protocol.Name = adapters.CLI
	p, err := Lookup(t.Protocol.Platform)
	if err != nil {
		return nil, t.Err(adapters.PhaseConnect, adapters.ErrUnsupported, true, err,
			"set platform in the inventory's cli protocol entry")
	}
	s, err := dial(ctx, t, p, nil)
	if err != nil {
		return nil, err
	}
	redial := func(ctx context.Context) (*session, error) { return dial(ctx, t, p, nil) }
	return &Adapter{t: t, p: p, log: t.Log(), txs: txbook.New[*txbook.Tx](t), conns: sshconn.NewPool(t, s, redial)}, nil
}

func (a *Adapter) session(ctx context.Context) (*session, error) { return a.conns.Get(ctx) }

func (a *Adapter) to() adapters.Timeouts { return a.t.Timeouts.WithDefaults() }

// Capabilities: no candidate, no device timer; a Configure is applied line
// by line (a refused line is undone by the inverse commands).
func (a *Adapter) Capabilities() adapters.Caps {
	return adapters.Caps{Protocol: adapters.CLI, Unsupported: a.p.Unsupported}
}

// Query runs show running-config and parses it.
func (a *Adapter) Query(ctx context.Context, paths []yang.Path) (*yang.Tree, error) {
	s, err := a.session(ctx)
	if err != nil {
		return nil, err
	}
	t, err := a.read(ctx, s)
	if err != nil {
		return nil, err
	}
	return adapters.Restrict(t, paths), nil
}

func (a *Adapter) read(ctx context.Context, s *session) (*yang.Tree, error) {
	cmds := []string{a.p.ShowConfig}
	if a.p.ShowInterfaceBrief != "" {
		cmds = append(cmds, a.p.ShowInterfaceBrief)
	}
	outs, err := s.run(ctx, adapters.PhaseRead, a.to().RPC, true, false, cmds)
	if err != nil {
		return nil, fmt.Errorf("cli %s %s: %w", a.p.ShowConfig, a.t.Device, err)
	}
	if line, bad := a.p.errorLine(outs[0]); bad {
		return nil, &adapters.DeviceError{Device: a.t.Device, Protocol: adapters.CLI, Phase: adapters.PhaseRead,
			Kind: adapters.ErrRejected, Tag: "%", Message: line, NotApplied: true}
	}
	t, err := ParseConfig(a.p, outs[0])
	if err != nil {
		return nil, &adapters.DeviceError{Device: a.t.Device, Protocol: adapters.CLI, Phase: adapters.PhaseRead,
			Kind: adapters.ErrRejected, Tag: "unparsable", NotApplied: true, Err: err, Message: "cannot parse the running configuration"}
	}
	if len(outs) > 1 {
		// Interfaces without configuration, which the running
		// configuration omits; a device that cannot list them keeps the
		// running configuration's view.
		if names, err := ParseInterfaceBrief(outs[1]); err == nil {
			addBare(t, names)
		}
	}
	return t, nil
}

// Configure reads the running configuration, renders the change as
// commands, sends them and checks every line's output. When a line is
// refused, the commands already accepted are undone (the inverse of what
// is then in effect), so a rejected Configure leaves the device as it was.
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
	before, ok := partialBefore(changes)
	if !ok {
		if before, err = a.read(ctx, s); err != nil {
			return err
		}
	}
	return a.apply(ctx, s, adapters.PhaseCommit, before, changes)
}

// partialBefore rebuilds, from the changes' old values, as much of the
// configuration before them as rendering needs, when that is enough: leaf
// creations, updates and deletions of interfaces, addresses and static
// routes. Entry deletions (which remove what the changes do not list) and
// BGP (whose commands need the instance's AS) need a read of the device.
func partialBefore(changes []yang.Change) (*yang.Tree, bool) {
	t := yang.NewTree()
	created := map[string]bool{}
	for _, c := range changes {
		if c.Path.IsEntry() && c.Op == yang.OpCreate {
			created[c.Path.String()] = true
		}
	}
	for _, c := range changes {
		if c.Path.KeyValue("identifier") == yang.BGPProtocol {
			return nil, false
		}
		if c.Path.IsEntry() && c.Op == yang.OpDelete {
			return nil, false
		}
		// Every entry on the way that the changes do not create exists.
		for i := range c.Path {
			if len(c.Path[i].Keys) == 0 {
				continue
			}
			e := c.Path[:i+1]
			if created[e.String()] {
				break
			}
			if err := yang.Apply(t, []yang.Change{{Op: yang.OpCreate, Path: e}}); err != nil {
				return nil, false
			}
		}
		if !c.Path.IsEntry() && c.Op != yang.OpCreate && c.Old != nil {
			if err := t.Set(c.Path, c.Old); err != nil {
				return nil, false
			}
		}
	}
	return t, true
}

func (a *Adapter) apply(ctx context.Context, s *session, phase adapters.Phase, before *yang.Tree, changes []yang.Change) error {
	cmds, err := Render(a.p, before, changes)
	if err != nil {
		return a.t.Err(adapters.PhaseStage, adapters.ErrUnsupported, true, err, "")
	}
	if len(cmds) == 0 {
		return nil
	}
	if a.p.Sessions {
		return a.applySession(ctx, s, phase, cmds)
	}
	outs, err := s.run(ctx, phase, a.to().Commit, false, true, cmds)
	if err != nil {
		return fmt.Errorf("cli configure %s: %w", a.t.Device, err)
	}
	for i, out := range outs {
		line, bad := a.p.errorLine(out)
		if !bad {
			continue
		}
		de := &adapters.DeviceError{Device: a.t.Device, Protocol: adapters.CLI, Phase: phase, Kind: adapters.ErrRejected,
			Tag: "%", Path: cmds[i], Message: line}
		// Undo what the accepted lines did: the inverse of the changes
		// (computed on before, which may hold only what they touch),
		// restricted to what is not already back as it was.
		cur, rerr := a.read(ctx, s)
		inv, ierr := yang.Invert(before, changes)
		if rerr == nil && ierr == nil {
			var undo []yang.Change
			for _, c := range inv {
				if !adapters.InEffect(cur, c) {
					undo = append(undo, c)
				}
			}
			if len(undo) == 0 {
				de.NotApplied = true
			} else if ucmds, uerr := Render(a.p, cur, undo); uerr == nil {
				if uouts, uerr := s.run(ctx, adapters.PhaseRollback, a.to().Commit, false, true, ucmds); uerr == nil {
					clean := true
					for _, o := range uouts {
						if _, b := a.p.errorLine(o); b {
							clean = false
						}
					}
					de.NotApplied = clean
				}
			}
		}
		return fmt.Errorf("cli configure %s: %w", a.t.Device, de)
	}
	return nil
}

// applySession sends cmds inside a configuration session and commits it,
// or aborts it at the first refused line: all or nothing.
func (a *Adapter) applySession(ctx context.Context, s *session, phase adapters.Phase, cmds []string) error {
	name := fmt.Sprintf("netagent-%d", time.Now().UnixNano()%1_000_000_000)
	all := append(append([]string{"configure session " + name}, cmds...), "commit")
	outs, err := s.runUntilError(ctx, phase, a.to().Commit, all, a.p.errorLine, true)
	if err != nil {
		// Transport failure: the session may or may not have committed.
		return fmt.Errorf("cli configure %s: %w", a.t.Device, err)
	}
	last := len(outs) - 1
	line, bad := a.p.errorLine(outs[last])
	if !bad {
		return nil
	}
	de := &adapters.DeviceError{Device: a.t.Device, Protocol: adapters.CLI, Phase: phase, Kind: adapters.ErrRejected,
		Tag: "%", Path: all[last], Message: line}
	if last < len(all)-1 {
		// A line was refused before the commit: abort, nothing applied.
		// (raw: leaving the session's mode first would keep it pending)
		never := func(string) (string, bool) { return "", false }
		if _, aerr := s.runUntilError(ctx, adapters.PhaseAbort, a.to().RPC, []string{"abort"}, never, false); aerr == nil {
			de.NotApplied = true
		}
	} else {
		// The commit itself was refused: the session applied nothing.
		de.NotApplied = true
	}
	return fmt.Errorf("cli configure %s: %w", a.t.Device, de)
}

// Monitor polls the device: configuration paths of the model with show
// running-config (adapters.PollMonitor); interface state and counters
// (/interfaces/interface[...]/state/...) with show interfaces, parsed by
// ParseInterfaces. Other paths are ErrUnsupported.
func (a *Adapter) Monitor(ctx context.Context, sub adapters.Subscription, emit func(adapters.Update) error) error {
	tops, ok := stateTops(sub.Paths)
	if !ok {
		return adapters.PollMonitor(ctx, a.t, sub, a.Query, emit)
	}
	// Shows the device refused once (a real device has no "show lab
	// ..."): not asked again for this subscription.
	refused := map[string]bool{}
	return adapters.Poll(ctx, a.t.Device, sub, func(ctx context.Context) ([]adapters.Update, error) {
		var cmds []string
		parsers := map[string][]func(string) []adapters.Update{}
		if tops["interfaces"] {
			cmds = append(cmds, a.p.ShowInterfaces)
			parsers[a.p.ShowInterfaces] = append(parsers[a.p.ShowInterfaces], ParseInterfaces)
		}
		for _, sh := range a.p.StateShows {
			if !tops[sh.Top] || refused[sh.Command] {
				continue
			}
			if _, dup := parsers[sh.Command]; !dup {
				cmds = append(cmds, sh.Command)
			}
			parsers[sh.Command] = append(parsers[sh.Command], sh.Parse)
		}
		if len(cmds) == 0 {
			return nil, &adapters.DeviceError{Device: a.t.Device, Protocol: adapters.CLI, Phase: adapters.PhaseMonitor,
				Kind: adapters.ErrUnsupported, Message: "the device answers none of the show commands for " + strings.Join(sub.Paths, ", "), NotApplied: true}
		}
		s, err := a.session(ctx)
		if err != nil {
			return nil, err
		}
		outs, err := s.run(ctx, adapters.PhaseMonitor, a.to().RPC, true, false, cmds)
		if err != nil {
			return nil, fmt.Errorf("cli %s %s: %w", strings.Join(cmds, "; "), a.t.Device, err)
		}
		var out []adapters.Update
		seen := map[string]bool{}
		for i, cmd := range cmds {
			if line, bad := a.p.errorLine(outs[i]); bad {
				if cmd == a.p.ShowInterfaces {
					return nil, &adapters.DeviceError{Device: a.t.Device, Protocol: adapters.CLI, Phase: adapters.PhaseMonitor,
						Kind: adapters.ErrUnsupported, Tag: "%", Message: line, NotApplied: true}
				}
				refused[cmd] = true
				continue
			}
			for _, parse := range parsers[cmd] {
				for _, u := range parse(outs[i]) {
					if !seen[u.Path] && selected(u.Path, sub.Paths) {
						seen[u.Path] = true
						out = append(out, u)
					}
				}
			}
		}
		return out, nil
	}, emit)
}

// Ping sends an empty line and waits for the prompt.
func (a *Adapter) Ping(ctx context.Context) error {
	s, err := a.session(ctx)
	if err != nil {
		return err
	}
	_, err = s.run(ctx, adapters.PhaseQuery, a.to().RPC, true, false, []string{""})
	return err
}

// Close ends the session.
func (a *Adapter) Close() error {
	a.conns.Close(nil)
	return nil
}

// --- transactions (participant-side: the CLI has no candidate or timer) ---

// Prepare reads the running configuration, renders the change (a change
// the dialect cannot express fails here) and validates the result with
// netagent's model. Nothing is sent.
func (a *Adapter) Prepare(ctx context.Context, tx string, changes []yang.Change) error {
	return a.txs.Prepare(ctx, func() (*txbook.Tx, error) {
		s, err := a.session(ctx)
		if err != nil {
			return nil, err
		}
		before, err := a.read(ctx, s)
		if err != nil {
			return nil, err
		}
		if _, err := Render(a.p, before, changes); err != nil {
			return nil, a.t.Err(adapters.PhaseStage, adapters.ErrUnsupported, true, err, "")
		}
		after := before.Clone()
		err = yang.Apply(after, changes)
		if err == nil {
			err = yang.Validate(after)
		}
		if err != nil {
			return nil, a.t.Err(adapters.PhaseValidate, adapters.ErrRejected, true, err, "the change would leave an invalid configuration")
		}
		return &txbook.Tx{ID: tx, Changes: changes, Before: before}, nil
	})
}

// Commit sends the commands. No device timer exists: with confirmTimeout >
// 0 the transaction stays open for Confirm or Rollback.
func (a *Adapter) Commit(ctx context.Context, tx string, confirmTimeout time.Duration) error {
	st, err := a.txs.Prepared(tx)
	if err != nil {
		return err
	}
	s, err := a.session(ctx)
	if err == nil {
		err = a.apply(ctx, s, adapters.PhaseCommit, st.Before, st.Changes)
	}
	if err != nil {
		if adapters.Retryable(err) {
			a.txs.End(st, false)
		}
		return err
	}
	a.txs.Committed(st, confirmTimeout)
	return nil
}

// Confirm ends a committed transaction (without a device timer there is
// nothing to send).
func (a *Adapter) Confirm(ctx context.Context, tx string) error {
	_, err := a.txs.Confirm(tx)
	return err
}

// Abort drops a prepared change, or undoes a committed one.
func (a *Adapter) Abort(ctx context.Context, tx string) error {
	return a.txs.Abort(ctx, tx, a.undo)
}

// Rollback applies the inverse commands of a committed change.
func (a *Adapter) Rollback(ctx context.Context, tx string) error {
	return a.txs.Rollback(ctx, tx, a.undo)
}

func (a *Adapter) undo(ctx context.Context, st *txbook.Tx, phase adapters.Phase) error {
	if st.Phase == txbook.Prepared {
		a.txs.End(st, false)
		return nil
	}
	s, err := a.session(ctx)
	if err != nil {
		a.txs.End(st, true)
		return err
	}
	cur, err := a.read(ctx, s)
	if err != nil {
		a.txs.End(st, true)
		return err
	}
	// Undo only what this transaction changed: the inverse, computed on what
	// the device holds now.
	inv, err := yang.Invert(st.Before, st.Changes)
	if err != nil {
		a.txs.End(st, true)
		return a.t.Err(phase, adapters.ErrUnsupported, true, err, "cannot invert the change")
	}
	var pending []yang.Change
	for _, c := range inv {
		if !adapters.InEffect(cur, c) {
			pending = append(pending, c)
		}
	}
	if err := a.apply(ctx, s, phase, cur, pending); err != nil {
		a.txs.End(st, true)
		return fmt.Errorf("cli rollback %s tx %s: %w", a.t.Device, st.ID, err)
	}
	a.txs.End(st, false)
	return nil
}
