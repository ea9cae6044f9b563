package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/netagent/netagent/internal/auth"
)

// Path is where the streamable HTTP endpoint is mounted.
const Path = "/mcp"

// MetadataPath is the RFC 9728 Protected Resource Metadata of Path.
const MetadataPath = "/.well-known/oauth-protected-resource" + Path

// maxRequestBytes bounds one JSON-RPC message over HTTP.
const maxRequestBytes = 4 << 20

// Routes returns the streamable HTTP endpoint and its Protected Resource
// Metadata as routes for the agent's server. /mcp declares intents:read;
// the handler itself answers 401 (with the metadata URL) when the request
// carries no principal and 403 insufficient_scope for a tools/call whose
// tool needs a scope the principal lacks.
func (s *Server) Routes() []auth.Route {
	h := s.HTTPHandler()
	prm := http.HandlerFunc(s.metadata)
	// The agent's auth layer answers 401 and 403 before the handler: its
	// challenge points at the metadata too (MCP authorisation, RFC 9728).
	ch := func(r *http.Request) string { return fmt.Sprintf("resource_metadata=%q", s.metadataURL(r)) }
	return []auth.Route{
		{Pattern: "POST " + Path, Scope: auth.IntentsRead, Handler: h, Challenge: ch, Streaming: true},
		{Pattern: "GET " + Path, Scope: auth.IntentsRead, Handler: h, Challenge: ch}, // 405: no standalone stream
		{Pattern: "DELETE " + Path, Scope: auth.IntentsRead, Handler: h, Challenge: ch},
		{Pattern: "GET " + MetadataPath, Scope: auth.Public, Handler: prm},
		{Pattern: "GET /.well-known/oauth-protected-resource", Scope: auth.Public, Handler: prm},
	}
}

// HTTPHandler is the streamable HTTP endpoint with the MCP-specific
// authorisation checks in front of it.
func (s *Server) HTTPHandler() http.Handler {
	h := server.NewStreamableHTTPServer(s.mcp,
		server.WithEndpointPath(Path),
		server.WithHTTPContextFunc(func(ctx context.Context, r *http.Request) context.Context {
			if d := deliveriesFrom(r.Context()); d != nil {
				ctx = context.WithValue(ctx, deliveriesKey{}, d)
			}
			if p, ok := auth.FromContext(r.Context()); ok {
				return auth.WithPrincipal(ctx, p)
			}
			return ctx
		}))
	return s.guard(h)
}

func (s *Server) resourceURL(r *http.Request) string {
	if s.cfg.Resource != "" {
		return s.cfg.Resource
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Path
}

func (s *Server) metadataURL(r *http.Request) string {
	res := s.resourceURL(r)
	i := strings.Index(res, "://")
	if i < 0 {
		return MetadataPath
	}
	host, path, _ := strings.Cut(res[i+3:], "/")
	return res[:i+3] + host + "/.well-known/oauth-protected-resource/" + path
}

// ResourceMetadata is the RFC 9728 document.
type ResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers,omitempty"`
	ScopesSupported        []string `json:"scopes_supported"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name"`
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	scopes := []string{}
	for _, sc := range auth.Scopes() {
		for _, t := range s.tools {
			if t.scope == sc {
				scopes = append(scopes, string(sc))
				break
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	_ = json.NewEncoder(w).Encode(ResourceMetadata{Resource: s.resourceURL(r), AuthorizationServers: s.cfg.AuthorizationServers,
		ScopesSupported: scopes, BearerMethodsSupported: []string{"header"}, ResourceName: "netagent MCP server"})
}

func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer resource_metadata=%q`, s.metadataURL(r)))
			httpError(w, http.StatusUnauthorized, "unauthorized", "a bearer token is required; see "+s.metadataURL(r))
			return
		}
		if r.Method == http.MethodGet {
			// No standalone stream: mcp-go would hand it notifications
			// meant for a call's own stream, and the client would get a
			// call's progress split over two connections, out of order.
			// Every message of a call travels on its POST's stream.
			w.Header().Set("Allow", "POST, DELETE")
			httpError(w, http.StatusMethodNotAllowed, "method_not_allowed", "netagent offers no standalone SSE stream: each call's progress travels on its POST's stream")
			return
		}
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
			if err != nil {
				httpError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("a JSON-RPC message is at most %d bytes", maxRequestBytes))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			var msg struct {
				Method string `json:"method"`
				Params struct {
					Name string `json:"name"`
				} `json:"params"`
			}
			if json.Unmarshal(body, &msg) == nil && msg.Method == "tools/call" {
				if t, ok := s.tools[msg.Params.Name]; ok && !p.Has(t.scope) {
					w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="insufficient_scope", scope=%q, resource_metadata=%q, error_description=%q`,
						string(t.scope), s.metadataURL(r), "tool "+t.def.Name+" needs scope "+string(t.scope)))
					httpError(w, http.StatusForbidden, "insufficient_scope", fmt.Sprintf("tool %s needs scope %s", t.def.Name, t.scope))
					return
				}
			}
		}
		if r.Method == http.MethodPost {
			// Count the progress notifications written to the session's
			// streams (a session-less request is its own), so that a tool
			// sends its next notification, and answers, once the last one
			// reached the wire (see deliveries).
			sid := r.Header.Get(server.HeaderKeySessionID)
			if sid == "" {
				sid = fmt.Sprintf("request-%d", s.requests.Add(1))
			}
			w = &deliveryWriter{ResponseWriter: w, session: sid, d: s.deliveries}
			r = r.WithContext(context.WithValue(r.Context(), deliveriesKey{}, &deliveryScope{d: s.deliveries, session: sid}))
		}
		next.ServeHTTP(w, r)
	})
}

