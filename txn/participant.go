package txn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/internal/auth"
)

// Participant-side device states at a peer agent.
const (
	peerNone       = "none"
	peerPreparing  = "preparing"
	peerPrepared   = "prepared"
	peerCommitted  = "committed"
	peerConfirmed  = "confirmed"
	peerAborted    = "aborted"
	peerRolledBack = "rolled-back"
	peerFailed     = "failed"
)

// leaseMargin is how long past a device's confirm timer a participant
// waits for its coordinator before it asks for the decision and acts alone.
const leaseMargin = 5 * time.Second

// keepPeerTxns bounds the finished participant transactions kept for
// status and replay detection.
const keepPeerTxns = 256

// PeerServerConfig is what the participant side of the peer API needs.
type PeerServerConfig struct {
	// Agent is this agent's name (its certificate's identity).
	Agent string
	// Owns reports whether this agent owns device (it drives it and no
	// configured peer does). Required.
	Owns func(device string) bool
	// Decision asks the coordinator agent whether transaction id has its
	// commit decision (decided) and whether the coordinator knows it at all.
	// A participant that lost its coordinator asks before it acts alone;
	// nil, or an error, counts as "not decided" (presumed abort).
	Decision func(ctx context.Context, coordinator, id string) (decided bool, err error)
	// Log receives participant events; nil discards them.
	Log *slog.Logger
}

// PeerServer is the participant side of the peer-agent API: another agent,
// the coordinator, drives this agent's devices through prepare, commit,
// confirm, abort and rollback of one transaction. Each call names only
// devices this agent owns; phases must come in order (a replayed or
// out-of-order phase is refused), and a transaction whose coordinator goes
// silent past its devices' confirm timers is ended here: the participant
// asks the coordinator for the decision, and otherwise aborts (prepared
// devices) or rolls back (committed ones; their timers revert them
// anyway). Safe for concurrent use; Close stops its timers.
type PeerServer struct {
	c   *Coordinator
	cfg PeerServerConfig
	log *slog.Logger

	// expiring counts lease callbacks running; Close waits for them.
	expiring sync.WaitGroup

	mu       sync.Mutex // protects following fields
	txns     map[string]*peerTxn
	finished []string
	closed   bool
}

type peerTxn struct {
	id          string
	coordinator string
	devs        map[string]*peerDev
	over        bool
}

type peerDev struct {
	name string

	mu      sync.Mutex // serialises this device's phases; protects following fields
	state   string
	dev     adapters.Transactional
	timer   bool
	timeout time.Duration
	release func()
	lease   *time.Timer
	err     string
}

// NewPeerServer returns the participant side of the peer API over c's
// devices and writer slots.
func (c *Coordinator) NewPeerServer(cfg PeerServerConfig) (*PeerServer, error) {
	if cfg.Owns == nil || cfg.Agent == "" {
		return nil, errors.New("txn: NewPeerServer needs Agent and Owns")
	}
	log := cfg.Log
	if log == nil {
		log = c.log
	}
	return &PeerServer{c: c, cfg: cfg, log: log, txns: map[string]*peerTxn{}}, nil
}

