package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/internal/pki"
)

// trust is the agent's authentication wiring: the token store, the layer
// every mounted route goes through, and the optional peer listener.
type trust struct {
	tokens *auth.TokenStore
	layer  *auth.Layer
	// stop ends the JWKS refresher, if any.
	stop context.CancelFunc

	// apiTLS is the API server's TLS configuration (auth.tls_cert); nil
	// serves plain HTTP.
	apiTLS *tls.Config

	// created is the admin token made on this start (nil: it existed); the
	// agent audits it once its audit log is open.
	created *auth.Token

	peerLayer *auth.Layer
	peerTLS   *tls.Config
	peerMux   *http.ServeMux
	// mu protects following fields.
	mu         sync.Mutex
	peerRoutes []auth.Route
	peerAddr   string
	peerReady  chan struct{}
}

// DenialHook receives every request the agent's layers refuse (the audit
// log records them). It must be quick.
type DenialHook = func(context.Context, auth.Denial)

// openTrust opens the token store, creates the admin token on first start
// (logging the file's path, never the secret), and builds the layers.
func openTrust(ctx context.Context, cfg config.Config, log *slog.Logger, onDenied DenialHook) (*trust, error) {
	tokens, err := auth.OpenTokenStore(cfg.TokensPath())
	if err != nil {
		return nil, err
	}
	created, err := auth.Bootstrap(tokens, cfg.AdminTokenPath())
	if err != nil {
		return nil, err
	}
	if created != nil {
		log.Info("admin token created", "file", cfg.AdminTokenPath(), "token_file", cfg.TokensPath())
	} else {
		log.Info("admin token", "file", cfg.AdminTokenPath())
	}
	opts := []auth.Option{auth.WithTokens(tokens), auth.WithLogger(log), auth.WithOnDenied(onDenied)}
	jctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	tr := &trust{tokens: tokens, stop: stop, peerReady: make(chan struct{}), created: created}
	if cfg.Auth.JWKSURL != "" {
		v, err := auth.NewJWTVerifier(jctx, auth.JWTConfig{JWKSURL: cfg.Auth.JWKSURL, Issuer: cfg.Auth.JWTIssuer, Audience: cfg.Auth.JWTAudience})
		if err != nil {
			stop()
			return nil, err
		}
		opts = append(opts, auth.WithJWT(v))
	}
	apiOpts := opts
	if cfg.Auth.TLSCert != "" {
		if tr.apiTLS, apiOpts, err = apiTLS(cfg, opts); err != nil {
			stop()
			return nil, err
		}
	}
	if tr.layer, err = auth.NewLayer(apiOpts...); err != nil {
		stop()
		return nil, err
	}
	if cfg.Peer.Listen != "" {
		if err := tr.openPeer(cfg, opts); err != nil {
			stop()
			return nil, err
		}
	}
	return tr, nil
}