// deliveriesKey carries a call's *deliveryScope.
type deliveriesKey struct{}

// deliveryScope is where a call's notifications are counted: the server's
// deliveries, under the call's session.
type deliveryScope struct {
	d       *deliveries
	session string
}

// deliveriesFrom returns the delivery scope of the call of ctx, or nil.
func deliveriesFrom(ctx context.Context) *deliveryScope {
	d, _ := ctx.Value(deliveriesKey{}).(*deliveryScope)
	return d
}

// deliveries counts, per session and progress token, the progress
// notifications written to any stream of the session. mcp-go hands a
// session's notifications to whichever of its streams reads them first
// (with calls in parallel, another call's POST) and drops one a POST's
// forwarder holds when that answer goes first. A tool therefore sends its
// next notification only once the last one was written, so they reach the
// client in order, and answers only once all were written. Safe for
// concurrent use.
type deliveries struct {
	mu sync.Mutex // protects m
	m  map[deliveryKey]*delivery
}

type deliveryKey struct{ session, token string }

// delivery is one call's count; its fields are guarded by deliveries.mu.
type delivery struct {
	n       int64
	changed chan struct{} // closed and replaced on every count
}

func newDeliveries() *deliveries { return &deliveries{m: map[deliveryKey]*delivery{}} }

// watch starts counting the notifications of token in session. wait blocks
// until n were written, ctx ends or timeout passes, and reports whether n
// were written; done stops counting.
func (d *deliveries) watch(session, token string) (wait func(ctx context.Context, n int64, timeout time.Duration) bool, done func()) {
	k := deliveryKey{session, token}
	e := &delivery{changed: make(chan struct{})}
	d.mu.Lock()
	d.m[k] = e
	d.mu.Unlock()
	wait = func(ctx context.Context, n int64, timeout time.Duration) bool {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		for {
			d.mu.Lock()
			got, ch := e.n, e.changed
			d.mu.Unlock()
			if got >= n {
				return true
			}
			select {
			case <-ch:
			case <-timer.C:
				return false
			case <-ctx.Done():
				return false
			}
		}
	}
	done = func() {
		d.mu.Lock()
		if d.m[k] == e {
			delete(d.m, k)
		}
		d.mu.Unlock()
	}
	return wait, done
}

var progressMethod = []byte(`"method":"notifications/progress"`)

// record counts the progress notifications in p, written to session: SSE
// events ("data: " lines) over HTTP, or JSON lines over stdio.
func (d *deliveries) record(session string, p []byte) {
	if !bytes.Contains(p, progressMethod) {
		return
	}
	for _, line := range bytes.Split(p, []byte("\n")) {
		data, _ := bytes.CutPrefix(line, []byte("data: "))
		if !bytes.Contains(data, progressMethod) {
			continue
		}
		var msg struct {
			Params struct {
				ProgressToken json.RawMessage `json:"progressToken"`
			} `json:"params"`
		}
		if json.Unmarshal(data, &msg) != nil {
			continue
		}
		d.mu.Lock()
		if e := d.m[deliveryKey{session, string(msg.Params.ProgressToken)}]; e != nil {
			e.n++
			close(e.changed)
			e.changed = make(chan struct{})
		}
		d.mu.Unlock()
	}
}

// deliveryWriter counts the progress notifications written through it.
type deliveryWriter struct {
	http.ResponseWriter
	session string
	d       *deliveries
}

func (w *deliveryWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.d.record(w.session, p[:n])
	return n, err
}

// Flush makes the stream work through the wrapper (mcp-go streams only to
// an http.Flusher).
func (w *deliveryWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *deliveryWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// stdioSession is the session id mcp-go gives the stdio client.
const stdioSession = "stdio"

// stdioWriter counts the progress notifications written to stdout.
type stdioWriter struct {
	w io.Writer
	d *deliveries
}

func (w stdioWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.d.record(stdioSession, p[:n])
	return n, err
}

func httpError(w http.ResponseWriter, code int, kind, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": kind, "error_description": detail})
}