// Routes is the peer-agent API, mounted on the peer listener (mutual TLS),
// every route needing txn:participate:
//
//	POST /v1/peer/txns/{id}/prepare   stage the devices' changes, hold their writer slots
//	POST /v1/peer/txns/{id}/commit    commit with the device-side confirm timer
//	POST /v1/peer/txns/{id}/confirm   confirm
//	POST /v1/peer/txns/{id}/abort     discard (prepared) or cancel (committed)
//	POST /v1/peer/txns/{id}/rollback  undo a commit
//	GET  /v1/peer/txns/{id}           each device's state
//	GET  /v1/peer/txns/{id}/events    progress (Server-Sent Events)
//	GET  /v1/peer/devices/{name}          an owned device and its capabilities
//	GET  /v1/peer/devices/{name}/config   its running configuration
//	POST /v1/peer/devices/{name}/configure  apply what it lacks (recovery)
//	POST /v1/peer/devices/{name}/pending    confirm or cancel its commit pending under a persist-id
//	GET  /v1/peer/decisions/{id}      this agent's decision as a coordinator
//	GET  /v1/peer/health              this agent and the devices it owns
func (s *PeerServer) Routes() []auth.Route {
	p := auth.TxnParticipate
	return []auth.Route{
		{Pattern: "POST /v1/peer/txns/{id}/prepare", Scope: p, Handler: http.HandlerFunc(s.handlePrepare)},
		{Pattern: "POST /v1/peer/txns/{id}/commit", Scope: p, Handler: s.phase("commit", peerPrepared)},
		{Pattern: "POST /v1/peer/txns/{id}/confirm", Scope: p, Handler: s.phase("confirm", peerCommitted)},
		{Pattern: "POST /v1/peer/txns/{id}/abort", Scope: p, Handler: s.phase("abort", "")},
		{Pattern: "POST /v1/peer/txns/{id}/rollback", Scope: p, Handler: s.phase("rollback", "")},
		{Pattern: "GET /v1/peer/txns/{id}", Scope: p, Handler: http.HandlerFunc(s.handleStatus)},
		{Pattern: "GET /v1/peer/txns/{id}/events", Scope: p, Streaming: true, Handler: http.HandlerFunc(s.handleEvents)},
		{Pattern: "GET /v1/peer/devices/{name}", Scope: p, Handler: http.HandlerFunc(s.handleDevice)},
		{Pattern: "GET /v1/peer/devices/{name}/config", Scope: p, Handler: http.HandlerFunc(s.handleConfig)},
		{Pattern: "POST /v1/peer/devices/{name}/configure", Scope: p, Handler: http.HandlerFunc(s.handleConfigure)},
		{Pattern: "POST /v1/peer/devices/{name}/pending", Scope: p, Handler: http.HandlerFunc(s.handlePending)},
		{Pattern: "GET /v1/peer/decisions/{id}", Scope: p, Handler: http.HandlerFunc(s.handleDecision)},
		{Pattern: "GET /v1/peer/health", Scope: p, Handler: http.HandlerFunc(s.handleHealth)},
	}
}

// Close stops the lease timers and waits for a lease callback already
// running. Devices still held stay as they are: their sessions close with
// the pool (a prepared candidate is discarded) and their confirm timers
// revert what was committed.
func (s *PeerServer) Close() {
	s.mu.Lock()
	s.closed = true
	var ds []*peerDev
	for _, t := range s.txns {
		for _, d := range t.devs {
			ds = append(ds, d)
		}
	}
	s.mu.Unlock()
	for _, d := range ds {
		d.mu.Lock()
		if d.lease != nil {
			d.lease.Stop()
		}
		d.mu.Unlock()
	}
	s.expiring.Wait()
}

func caller(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.Subject
}

func peerProblem(w http.ResponseWriter, r *http.Request, status int, typ, detail string) {
	titles := map[string]string{
		"malformed-request": "Malformed request", "unknown-transaction": "Unknown transaction",
		"not-owner": "Device not owned here", "phase-order": "Phase out of order", "busy": "Device busy",
		"device-failed": "Device refused the phase", "wrong-coordinator": "Another coordinator's transaction",
		"nothing-pending": "No commit pending", "unsupported": "Not supported by the device",
	}
	writeProblem(w, r, status, "/problems/"+typ, titles[typ], detail)
}

func (s *PeerServer) checkID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if !validID(id) {
		peerProblem(w, r, http.StatusBadRequest, "malformed-request", fmt.Sprintf("transaction id %q is not a transaction id", id))
		return "", false
	}
	return id, true
}

// checkOwned refuses the whole call when one device is not this agent's.
func (s *PeerServer) checkOwned(w http.ResponseWriter, r *http.Request, names []string) bool {
	for _, n := range names {
		if !s.cfg.Owns(n) {
			peerProblem(w, r, http.StatusForbidden, "not-owner", fmt.Sprintf("agent %s does not own device %s: nothing was changed", s.cfg.Agent, n))
			return false
		}
	}
	return true
}

func partNames(ps []PeerDevicePart) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Device
	}
	return out
}

