package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

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
		{Pattern: "GET " + Path, Scope: auth.IntentsRead, Handler: h, Challenge: ch, Streaming: true},
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
			// Count the progress notifications written to this POST's
			// stream, so that a tool answers only once its progress
			// reached the wire (see delivered).
			dw := &deliveryWriter{ResponseWriter: w}
			w, r = dw, r.WithContext(context.WithValue(r.Context(), deliveredKey{}, &dw.progress))
		}
		next.ServeHTTP(w, r)
	})
}

// deliveredKey carries the count of progress notifications written to the
// response of the request.
type deliveredKey struct{}

// delivered returns the count of progress notifications written so far to
// the HTTP response of the call of ctx, or nil over stdio. mcp-go's
// streamable HTTP server forwards notifications to the POST's stream from
// another goroutine and drops one it holds when the answer goes first; a
// tool waits on this count before answering, so none is lost.
func delivered(ctx context.Context) *atomic.Int64 {
	n, _ := ctx.Value(deliveredKey{}).(*atomic.Int64)
	return n
}

// deliveryWriter counts the progress notifications written through it.
type deliveryWriter struct {
	http.ResponseWriter
	progress atomic.Int64
}

var progressMethod = []byte(`"method":"notifications/progress"`)

func (w *deliveryWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	if c := bytes.Count(p[:n], progressMethod); c > 0 {
		w.progress.Add(int64(c))
	}
	return n, err
}

// Flush makes the stream work through the wrapper (mcp-go streams only to
// an http.Flusher).
func (w *deliveryWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *deliveryWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func httpError(w http.ResponseWriter, code int, kind, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": kind, "error_description": detail})
}
