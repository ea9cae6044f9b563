package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/logging"
	"github.com/netagent/netagent/internal/trace"
)

// Version is the agent's version, set at build time with -ldflags.
var Version = "dev"

// Agent is one running netagent. Construct it with New; it is safe for
// concurrent use once Run has started.
type Agent struct {
	cfg config.Config
	log *slog.Logger
	mux *http.ServeMux
	// routes is every route mounted on mux, with its scope.
	routes []auth.Route
	net    *network // nil when no inventory is configured
	trust  *trust
	// lock is held on cfg.DataDir from New until Run returns.
	lock *DataLock
	// denyHook receives refused requests (SetDenialHook).
	denyHook atomic.Pointer[DenialHook]

	// ready is closed once the listener is bound; addr is set before.
	ready chan struct{}
	addr  string
}

// New returns an agent for cfg. With an inventory it loads it, opens the
// store in cfg.DataDir and mounts the intent API; without one it serves
// health only. A nil logger discards logs. If New succeeds, Run must be
// called to release what it opened.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// One agent per data directory, taken before anything in it is read
	// or written (the admin token, the store).
	lock, err := LockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	return NewLocked(ctx, cfg, log, lock)
}

// NewLocked is New for a caller that already holds the data directory's
// lock (LockDataDir). The agent owns the lock from then on: it releases it
// when Run returns, or at once if NewLocked fails.
func NewLocked(ctx context.Context, cfg config.Config, log *slog.Logger, lock *DataLock) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		lock.Release()
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a, err := newAgent(ctx, cfg, log)
	if err != nil {
		lock.Release()
		return nil, err
	}
	a.lock = lock
	return a, nil
}

func newAgent(ctx context.Context, cfg config.Config, log *slog.Logger) (*Agent, error) {
	// Lines logged with a context name its trace id and principal, and
	// secrets never reach the log (a handler already wrapped stays as it is).
	log = slog.New(logging.New(log.Handler()))
	a := &Agent{cfg: cfg, log: log, mux: http.NewServeMux(), ready: make(chan struct{})}
	var err error
	if a.trust, err = openTrust(ctx, cfg, log, a.denied); err != nil {
		return nil, err
	}
	if cfg.Inventory != "" {
		n, err := openNetwork(ctx, cfg, log)
		if err != nil {
			a.trust.stop()
			return nil, err
		}
		a.net = n
		if t := a.trust.created; t != nil {
			actx := trace.With(auth.WithPrincipal(ctx, auth.Principal{Subject: "netagent", Scopes: []auth.Scope{auth.Admin}}), trace.New())
			if err := n.audit.RecordTokenChange(actx, audit.TokenChange{Op: "create", TokenID: t.ID, Subject: t.Subject, Scopes: t.Scopes, ExpiresAt: t.Expiry}); err != nil {
				_ = n.close()
				a.trust.stop()
				return nil, fmt.Errorf("agent: audit the admin token created: %w", err)
			}
		}
		a.SetDenialHook(a.auditDenial)
		a.Mount(n.afterRecovery(n.rest.Routes()))
		a.Mount(n.txn.Routes())
		if err := a.mountPeers(); err != nil {
			_ = n.close()
			a.trust.stop()
			return nil, err
		}
		a.Mount(n.kb.api.Routes())
		if n.tele != nil {
			routes, err := n.tele.api.Routes()
			if err != nil {
				_ = n.close()
				a.trust.stop()
				return nil, err
			}
			a.Mount(routes)
		}
		if err := a.mountMCP(); err != nil {
			_ = n.close()
			a.trust.stop()
			return nil, err
		}
	} else {
		log.Warn("no inventory configured: serving health only")
	}
	a.Mount([]auth.Route{
		{Pattern: "GET /healthz", Scope: auth.Public, Handler: http.HandlerFunc(a.healthz)},
		{Pattern: "GET /version", Scope: auth.Public, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"version": Version})
		})},
	})
	return a, nil
}

// Mount registers a surface's routes on the agent's API server. Each route
// declares the scope it requires; the agent's authentication layer
// (internal/auth.Layer) checks it on every request, Public routes aside. A
// route without a known scope panics, as a bad pattern does. Call Mount
// before Run.
func (a *Agent) Mount(routes []auth.Route) {
	for _, rt := range routes {
		a.routes = append(a.routes, rt)
		a.mux.Handle(rt.Pattern, a.trust.layer.Wrap(rt))
	}
}

// Routes lists every route mounted so far with its scope, health included.
func (a *Agent) Routes() []auth.Route { return append([]auth.Route(nil), a.routes...) }

// Handle registers an HTTP route (a net/http pattern such as
// "POST /v1/intents") on the agent's API server with scope admin. Prefer
// Mount, which names the scope. Call it before Run.
func (a *Agent) Handle(pattern string, h http.Handler) {
	a.Mount([]auth.Route{{Pattern: pattern, Scope: auth.Admin, Handler: h}})
}

// Addr waits until the API server listens and returns its address.
func (a *Agent) Addr(ctx context.Context) (string, error) {
	select {
	case <-a.ready:
		return a.addr, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (a *Agent) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": Version})
}

// Run serves the API and runs the intent service until ctx ends, then
// shuts the server down gracefully (in-flight requests get up to 10
// seconds), waits for the intent service, closes devices and the store, and
// returns.
func (a *Agent) Run(ctx context.Context) error {
	defer a.lock.Release()
	defer a.trust.stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Start order: store (opened in New), txn recovery, intent rescan
	// (intent.Run), intake, API. The listener opens at once (health
	// answers), but intent requests wait until recovery has finished, so
	// no new intent is planned before it.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.serve(gctx) })
	g.Go(func() error { return a.servePprof(gctx) })
	if a.trust.peerMux != nil {
		g.Go(func() error { return a.servePeer(gctx) })
	}
	if a.net == nil {
		return g.Wait()
	}
	if err := a.net.recoverTxns(gctx, a.log); err != nil {
		if gctx.Err() != nil {
			// Stopped while recovering: not a failure; the next start
			// recovers what is left.
			err = nil
		}
		cancel()
		return errors.Join(err, g.Wait(), a.net.close())
	}
	runs := []func(context.Context) error{a.net.intent.Run, a.net.files.Run, a.net.signAudit}
	if a.net.kafka != nil {
		runs = append(runs, a.net.kafka.Run)
	}
	if a.net.events != nil {
		runs = append(runs, a.net.events.run)
	}
	if a.net.tele != nil {
		runs = append(runs, a.net.tele.runs()...)
	}
	for _, run := range runs {
		g.Go(func() error {
			err := run(gctx)
			if gctx.Err() != nil {
				return nil
			}
			return err
		})
	}
	// The knowledge recorder outlives the intent service: it writes the
	// failures of the last intents before the store closes.
	kctx, stopKB := context.WithCancel(context.WithoutCancel(ctx))
	kdone := make(chan error, 1)
	go func() { kdone <- a.net.kb.rec.Run(kctx) }()
	err := g.Wait()
	stopKB()
	return errors.Join(err, <-kdone, a.net.close())
}

func (a *Agent) serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("agent: listen %s: %w", a.cfg.Listen, err)
	}
	srv := newServer(ctx, rest.WithProblems(a.mux), a.cfg.HTTP, a.log) // 404 and 405 as problem+json too
	a.addr = ln.Addr().String()
	close(a.ready)
	a.log.Info("api listening", "addr", a.addr, "version", Version, "tls", a.trust.apiTLS != nil)
	return runServer(ctx, srv, a.trust.listener(ln), "api", a.log)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