func (s *PeerServer) handlePrepare(w http.ResponseWriter, r *http.Request) {
	id, ok := s.checkID(w, r)
	if !ok {
		return
	}
	req, err := DecodePhaseRequest(r.Body, true)
	if err != nil {
		peerProblem(w, r, http.StatusBadRequest, "malformed-request", err.Error())
		return
	}
	names := partNames(req.Devices)
	if !s.checkOwned(w, r, names) {
		return
	}
	who := caller(r)
	timeout := time.Duration(req.ConfirmTimeoutMS) * time.Millisecond
	if timeout <= 0 {
		timeout = DefaultConfirmTimeout
	}
	// Reserve every device of the call, or refuse the whole call.
	s.mu.Lock()
	t := s.txns[id]
	switch {
	case t != nil && t.coordinator != who:
		s.mu.Unlock()
		peerProblem(w, r, http.StatusForbidden, "wrong-coordinator", fmt.Sprintf("transaction %s is coordinated by agent %s, not %s", id, t.coordinator, who))
		return
	case t != nil && t.over:
		s.mu.Unlock()
		peerProblem(w, r, http.StatusConflict, "phase-order", fmt.Sprintf("transaction %s has ended here: a replayed prepare is refused", id))
		return
	}
	if t != nil {
		for _, n := range names {
			if _, dup := t.devs[n]; dup {
				s.mu.Unlock()
				peerProblem(w, r, http.StatusConflict, "phase-order", fmt.Sprintf("device %s is already in transaction %s: a replayed prepare is refused", n, id))
				return
			}
		}
	}
	if s.closed {
		s.mu.Unlock()
		peerProblem(w, r, http.StatusServiceUnavailable, "busy", "the agent is stopping")
		return
	}
	fresh := t == nil
	if fresh {
		t = &peerTxn{id: id, coordinator: who, devs: map[string]*peerDev{}}
		s.txns[id] = t
	}
	devs := make([]*peerDev, len(names))
	for i, n := range names {
		devs[i] = &peerDev{name: n, state: peerPreparing, timeout: timeout}
		devs[i].mu.Lock()
		t.devs[n] = devs[i]
	}
	s.mu.Unlock()
	s.c.hub.addDevices(id, who, names, fresh)
	s.log.Info("peer prepare", "txn", id, "coordinator", who, "devices", names)

	var failed *PeerDeviceState
	status := http.StatusOK
	for i, d := range devs {
		if failed != nil {
			d.state = peerAborted
			d.mu.Unlock()
			continue
		}
		if err := s.prepareOne(r.Context(), id, d, req.Devices[i]); err != nil {
			d.state, d.err = peerFailed, err.Error()
			failed = &PeerDeviceState{Device: d.name, State: d.state, Error: d.err}
			status = http.StatusUnprocessableEntity
			var busy *BusyError
			if errors.As(err, &busy) {
				status = http.StatusConflict
			}
		} else {
			d.state = peerPrepared
			s.arm(t, d, 2*d.timeout+leaseMargin)
			s.c.hub.step(id, d.name, "prepared")
		}
		d.mu.Unlock()
	}
	if failed != nil {
		s.settle(t)
		typ := "device-failed"
		if status == http.StatusConflict {
			typ = "busy"
		}
		peerProblem(w, r, status, typ, fmt.Sprintf("prepare %s in transaction %s: %s", failed.Device, id, failed.Error))
		return
	}
	writeJSON(w, s.response(t, names))
}

// prepareOne takes the device's writer slot and prepares it; d.mu is held.
func (s *PeerServer) prepareOne(ctx context.Context, id string, d *peerDev, part PeerDevicePart) error {
	release, err := s.c.locks.acquire(ctx, id, []string{d.name}, true)
	if err != nil {
		return err
	}
	dev, err := s.c.cfg.Devices.Device(ctx, d.name)
	if err != nil {
		release()
		return fmt.Errorf("open %s: %w", d.name, err)
	}
	tr, ok := dev.(adapters.Transactional)
	if !ok {
		release()
		return fmt.Errorf("prepare %s: %w", d.name, adapters.ErrUnsupported)
	}
	if cp, ok := dev.(adapters.Capabler); ok {
		d.timer = cp.Capabilities().ConfirmTimer
	}
	pctx, cancel := context.WithTimeout(ctx, s.c.cfg.StepTimeout)
	defer cancel()
	if err := tr.Prepare(pctx, id, part.changes); err != nil {
		_ = tr.Abort(context.WithoutCancel(ctx), id)
		release()
		return fmt.Errorf("prepare %s: %w", d.name, err)
	}
	d.dev, d.release = tr, release
	return nil
}

