package auth

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/netagent/netagent/internal/trace"
)

// Denial is one refused request, handed to the OnDenied hook (the audit log
// records it). It never holds the credential itself.
type Denial struct {
	// Who is the caller as far as it was established: the token's
	// subject and id, a certificate's identity, or "anonymous".
	Who string
	// Route is the pattern of the route asked for, Scope what it requires.
	Route string
	Scope Scope
	// Status is 401 (no or bad credential) or 403 (missing scope).
	Status int
	// Reason says why, for an operator reading the audit log.
	Reason string
	// Remote is the caller's address.
	Remote  string
	TraceID trace.ID
	At      time.Time
}

// errNotAdmitted reports a verified certificate whose identity the layer's
// policy does not admit: authenticated, not authorised (403).
var errNotAdmitted = errors.New("auth: not admitted")

// CertPolicy maps a verified client certificate's identity to the scopes it
// is granted; ok false refuses the certificate (403).
type CertPolicy func(id CertIdentity) (scopes []Scope, ok bool)

// Layer authenticates and authorises every request of a surface. Construct
// it with NewLayer; it is safe for concurrent use.
type Layer struct {
	tokens   *TokenStore
	jwt      *JWTVerifier
	certs    CertPolicy
	onDenied func(context.Context, Denial)
	log      *slog.Logger
	realm    string
}

// Option configures a Layer.
type Option func(*Layer) error

// WithTokens accepts bearer secrets of the token store.
func WithTokens(s *TokenStore) Option {
	return func(l *Layer) error {
		if s == nil {
			return errors.New("auth: WithTokens: nil store")
		}
		l.tokens = s
		return nil
	}
}

// WithJWT accepts JWTs the verifier accepts.
func WithJWT(v *JWTVerifier) Option {
	return func(l *Layer) error {
		if v == nil {
			return errors.New("auth: WithJWT: nil verifier")
		}
		l.jwt = v
		return nil
	}
}

// WithClientCerts accepts verified TLS client certificates (the server's
// tls.Config must verify them: RequireAndVerifyClientCert or
// VerifyClientCertIfGiven) and grants what policy says.
func WithClientCerts(policy CertPolicy) Option {
	return func(l *Layer) error {
		if policy == nil {
			return errors.New("auth: WithClientCerts: nil policy")
		}
		l.certs = policy
		return nil
	}
}

// WithOnDenied calls fn (synchronously, so keep it short) for every refused
// request.
func WithOnDenied(fn func(context.Context, Denial)) Option {
	return func(l *Layer) error { l.onDenied = fn; return nil }
}

// WithLogger logs refusals at info level (never the credential).
func WithLogger(log *slog.Logger) Option {
	return func(l *Layer) error {
		if log != nil {
			l.log = log
		}
		return nil
	}
}

// WithRealm names the protection space in WWW-Authenticate (default
// "netagent").
func WithRealm(realm string) Option {
	return func(l *Layer) error {
		if realm == "" || strings.ContainsAny(realm, "\"\\\r\n") {
			return fmt.Errorf("auth: realm %q is empty or has quotes", realm)
		}
		l.realm = realm
		return nil
	}
}

// NewLayer returns a layer with the given credential sources. A layer with
// none refuses every non-public route.
func NewLayer(opts ...Option) (*Layer, error) {
	l := &Layer{log: slog.New(slog.DiscardHandler), realm: "netagent"}
	for _, o := range opts {
		if err := o(l); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// CheckRoutes reports every route that declares no known scope (a zero
// Scope is not Public: a route must say so).
func CheckRoutes(routes []Route) error {
	var errs []error
	for _, rt := range routes {
		if rt.Scope != Public && !slices.Contains(Scopes(), rt.Scope) {
			errs = append(errs, fmt.Errorf("auth: route %q declares scope %q, not Public nor one of %v", rt.Pattern, rt.Scope, Scopes()))
		}
		if rt.Handler == nil {
			errs = append(errs, fmt.Errorf("auth: route %q has no handler", rt.Pattern))
		}
	}
	return errors.Join(errs...)
}

// Handler returns a mux serving routes, each behind Wrap. It panics on a
// route that declares no known scope, as http.ServeMux panics on a bad
// pattern: both are programming errors CheckRoutes finds in a test.
func (l *Layer) Handler(routes []Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.Pattern, l.Wrap(rt))
	}
	return mux
}

