// Package auth owns who may call netagent and with what: the scopes every
// HTTP route declares, the principal chain (an operator, or an agent acting
// on behalf of one, scopes narrowed at each hop) carried in a request's
// context, and the checks that turn a bearer token or a client certificate
// into a principal.
//
// Every HTTP surface (the intent REST API, the peer-agent API of txn, MCP over
// HTTP, /metrics, the lab's admin API) describes itself as a list of Route
// values: a net/http pattern, the Scope it requires and its handler. The
// agent mounts those lists behind one authentication layer, so a test can
// walk every route and prove each one declares a scope. Public marks the
// few routes (health) that stay open.
//
// The principal travels with the work: set once at the edge, read with
// FromContext wherever the work goes (the intent record, the transaction,
// the audit entry, the device operation).
package auth