// phase handles commit, confirm, abort and rollback: want is the state
// each named device must be in ("" for abort and rollback, which accept
// any state and are idempotent, as the adapters' contract says).
func (s *PeerServer) phase(name, want string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := s.checkID(w, r)
		if !ok {
			return
		}
		req, err := DecodePhaseRequest(r.Body, false)
		if err != nil {
			peerProblem(w, r, http.StatusBadRequest, "malformed-request", err.Error())
			return
		}
		names := partNames(req.Devices)
		if !s.checkOwned(w, r, names) {
			return
		}
		who := caller(r)
		s.mu.Lock()
		t := s.txns[id]
		s.mu.Unlock()
		if t == nil {
			if want == "" {
				// Abort or roll back what this agent does not hold: it
				// never prepared it, or it restarted since (a recovering
				// coordinator repeats them too). What a device may still
				// hold pending under the transaction's persist-id is
				// cancelled now rather than left to its timer.
				resp := PhaseResponse{Txn: id, Agent: s.cfg.Agent}
				for _, n := range names {
					st, err := s.cancelForgotten(r.Context(), id, n)
					if err != nil {
						peerProblem(w, r, http.StatusUnprocessableEntity, "device-failed", fmt.Sprintf("%s %s in transaction %s (not held here): cancel its pending commit: %v", name, n, id, err))
						return
					}
					resp.Devices = append(resp.Devices, PeerDeviceState{Device: n, State: st})
				}
				writeJSON(w, resp)
				return
			}
			peerProblem(w, r, http.StatusNotFound, "unknown-transaction", fmt.Sprintf("agent %s holds no transaction %s: %s refused", s.cfg.Agent, id, name))
			return
		}
		if t.coordinator != who {
			peerProblem(w, r, http.StatusForbidden, "wrong-coordinator", fmt.Sprintf("transaction %s is coordinated by agent %s, not %s", id, t.coordinator, who))
			return
		}
		// Check the order for every device before acting on any.
		devs := make([]*peerDev, 0, len(names))
		s.mu.Lock()
		for _, n := range names {
			d := t.devs[n]
			if d == nil && want != "" {
				s.mu.Unlock()
				peerProblem(w, r, http.StatusConflict, "phase-order", fmt.Sprintf("device %s was not prepared in transaction %s: %s out of order", n, id, name))
				return
			}
			devs = append(devs, d)
		}
		s.mu.Unlock()
		if want != "" {
			for _, d := range devs {
				d.mu.Lock()
				st := d.state
				d.mu.Unlock()
				if st != want {
					how := "out of order"
					if (name == "commit" && (st == peerCommitted || st == peerConfirmed)) || (name == "confirm" && st == peerConfirmed) {
						how = "replayed"
					}
					peerProblem(w, r, http.StatusConflict, "phase-order", fmt.Sprintf("device %s is %s, not %s, in transaction %s: %s %s", d.name, st, want, id, name, how))
					return
				}
			}
		}
		timeout := time.Duration(req.ConfirmTimeoutMS) * time.Millisecond
		var failed *PeerDeviceState
		for i, d := range devs {
			if d == nil {
				continue
			}
			d.mu.Lock()
			if want != "" && d.state != want { // raced with another call
				failed = &PeerDeviceState{Device: d.name, State: d.state, Error: "changed state meanwhile"}
				d.mu.Unlock()
				break
			}
			if err := s.act(r.Context(), t, d, name, timeout); err != nil && failed == nil {
				failed = &PeerDeviceState{Device: names[i], State: d.state, Error: err.Error()}
			}
			d.mu.Unlock()
		}
		s.settle(t)
		if failed != nil {
			peerProblem(w, r, http.StatusUnprocessableEntity, "device-failed", fmt.Sprintf("%s %s in transaction %s: %s", name, failed.Device, id, failed.Error))
			return
		}
		writeJSON(w, s.response(t, names))
	}
}

