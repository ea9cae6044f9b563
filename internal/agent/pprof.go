package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves Go's runtime profiles on debug.pprof_listen (a
// loopback address, checked by the configuration) until ctx ends; with no
// address it returns at once.
func (a *Agent) servePprof(ctx context.Context) error {
	if a.cfg.Debug.PprofListen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", a.cfg.Debug.PprofListen)
	if err != nil {
		return fmt.Errorf("agent: pprof listen %s: %w", a.cfg.Debug.PprofListen, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	a.log.Info("pprof listening", "addr", ln.Addr().String())
	stop := context.AfterFunc(ctx, func() { _ = srv.Close() })
	defer stop()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("agent: pprof: %w", err)
	}
	return nil
}