// Wrap returns rt's handler behind the layer: it takes the caller's
// traceparent (or starts a trace) and echoes it, then, unless rt is Public,
// authenticates the caller and checks rt.Scope, answering 401 or 403 as an
// RFC 9457 problem. The principal goes into the request's context
// (FromContext). A Streaming route has the server's write timeout lifted.
func (l *Layer) Wrap(rt Route) http.Handler {
	if err := CheckRoutes([]Route{rt}); err != nil {
		panic(err)
	}
	next := rt.Handler
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		tc, err := trace.Parse(r.Header.Get("traceparent"))
		if err != nil {
			tc = trace.New()
		} else {
			tc.SpanID = trace.New().SpanID // this agent's span, child of the caller's
		}
		ctx = trace.With(ctx, tc)
		w.Header().Set("traceparent", tc.Header())
		if rt.Streaming {
			_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		}
		if rt.Scope == Public {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		p, who, err := l.authenticate(ctx, r)
		if errors.Is(err, errNotAdmitted) {
			l.deny(ctx, w, r, rt, Denial{Who: who, Status: http.StatusForbidden, Reason: err.Error()}, err)
			return
		}
		if err != nil {
			l.deny(ctx, w, r, rt, Denial{Who: who, Status: http.StatusUnauthorized, Reason: err.Error()}, err)
			return
		}
		if !p.Has(rt.Scope) {
			l.deny(ctx, w, r, rt, Denial{Who: who, Status: http.StatusForbidden,
				Reason: fmt.Sprintf("%s lacks scope %s (has %s)", p, rt.Scope, joinScopes(p.Scopes))}, nil)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, p)))
	})
}

// authenticate establishes the principal: a verified client certificate,
// a bearer credential, or both (the certificate's agent acting on behalf
// of the bearer's operator, scopes narrowed to what both may do). who names
// the caller as far as known, for a denial.
func (l *Layer) authenticate(ctx context.Context, r *http.Request) (p Principal, who string, err error) {
	who = "anonymous"
	var cert *Principal
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		leaf := r.TLS.VerifiedChains[0][0]
		id := IdentityOf(leaf)
		who = id.String()
		if l.certs == nil {
			return Principal{}, who, fmt.Errorf("%w: client certificates are not accepted here", errNotAdmitted)
		}
		scopes, ok := l.certs(id)
		if !ok {
			return Principal{}, who, fmt.Errorf("%w: certificate identity %s is not admitted here", errNotAdmitted, id)
		}
		cert = &Principal{Subject: id.Name, Kind: id.Kind, Scopes: scopes, Via: "mtls"}
	}
	raw, err := ParseAuthorization(r.Header.Get("Authorization"))
	if errors.Is(err, ErrNoCredential) && cert != nil {
		return *cert, who, nil
	}
	if err != nil {
		return Principal{}, who, err
	}
	var bearer Principal
	switch {
	case strings.HasPrefix(raw, TokenPrefix) && l.tokens != nil:
		var t Token
		bearer, t, err = l.tokens.Lookup(raw)
		if err != nil && t.ID != "" {
			who = t.Subject + " (token " + t.ID + ")"
		}
	case looksLikeJWT(raw) && l.jwt != nil:
		bearer, err = l.jwt.Verify(ctx, raw)
	default:
		err = ErrUnknownToken
	}
	if err != nil {
		return Principal{}, who, err
	}
	if cert != nil {
		return bearer.Narrow(*cert), cert.Subject + " for " + bearer.Subject, nil
	}
	return bearer, bearer.Subject, nil
}