// act runs one phase on d; d.mu is held.
func (s *PeerServer) act(ctx context.Context, t *peerTxn, d *peerDev, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.c.cfg.StepTimeout)
	defer cancel()
	switch name {
	case "commit":
		if timeout > 0 {
			d.timeout = timeout
		}
		d.state = peerCommitted // sent: it may apply even on error
		s.arm(t, d, d.timeout+leaseMargin)
		if err := d.dev.Commit(ctx, t.id, d.timeout); err != nil {
			d.err = err.Error()
			return fmt.Errorf("commit %s: %w", d.name, err)
		}
		s.c.hub.step(t.id, d.name, "committed")
		return nil
	case "confirm":
		if err := d.dev.Confirm(ctx, t.id); err != nil {
			// The coordinator re-applies after a failed confirm; free
			// the device for it.
			_ = d.dev.Abort(ctx, t.id)
			d.state, d.err = peerFailed, err.Error()
			s.end(d)
			return fmt.Errorf("confirm %s: %w", d.name, err)
		}
		d.state = peerConfirmed
		s.end(d)
		s.c.hub.step(t.id, d.name, "confirmed")
		return nil
	}
	// abort, rollback
	switch d.state {
	case peerPrepared, peerPreparing:
		err := d.dev.Abort(ctx, t.id)
		d.state = peerAborted
		s.end(d)
		s.c.hub.step(t.id, d.name, "aborted")
		if err != nil {
			s.log.Warn("peer abort", "txn", t.id, "device", d.name, "err", err)
		}
		return nil
	case peerCommitted, peerConfirmed:
		var err error
		if name == "abort" && d.state == peerCommitted {
			err = d.dev.Abort(ctx, t.id)
		} else {
			err = d.dev.Rollback(ctx, t.id)
			if err != nil {
				_ = d.dev.Abort(ctx, t.id)
			}
		}
		d.state = peerRolledBack
		if err != nil {
			d.err = err.Error()
		}
		s.end(d)
		s.c.hub.step(t.id, d.name, "rolled-back")
		return err
	case peerFailed:
		if d.dev != nil {
			_ = d.dev.Abort(ctx, t.id)
		}
		s.end(d)
	}
	return nil
}

// arm (re)starts d's lease: when it fires, the coordinator has been
// silent past what the phase allows. d.mu is held.
func (s *PeerServer) arm(t *peerTxn, d *peerDev, after time.Duration) {
	if d.lease != nil {
		d.lease.Stop()
	}
	d.lease = time.AfterFunc(after, func() { s.expire(t, d) })
}

// end releases d's writer slot and stops its lease; d.mu is held.
func (s *PeerServer) end(d *peerDev) {
	if d.lease != nil {
		d.lease.Stop()
		d.lease = nil
	}
	if d.release != nil {
		d.release()
		d.release = nil
	}
}

// expire ends d when its coordinator went silent: it asks the
// coordinator for the decision (a decided transaction is confirmed; the
// coordinator re-applies if the timer already reverted it) and otherwise
// aborts or rolls back.
func (s *PeerServer) expire(t *peerTxn, d *peerDev) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.expiring.Add(1) // under s.mu while open: Close's Wait comes after
	s.mu.Unlock()
	defer s.expiring.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 2*s.c.cfg.StepTimeout)
	defer cancel()
	decided := false
	if s.cfg.Decision != nil {
		var err error
		decided, err = s.cfg.Decision(ctx, t.coordinator, t.id)
		if err != nil {
			s.log.Warn("peer lease expired; the coordinator does not answer: presumed abort", "txn", t.id, "device", d.name, "coordinator", t.coordinator, "err", err)
		}
	}
	d.mu.Lock()
	switch {
	case d.state != peerPrepared && d.state != peerCommitted:
	case decided && d.state == peerCommitted:
		s.log.Warn("peer lease expired after the decision: confirming", "txn", t.id, "device", d.name)
		_ = s.act(ctx, t, d, "confirm", 0)
	default:
		s.log.Warn("peer lease expired: aborting", "txn", t.id, "device", d.name, "state", d.state)
		_ = s.act(ctx, t, d, "rollback", 0)
	}
	d.mu.Unlock()
	s.settle(t)
}

// settle finishes t's progress stream once every device has an outcome.
func (s *PeerServer) settle(t *peerTxn) {
	ds, over := s.devsOf(t, nil)
	if over {
		return
	}
	res := &Result{ID: t.id, State: StateConfirmed, Phase: adapters.PhaseConfirm}
	confirmed, undone, failed := 0, 0, 0
	for _, d := range ds {
		d.mu.Lock()
		st, e := d.state, d.err
		d.mu.Unlock()
		dr := DeviceResult{Device: d.name}
		switch st {
		case peerConfirmed:
			confirmed++
			dr.Outcome = OutcomeConfirmed
		case peerAborted:
			undone++
			dr.Outcome = OutcomeAborted
		case peerRolledBack:
			undone++
			dr.Outcome = OutcomeRolledBack
		case peerFailed:
			failed++
			dr.Outcome = OutcomeFailed
			if e != "" {
				dr.Error = &ErrorInfo{Message: e}
			}
		default:
			return
		}
		res.Devices = append(res.Devices, dr)
	}
	switch {
	case failed > 0:
		res.State = StateFailed
	case confirmed == 0:
		res.State = StateAborted
	case undone > 0:
		res.State = StatePartial
	}
	s.mu.Lock()
	if t.over || len(t.devs) != len(ds) {
		s.mu.Unlock()
		return
	}
	t.over = true
	s.finished = append(s.finished, t.id)
	for len(s.finished) > keepPeerTxns {
		delete(s.txns, s.finished[0])
		s.finished = s.finished[1:]
	}
	s.mu.Unlock()
	s.c.hub.finish(res)
}

