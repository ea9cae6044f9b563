// Package mcp serves netagent's network operations to peer AI agents over
// the Model Context Protocol: tools (list devices, read configuration and
// state, set an interface, add or remove a static route, set a BGP
// neighbour, plan, submit, inspect and withdraw intents, a transaction's
// status, parse a natural-language request, query telemetry, search the
// knowledge base) and
// resources (the inventory, the intent schemas, an intent's record).
//
// The package holds no network logic: every tool calls the same services
// the REST API does, through small interfaces declared here (Intents,
// Devices, Parser, and the optional Telemetry, Knowledge and Transactions).
// A tool whose optional service is nil is not offered.
//
// Invariants:
//   - Every tool's arguments are validated against its published input
//     schema before the handler runs; refusals name the argument as an RFC
//     6901 pointer ("/mtu: must be >= 68"), like the REST API's problems.
//   - Writes are two-step unless Config.DirectApply is set: a write tool
//     (or plan_intent) called without a confirmation token only plans and
//     returns the diff with a token bound to that plan, the device
//     configuration it was computed from, the caller and an expiry; calling
//     again with the token recomputes the plan and applies only if its
//     digest is unchanged. A token for another intent or caller, an expired
//     or forged token, or devices changed since the plan are refused.
//     withdraw_intent is two-step the same way: it first shows what
//     withdrawing undoes, with a token bound to the record it showed.
//   - Every call is authorised per tool (read tools need intents:read or
//     devices:read, writes intents:write) against the auth.Principal in the
//     context, or Config.Local for the stdio transport, and audited (slog
//     and Config.Audit) with the principal, on whose behalf, the tool and the
//     intent it produced.
//
// Transports: ServeStdio (netagent mcp), Routes, the streamable HTTP
// endpoint at /mcp with its Protected Resource Metadata (RFC 9728), and
// Bridge, which relays stdio to a running agent's /mcp (netagent mcp
// --url) without following redirects. Over
// HTTP a request without a principal gets 401 with WWW-Authenticate
// pointing at the metadata, a tools/call the principal lacks the scope for
// gets 403 insufficient_scope naming the scope.
//
// Over HTTP there is no standalone GET stream (405, as the specification
// allows): mcp-go hands a session's notifications to whichever stream
// reads first, so a call's progress would be split over two connections
// and reach the client out of order.
//
// Progress: a write called with a progress token gets the intent's
// lifecycle steps and, with Config.Steps, each device's steps of the
// change (DeviceSteps, fed by the device executor; TxnSteps, fed by the
// transaction's progress stream), between "change started" and "change
// ended" markers. Each notification is sent once the previous one was
// written to the call's stream (counted per session and progress token as
// the bytes go out, over HTTP and stdio), and the answer waits for the
// final state's step, the end of every change begun and the last write
// (stepWait, 10s, at most), so a client sees every step, in order, before
// the answer.
//
// Concurrency: a Server is safe for concurrent use. Tool handlers run on
// the caller's context; a write that waits for its intent stops waiting
// (the intent goes on) when that context ends. Progress notifications are
// sent from a goroutine the call owns and stops, fed by the intent
// service's events and the device steps through a bounded buffer (steps
// are dropped, never block the service).
package mcp
