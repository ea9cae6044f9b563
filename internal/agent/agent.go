package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/netagent/netagent/internal/config"
)

// Version is the agent's version, set at build time with -ldflags.
var Version = "dev"

// Agent is one running netagent. Construct it with New; it is safe for
// concurrent use once Run has started.
type Agent struct {
	cfg config.Config
	log *slog.Logger
	mux *http.ServeMux

	// ready is closed once the listener is bound; addr is set before.
	ready chan struct{}
	addr  string
}

// New returns an agent for cfg. A nil logger discards logs.
func New(cfg config.Config, log *slog.Logger) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Agent{cfg: cfg, log: log, mux: http.NewServeMux(), ready: make(chan struct{})}
	a.mux.HandleFunc("GET /healthz", a.healthz)
	a.mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": Version})
	})
	return a, nil
}

// Handle registers an HTTP route (a net/http pattern such as
// "POST /v1/intents") on the agent's API server. Call it before Run.
func (a *Agent) Handle(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

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

// Run serves the API until ctx ends, then shuts the server down gracefully
// (in-flight requests get up to 10 seconds) and returns.
func (a *Agent) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("agent: listen %s: %w", a.cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           a.mux,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	a.addr = ln.Addr().String()
	close(a.ready)
	a.log.Info("api listening", "addr", a.addr, "version", Version)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("agent: serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	a.log.Info("api stopped")
	return err
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