// devsOf returns t's devices named (all, sorted, for nil) and whether t is over.
func (s *PeerServer) devsOf(t *peerTxn, names []string) ([]*peerDev, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ds []*peerDev
	if names == nil {
		for _, d := range t.devs {
			ds = append(ds, d)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i].name < ds[j].name })
	} else {
		for _, n := range names {
			if d := t.devs[n]; d != nil {
				ds = append(ds, d)
			}
		}
	}
	return ds, t.over
}

func (s *PeerServer) response(t *peerTxn, names []string) PhaseResponse {
	resp := PhaseResponse{Txn: t.id, Agent: s.cfg.Agent}
	ds, _ := s.devsOf(t, names)
	for _, d := range ds {
		d.mu.Lock()
		resp.Devices = append(resp.Devices, PeerDeviceState{Device: d.name, State: d.state, ConfirmTimer: d.timer, Error: d.err})
		d.mu.Unlock()
	}
	return resp
}

func (s *PeerServer) handleStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := s.checkID(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	t := s.txns[id]
	s.mu.Unlock()
	if t == nil {
		peerProblem(w, r, http.StatusNotFound, "unknown-transaction", fmt.Sprintf("agent %s holds no transaction %s", s.cfg.Agent, id))
		return
	}
	writeJSON(w, s.response(t, nil))
}

func (s *PeerServer) handleEvents(w http.ResponseWriter, r *http.Request) {
	id, ok := s.checkID(w, r)
	if !ok {
		return
	}
	if !s.c.hub.has(id) {
		peerProblem(w, r, http.StatusNotFound, "unknown-transaction", fmt.Sprintf("agent %s holds no transaction %s", s.cfg.Agent, id))
		return
	}
	s.c.handleEvents(w, r)
}

func (s *PeerServer) ownedDevice(w http.ResponseWriter, r *http.Request) (adapters.Device, bool) {
	name := r.PathValue("name")
	if !devicePattern.MatchString(name) {
		peerProblem(w, r, http.StatusBadRequest, "malformed-request", fmt.Sprintf("%q is not a device name", name))
		return nil, false
	}
	if !s.checkOwned(w, r, []string{name}) {
		return nil, false
	}
	dev, err := s.c.cfg.Devices.Device(r.Context(), name)
	if err != nil {
		peerProblem(w, r, http.StatusBadGateway, "device-failed", fmt.Sprintf("open %s: %v", name, err))
		return nil, false
	}
	return dev, true
}

// PeerDeviceInfo is what GET /v1/peer/devices/{name} answers.
type PeerDeviceInfo struct {
	Device       string `json:"device"`
	Agent        string `json:"agent"`
	Protocol     string `json:"protocol,omitempty"`
	ConfirmTimer bool   `json:"confirm_timer"`
	// Unsupported names the leaves the device's platform cannot set (by
	// schema path) with the reason, for planning at the coordinator.
	Unsupported map[string]string `json:"unsupported,omitempty"`
}

func (s *PeerServer) handleDevice(w http.ResponseWriter, r *http.Request) {
	dev, ok := s.ownedDevice(w, r)
	if !ok {
		return
	}
	info := PeerDeviceInfo{Device: r.PathValue("name"), Agent: s.cfg.Agent}
	if cp, ok := dev.(adapters.Capabler); ok {
		c := cp.Capabilities()
		info.Protocol, info.ConfirmTimer, info.Unsupported = c.Protocol, c.ConfirmTimer, c.Unsupported
	}
	writeJSON(w, info)
}

