// Package gnmisrv is the lab's gNMI server for one simulated device, on a
// shared datastore.Store: Capabilities, Get (configuration as JSON_IETF,
// state as scalar typed values), Set (atomic, validated, refused with
// Aborted while a NETCONF session holds a lock; with the
// commit-confirmed extension it reverts by itself unless confirmed in time:
// AlreadyExists while another is pending, FailedPrecondition for an unknown
// id) and Subscribe (ONCE,
// POLL, STREAM with SAMPLE, ON_CHANGE and TARGET_DEFINED). Subscription
// paths may use "*" element names and key values and "...".
//
// Every RPC checks the "username" and "password" metadata (Unauthenticated
// otherwise) and then the device's faults (hang, latency). Errors carry gRPC
// codes: InvalidArgument for bad paths and invalid configuration, NotFound
// for Get of nothing. A refused Set applied nothing, and its code says why:
// Aborted for a lock conflict (gRPC's code for a concurrency conflict: retry
// once the holder is done), FailedPrecondition for an injected commit
// rejection (Aborted when its error-tag is lock-denied or in-use,
// InvalidArgument for tags about the request's content). Unavailable is kept
// for what the transport did: a drop-commit fault (applied, then the reply
// lost) and a server stopping, so a client can tell "nothing applied, retry
// later" from "connection lost, outcome unknown".
//
// A Set that has started is not aborted by its client going away (a
// cancelled or expired context, a closed connection): under the
// slow-commit fault it waits its delay and lands, as a real device
// completes a commit it has begun. The hang and latency faults hold a
// request before it starts, so a client giving up ends those at once.
//
// Serve blocks until Close; Close aborts a Set still waiting and ends
// every stream. Server is safe for concurrent use.
package gnmisrv
