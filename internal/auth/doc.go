// Package auth owns who may call netagent and with what: the scopes every
// HTTP route declares, the principal chain (an operator, or an agent acting
// on behalf of one, scopes narrowed at each hop) carried in a request's
// context, and the checks that turn a bearer token or a client certificate
// into a principal.
//
// Every HTTP surface (the intent REST API, the peer-agent API of txn, MCP over
// HTTP, /metrics, the lab's admin API) describes itself as a list of Route
// values: a net/http pattern, the Scope it requires and its handler. The
// agent mounts those lists behind one Layer, so a test can walk every route
// and prove each one declares a scope. Public marks the few routes (health,
// version, the OpenAPI document) that stay open; the zero Scope is not
// Public, so a route that forgets its scope is refused (CheckRoutes, and
// Wrap panics on it as http.ServeMux does on a bad pattern).
//
// # The layer
//
// NewLayer takes typed options: WithTokens (the local token file),
// WithJWT (JWTs against a JWKS, issuer and audience bound to this agent,
// exp required, scopes from the scope claim), WithClientCerts (a verified
// TLS client certificate; identity from its netagent://agent/NAME URI SAN
// or common name, scopes from a CertPolicy), WithOnDenied (a hook for the
// audit log: who, route, scope, status, reason, trace id; never the
// credential) and WithLogger. For each request Wrap takes the caller's W3C
// traceparent or starts a trace, echoes it in the response and puts it in
// the context (internal/trace); then, unless the route is Public, it
// authenticates and checks the scope: 401 with a Bearer WWW-Authenticate
// challenge (error="invalid_token" for a bad, expired or revoked one) when
// the credential is missing or bad, 403 with error="insufficient_scope"
// naming the scope when it lacks it, both as RFC 9457 problem+json. A
// certificate and a bearer token together are an agent acting for an
// operator: the principal is the operator narrowed by the agent (Narrow).
//
// # Token file
//
// A JSON document {"version":1,"tokens":[...]}, each entry with id,
// subject, scopes, hash ("sha256:" and the hex SHA-256 of the secret),
// created, expiry and revoked. Secrets are "nat_" and 32 random bytes in
// base64url; only their hash is stored. The file must be mode 0600 (a
// looser mode is refused); it is replaced atomically, and a TokenStore
// re-reads it at most once a second when it changed, so `netagent token
// revoke` takes effect on a running agent within a second. A file that
// turns unreadable refuses every token until fixed (fail closed).
//
// Everything here is safe for concurrent use.
//
// The principal travels with the work: set once at the edge, read with
// FromContext wherever the work goes (the intent record, the transaction,
// the audit entry, the device operation).
package auth