func (s *PeerServer) handleConfig(w http.ResponseWriter, r *http.Request) {
	dev, ok := s.ownedDevice(w, r)
	if !ok {
		return
	}
	t, err := dev.Query(r.Context(), nil)
	if err != nil {
		peerProblem(w, r, http.StatusBadGateway, "device-failed", fmt.Sprintf("read %s: %v", r.PathValue("name"), err))
		return
	}
	writeJSON(w, map[string]any{"device": r.PathValue("name"), "leaves": EncodeTree(t)})
}

func (s *PeerServer) handleConfigure(w http.ResponseWriter, r *http.Request) {
	changes, err := DecodeConfigureRequest(r.Body)
	if err != nil {
		peerProblem(w, r, http.StatusBadRequest, "malformed-request", err.Error())
		return
	}
	dev, ok := s.ownedDevice(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	s.supersede(r.Context(), caller(r), name)
	release, err := s.c.locks.acquire(r.Context(), "recovery by "+caller(r), []string{name}, true)
	if err != nil {
		peerProblem(w, r, http.StatusConflict, "busy", err.Error())
		return
	}
	defer release()
	if err := s.c.reconfigure(r.Context(), dev, changes); err != nil {
		peerProblem(w, r, http.StatusUnprocessableEntity, "device-failed", fmt.Sprintf("configure %s: %v", name, err))
		return
	}
	s.log.Info("peer configure", "device", name, "coordinator", caller(r), "changes", len(changes))
	writeJSON(w, map[string]string{"device": name, "state": "configured"})
}

// supersede ends what transactions of coordinator who still hold device
// here: a coordinator that configures a device it holds in a transaction
// has lost that transaction (it restarted and is recovering), so the part
// is rolled back now instead of holding the device until its lease.
func (s *PeerServer) supersede(ctx context.Context, who, device string) {
	type held struct {
		t *peerTxn
		d *peerDev
	}
	var hs []held
	s.mu.Lock()
	for _, t := range s.txns {
		if d := t.devs[device]; d != nil && t.coordinator == who && !t.over {
			hs = append(hs, held{t, d})
		}
	}
	s.mu.Unlock()
	for _, h := range hs {
		h.d.mu.Lock()
		if st := h.d.state; st == peerPrepared || st == peerCommitted {
			s.log.Warn("peer: the coordinator configures a device its transaction holds here: rolling the part back", "txn", h.t.id, "device", device, "state", st, "coordinator", who)
			_ = s.act(ctx, h.t, h.d, "rollback", 0)
		}
		h.d.mu.Unlock()
		s.settle(h.t)
	}
}

// cancelForgotten cancels what device holds pending under persist-id id
// for a transaction this agent does not hold. It reports the device's
// state: rolled-back when a pending commit was cancelled, none when the
// device had nothing pending (or cannot hold a commit pending: a CLI
// device's plain commit is the coordinator's to undo, by its logged
// inverse).
func (s *PeerServer) cancelForgotten(ctx context.Context, id, device string) (string, error) {
	dev, err := s.c.cfg.Devices.Device(ctx, device)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", device, err)
	}
	if _, err := s.resume(ctx, dev, id, PendingCancel); err != nil {
		if errors.Is(err, adapters.ErrRejected) || errors.Is(err, adapters.ErrUnsupported) {
			return peerNone, nil
		}
		return "", err
	}
	s.log.Info("peer cancelled a commit pending from a transaction not held here", "txn", id, "device", device)
	return peerRolledBack, nil
}

// resume confirms or cancels the commit dev holds pending under persist-id
// tx, by the id alone (adapters.Resumer: any session will do). It returns
// the state the device is in then.
func (s *PeerServer) resume(ctx context.Context, dev adapters.Device, tx, action string) (string, error) {
	rs, ok := dev.(adapters.Resumer)
	if !ok {
		return "", fmt.Errorf("resume a pending commit: %w", adapters.ErrUnsupported)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.c.cfg.StepTimeout)
	defer cancel()
	if action == PendingConfirm {
		return peerConfirmed, rs.ConfirmPending(ctx, tx)
	}
	return peerRolledBack, rs.CancelPending(ctx, tx)
}