func (l *Layer) deny(ctx context.Context, w http.ResponseWriter, r *http.Request, rt Route, d Denial, cause error) {
	d.Route, d.Scope, d.Remote, d.TraceID, d.At = rt.Pattern, rt.Scope, r.RemoteAddr, trace.IDFrom(ctx), time.Now().UTC()
	l.log.InfoContext(ctx, "request refused", "status", d.Status, "route", d.Route, "scope", string(d.Scope),
		"who", d.Who, "reason", d.Reason, "remote", d.Remote, "trace_id", string(d.TraceID))
	if l.onDenied != nil {
		l.onDenied(ctx, d)
	}
	p := problem{Instance: r.URL.Path, Status: d.Status, Scope: string(rt.Scope)}
	if d.Status == http.StatusUnauthorized {
		p.Type, p.Title = "/problems/unauthorized", "Unauthorized"
		challenge := `Bearer realm="` + l.realm + `"`
		switch {
		case errors.Is(cause, ErrNoCredential):
			p.Detail = "this route needs a bearer token (Authorization: Bearer ...) or a client certificate"
		case errors.Is(cause, ErrMalformedAuthorization):
			challenge += `, error="invalid_request", error_description="malformed Authorization header"`
			p.Detail = cause.Error()
		default:
			challenge += `, error="invalid_token", error_description="` + tokenReason(cause) + `"`
			p.Detail = "the credential was refused: " + tokenReason(cause)
		}
		if rt.Challenge != nil {
			challenge += ", " + rt.Challenge(r)
		}
		w.Header().Set("WWW-Authenticate", challenge)
	} else {
		p.Type, p.Title = "/problems/forbidden", "Forbidden"
		p.Detail = "this route needs scope " + string(rt.Scope)
		if errors.Is(cause, errNotAdmitted) {
			p.Detail = strings.TrimPrefix(cause.Error(), errNotAdmitted.Error()+": ")
		}
		challenge := `Bearer realm="` + l.realm + `", error="insufficient_scope", scope="` + string(rt.Scope) + `"`
		if rt.Challenge != nil {
			challenge += ", " + rt.Challenge(r)
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(d.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}

// tokenReason says why a credential was refused without echoing it.
func tokenReason(err error) string {
	switch {
	case errors.Is(err, ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, ErrTokenRevoked):
		return "the token was revoked"
	case errors.Is(err, ErrJWT):
		var reason string
		for _, s := range []struct {
			e   error
			why string
		}{{jwt.ErrTokenExpired, "the token has expired"}, {jwt.ErrTokenInvalidAudience, "the token is for another audience"}, {jwt.ErrTokenInvalidIssuer, "the token is from another issuer"}} {
			if errors.Is(err, s.e) {
				reason = s.why
			}
		}
		if reason == "" {
			reason = "the token could not be verified"
		}
		return reason
	case errors.Is(err, ErrTokenFile):
		return "the agent's token file is unreadable; see its log"
	default:
		return "the token is not known"
	}
}

// problem is an RFC 9457 problem detail, the shape the intent API answers
// with; Scope names the scope the route requires.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Scope    string `json:"scope,omitempty"`
}

func joinScopes(s []Scope) string {
	if len(s) == 0 {
		return "no scope"
	}
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = string(x)
	}
	return strings.Join(parts, ",")
}

// CertIdentity is who a certificate names: an agent (a URI SAN
// netagent://agent/NAME, as `netagent pki issue` writes) or, for any other
// certificate, its subject common name as an operator.
type CertIdentity struct {
	Name string
	// Kind is "agent" or "operator".
	Kind string
}

func (id CertIdentity) String() string { return id.Kind + ":" + id.Name }

// AgentURI is the URI SAN naming agent name.
func AgentURI(name string) string { return "netagent://agent/" + name }

// IdentityOf returns the identity a certificate names.
func IdentityOf(c *x509.Certificate) CertIdentity {
	for _, u := range c.URIs {
		if u.Scheme == "netagent" && u.Host == "agent" {
			if name := strings.TrimPrefix(u.Path, "/"); name != "" && !strings.Contains(name, "/") {
				return CertIdentity{Name: name, Kind: "agent"}
			}
		}
	}
	return CertIdentity{Name: c.Subject.CommonName, Kind: "operator"}
}
