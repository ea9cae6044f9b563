package auth

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

// Scope is one permission a caller's credential grants and a route requires.
type Scope string

// The scopes of netagent's APIs. Admin implies every other scope.
const (
	// Public marks a route that needs no credential (health checks). It is
	// not the zero Scope: a route that declares nothing is refused by the
	// Layer (CheckRoutes), so forgetting a scope never opens a route.
	Public Scope = "public"

	IntentsRead    Scope = "intents:read"
	IntentsWrite   Scope = "intents:write"
	DevicesRead    Scope = "devices:read"
	DevicesWrite   Scope = "devices:write"
	TelemetryRead  Scope = "telemetry:read"
	KnowledgeRead  Scope = "knowledge:read"
	KnowledgeWrite Scope = "knowledge:write"
	TxnParticipate Scope = "txn:participate"
	Admin          Scope = "admin"
)

// Scopes lists every scope a credential may carry, Public excluded.
func Scopes() []Scope {
	return []Scope{IntentsRead, IntentsWrite, DevicesRead, DevicesWrite, TelemetryRead,
		KnowledgeRead, KnowledgeWrite, TxnParticipate, Admin}
}

// Route is one HTTP route of a surface: a net/http pattern such as
// "POST /v1/intents", the scope a caller needs for it, and its handler.
type Route struct {
	Pattern string
	Scope   Scope
	Handler http.Handler
	// Streaming marks a route that holds its response open (Server-Sent
	// Events): the server's write timeout is lifted for it, the other
	// timeouts and the auth check still apply.
	Streaming bool
	// Challenge, if set, adds auth-params to the WWW-Authenticate header of
	// this route's 401 and 403 answers (MCP points clients at its
	// Protected Resource Metadata: resource_metadata="...").
	Challenge func(r *http.Request) string
}

// Principal is who a request acts for. An agent acting on behalf of an
// operator has OnBehalfOf set to the operator; its Scopes are never wider
// than the operator's (see Narrow).
type Principal struct {
	// Subject names the caller: a token's subject, a certificate's identity,
	// "file-inbox" for the offline channel.
	Subject string `json:"subject"`
	// Kind is "operator", "agent" or "service".
	Kind string `json:"kind,omitempty"`
	// Scopes are what this hop may do.
	Scopes []Scope `json:"scopes,omitempty"`
	// Via names how the principal was established: "token", "jwt",
	// "mtls", "kafka", "file", "local".
	Via string `json:"via,omitempty"`
	// OnBehalfOf is the principal this one acts for, if any.
	OnBehalfOf *Principal `json:"on_behalf_of,omitempty"`
}

// Has reports whether p may use scope s. Admin grants everything; Public is
// always granted.
func (p Principal) Has(s Scope) bool {
	if s == Public {
		return true
	}
	return slices.Contains(p.Scopes, s) || slices.Contains(p.Scopes, Admin)
}

// Narrow returns the principal agent acting on behalf of p with the scopes
// both have: an agent can never widen what it was given.
func (p Principal) Narrow(agent Principal) Principal {
	var kept []Scope
	for _, s := range agent.Scopes {
		if p.Has(s) {
			kept = append(kept, s)
		}
	}
	on := p
	agent.Scopes = kept
	agent.OnBehalfOf = &on
	return agent
}

// String renders the chain, innermost caller first: "mcp-bot for alice".
func (p Principal) String() string {
	if p.Subject == "" {
		return "anonymous"
	}
	var b strings.Builder
	b.WriteString(p.Subject)
	for q := p.OnBehalfOf; q != nil; q = q.OnBehalfOf {
		b.WriteString(" for ")
		b.WriteString(q.Subject)
	}
	return b.String()
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal ctx carries, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
