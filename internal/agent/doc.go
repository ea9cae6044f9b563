// Package agent wires netagent's services into one running process: the
// HTTP API server (health, and the routes each service registers), the
// simulated lab when no inventory is given, and orderly shutdown.
//
// Run blocks until its context ends, then stops every goroutine it started
// and returns. Services register their routes with Mount (and peer-agent
// routes with MountPeer) before Run.
//
// Every mounted route goes through the auth layer (internal/auth): its
// declared scope is checked on each request, Public routes aside. On first
// start the agent creates an admin token (auth.admin_token_file, mode
// 0600; it logs the file's path, never the secret). Every server it runs
// gets the http.* timeouts, a header size limit and a body size limit; a
// route marked Streaming (Server-Sent Events) lifts the read and write
// deadlines for itself. With auth.tls_cert the API speaks TLS, and with
// auth.client_ca it also admits operator client certificates, scopes from
// auth.cert_scopes. With peer.listen set, a second server speaks
// mutual TLS 1.3 only, admits client certificates of peer.ca naming an
// agent of peer.allow and grants them peer.scopes. SetDenialHook hands
// every refused request to the audit log. The agent's logger is wrapped
// with internal/logging's handler (once, whatever the caller passed), so
// lines logged with a request's or an intent's context carry trace_id and
// principal, and secrets are redacted.
package agent