// handlePending confirms or cancels the commit a device holds pending
// under a transaction's persist-id. A transaction this agent still drives
// gets the phase itself (confirm, or roll back); one it does not hold (it
// restarted since the commit) is resumed on the device by the id alone.
func (s *PeerServer) handlePending(w http.ResponseWriter, r *http.Request) {
	req, err := DecodePendingRequest(r.Body)
	if err != nil {
		peerProblem(w, r, http.StatusBadRequest, "malformed-request", err.Error())
		return
	}
	dev, ok := s.ownedDevice(w, r)
	if !ok {
		return
	}
	name, who := r.PathValue("name"), caller(r)
	s.mu.Lock()
	t := s.txns[req.Txn]
	var d *peerDev
	if t != nil {
		d = t.devs[name]
	}
	s.mu.Unlock()
	if t != nil && t.coordinator != who {
		peerProblem(w, r, http.StatusForbidden, "wrong-coordinator", fmt.Sprintf("transaction %s is coordinated by agent %s, not %s", req.Txn, t.coordinator, who))
		return
	}
	answer := func(state string) {
		writeJSON(w, PendingResponse{Device: name, Txn: req.Txn, State: state})
	}
	if d != nil {
		d.mu.Lock()
		st := d.state
		switch {
		case st == peerCommitted || (st == peerPrepared && req.Action == PendingCancel):
			phase := "rollback"
			if req.Action == PendingConfirm {
				phase = "confirm"
			}
			err := s.act(r.Context(), t, d, phase, 0)
			st = d.state
			d.mu.Unlock()
			s.settle(t)
			if err != nil {
				peerProblem(w, r, http.StatusUnprocessableEntity, "device-failed", fmt.Sprintf("%s %s in transaction %s: %v", req.Action, name, req.Txn, err))
				return
			}
			answer(st)
			return
		case st == peerConfirmed && req.Action == PendingConfirm, (st == peerRolledBack || st == peerAborted) && req.Action == PendingCancel:
			d.mu.Unlock()
			answer(st)
			return
		case st == peerPrepared:
			d.mu.Unlock()
			peerProblem(w, r, http.StatusConflict, "phase-order", fmt.Sprintf("device %s is only prepared in transaction %s: confirm out of order", name, req.Txn))
			return
		}
		d.mu.Unlock()
	}
	st, err := s.resume(r.Context(), dev, req.Txn, req.Action)
	switch {
	case err == nil:
		s.log.Info("peer resumed a pending commit", "txn", req.Txn, "device", name, "action", req.Action, "coordinator", who)
		answer(st)
	case errors.Is(err, adapters.ErrUnsupported):
		peerProblem(w, r, http.StatusUnprocessableEntity, "unsupported", fmt.Sprintf("%s %s's commit pending under %s: %v", req.Action, name, req.Txn, err))
	case errors.Is(err, adapters.ErrRejected):
		peerProblem(w, r, http.StatusConflict, "nothing-pending", fmt.Sprintf("device %s holds no commit pending under %s: %v", name, req.Txn, err))
	default:
		peerProblem(w, r, http.StatusBadGateway, "device-failed", fmt.Sprintf("%s %s's commit pending under %s: %v", req.Action, name, req.Txn, err))
	}
}

// PeerDecision is what GET /v1/peer/decisions/{id} answers.
type PeerDecision struct {
	Txn     string `json:"txn"`
	State   State  `json:"state"`
	Decided bool   `json:"decided"`
}

func (s *PeerServer) handleDecision(w http.ResponseWriter, r *http.Request) {
	id, ok := s.checkID(w, r)
	if !ok {
		return
	}
	sum, err := s.c.Get(r.Context(), id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			peerProblem(w, r, http.StatusNotFound, "unknown-transaction", fmt.Sprintf("agent %s coordinates no transaction %s", s.cfg.Agent, id))
			return
		}
		writeErr(w, r, err)
		return
	}
	d := PeerDecision{Txn: id, State: sum.State}
	switch sum.State {
	case StateConfirming, StateConfirmed, StatePartial:
		d.Decided = true
	}
	writeJSON(w, d)
}

func (s *PeerServer) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]string{"agent": s.cfg.Agent, "status": "ok"})
}

// addDevices registers a participant transaction's devices in the
// progress hub (the stream starts with the first prepare).
func (h *hub) addDevices(id, coordinator string, devices []string, fresh bool) {
	if fresh {
		h.start(id, "", devices)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.streams[id]
	if s == nil || s.over {
		return
	}
	for _, d := range devices {
		s.last[d] = "pending"
		s.total += stepsPerDevice
	}
}