// apiTLS builds the API server's TLS configuration: TLS 1.2 minimum (for
// operators' tools), and with auth.client_ca client certificates verified
// when given and granted auth.cert_scopes by identity.
func apiTLS(cfg config.Config, opts []auth.Option) (*tls.Config, []auth.Option, error) {
	cert, err := tls.LoadX509KeyPair(cfg.Auth.TLSCert, cfg.Auth.TLSKey)
	if err != nil {
		return nil, nil, fmt.Errorf("auth.tls_cert: %w", err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if cfg.Auth.ClientCA == "" {
		return tc, opts, nil
	}
	pool, err := pki.LoadPool(cfg.Auth.ClientCA)
	if err != nil {
		return nil, nil, fmt.Errorf("auth.client_ca: %w", err)
	}
	tc.ClientCAs, tc.ClientAuth = pool, tls.VerifyClientCertIfGiven
	byName, err := cfg.CertScopes()
	if err != nil {
		return nil, nil, err
	}
	grants := map[string][]auth.Scope{}
	for name, ss := range byName {
		for _, s := range ss {
			if !slices.Contains(auth.Scopes(), auth.Scope(s)) {
				return nil, nil, fmt.Errorf("auth.cert_scopes: %s: %q is not one of %v", name, s, auth.Scopes())
			}
			grants[name] = append(grants[name], auth.Scope(s))
		}
	}
	policy := func(id auth.CertIdentity) ([]auth.Scope, bool) {
		s, ok := grants[id.Name]
		return slices.Clone(s), ok
	}
	return tc, append(slices.Clone(opts), auth.WithClientCerts(policy)), nil
}

// openPeer loads the CA and this agent's certificate and builds the peer
// layer: a client certificate of the CA naming an admitted agent is granted
// peer.scopes; a bearer token alongside it narrows them further (the agent
// acting for an operator).
func (tr *trust) openPeer(cfg config.Config, opts []auth.Option) error {
	caPath, certPath, keyPath := cfg.PeerFiles()
	pool, err := pki.LoadPool(caPath)
	if err != nil {
		return fmt.Errorf("peer.ca: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return fmt.Errorf("peer.cert: %w (run `netagent pki issue %s`)", err, cfg.Peer.Name)
	}
	var scopes []auth.Scope
	for _, s := range config.List(cfg.Peer.Scopes) {
		if !slices.Contains(auth.Scopes(), auth.Scope(s)) {
			return fmt.Errorf("peer.scopes: %q is not one of %v", s, auth.Scopes())
		}
		scopes = append(scopes, auth.Scope(s))
	}
	allow := config.List(cfg.Peer.Allow)
	policy := func(id auth.CertIdentity) ([]auth.Scope, bool) {
		if id.Kind != "agent" || id.Name == cfg.Peer.Name {
			return nil, false
		}
		if len(allow) > 0 && !slices.Contains(allow, id.Name) {
			return nil, false
		}
		return slices.Clone(scopes), true
	}
	tr.peerLayer, err = auth.NewLayer(append(slices.Clone(opts), auth.WithClientCerts(policy), auth.WithRealm("netagent-peer"))...)
	if err != nil {
		return err
	}
	tr.peerTLS = pki.ServerConfig(cert, pool)
	tr.peerMux = http.NewServeMux()
	return nil
}

// MountPeer registers routes on the peer listener (peer.listen), behind
// mutual TLS and the auth layer: the transaction engineer's peer API, each
// route with its scope (auth.TxnParticipate). It fails when no peer
// listener is configured. Call it before Run.
func (a *Agent) MountPeer(routes []auth.Route) error {
	if a.trust.peerMux == nil {
		return errors.New("agent: no peer listener: set peer.listen (NETAGENT_PEER_LISTEN)")
	}
	if err := auth.CheckRoutes(routes); err != nil {
		return err
	}
	a.trust.mu.Lock()
	defer a.trust.mu.Unlock()
	for _, rt := range routes {
		a.trust.peerRoutes = append(a.trust.peerRoutes, rt)
		a.trust.peerMux.Handle(rt.Pattern, a.trust.peerLayer.Wrap(rt))
	}
	return nil
}

// PeerRoutes lists every route mounted on the peer listener.
func (a *Agent) PeerRoutes() []auth.Route {
	a.trust.mu.Lock()
	defer a.trust.mu.Unlock()
	return slices.Clone(a.trust.peerRoutes)
}

// PeerAddr waits until the peer listener listens and returns its address.
func (a *Agent) PeerAddr(ctx context.Context) (string, error) {
	if a.trust.peerMux == nil {
		return "", errors.New("agent: no peer listener configured")
	}
	select {
	case <-a.trust.peerReady:
		a.trust.mu.Lock()
		defer a.trust.mu.Unlock()
		return a.trust.peerAddr, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Tokens is the agent's token store (for tests and tools in process).
func (a *Agent) Tokens() *auth.TokenStore { return a.trust.tokens }

// newServer applies the server hygiene every listener of the agent gets:
// header, read, write and idle timeouts, a header size limit and a body
// size limit on every request. Streaming routes (auth.Route.Streaming)
// lift the write and read deadlines for themselves in the layer, so a
// Server-Sent Events stream is not cut at write_timeout.
func newServer(ctx context.Context, h http.Handler, c config.HTTP, log *slog.Logger) *http.Server {
	limit := c.MaxBodyBytes
	return &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// servePeer runs the peer listener until ctx ends.
func (a *Agent) servePeer(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Peer.Listen)
	if err != nil {
		return fmt.Errorf("agent: peer listen %s: %w", a.cfg.Peer.Listen, err)
	}
	srv := newServer(ctx, a.trust.peerMux, a.cfg.HTTP, a.log)
	srv.TLSConfig = a.trust.peerTLS
	a.trust.mu.Lock()
	a.trust.peerAddr = ln.Addr().String()
	a.trust.mu.Unlock()
	close(a.trust.peerReady)
	a.log.Info("peer api listening", "addr", ln.Addr().String(), "agent", a.cfg.Peer.Name, "tls", "1.3, client certificate required")
	return runServer(ctx, srv, tls.NewListener(ln, a.trust.peerTLS), "peer api", a.log)
}

// runServer serves on ln until ctx ends, then shuts down gracefully
// (in-flight requests get up to 10 seconds).
func runServer(ctx context.Context, srv *http.Server, ln net.Listener, name string, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("agent: %s: %w", name, err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	log.Info(name + " stopped")
	return err
}

// SetDenialHook makes fn receive every request the agent's layers refuse
// (the audit log records auth failures through it). Safe to call at any
// time; fn must be quick and safe for concurrent use.
func (a *Agent) SetDenialHook(fn DenialHook) { a.denyHook.Store(&fn) }

func (a *Agent) denied(ctx context.Context, d auth.Denial) {
	if fn := a.denyHook.Load(); fn != nil && *fn != nil {
		(*fn)(ctx, d)
	}
}

// channelPrincipals are the identities intents from Kafka and from the
// inbox act for (intake.kafka_principal, intake.file_principal): those
// channels carry no caller credential of their own, so whoever can write
// to the topic or the directory acts as this identity.
func channelPrincipals(cfg config.Config) map[string]auth.Principal {
	return map[string]auth.Principal{
		"kafka": {Subject: cfg.Intake.KafkaPrincipal, Kind: "service", Via: "kafka", Scopes: []auth.Scope{auth.IntentsWrite}},
		"file":  {Subject: cfg.Intake.FilePrincipal, Kind: "service", Via: "file", Scopes: []auth.Scope{auth.IntentsWrite}},
	}
}

// listener wraps the API listener in TLS when auth.tls_cert is set.
func (tr *trust) listener(ln net.Listener) net.Listener {
	if tr.apiTLS == nil {
		return ln
	}
	return tls.NewListener(ln, tr.apiTLS)
}
