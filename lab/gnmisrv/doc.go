// Package gnmisrv is the lab's gNMI server for one simulated device, on a
// shared datastore.Store: Capabilities, Get (configuration as JSON_IETF,
// state as scalar typed values), Set (atomic, validated, refused with
// Unavailable while a NETCONF session holds a lock; with the
// commit-confirmed extension it reverts by itself unless confirmed in time:
// AlreadyExists while another is pending, FailedPrecondition for an unknown
// id) and Subscribe (ONCE,
// POLL, STREAM with SAMPLE, ON_CHANGE and TARGET_DEFINED). Subscription
// paths may use "*" element names and key values and "...".
//
// Every RPC checks the "username" and "password" metadata (Unauthenticated
// otherwise) and then the device's faults (hang, latency). Errors carry gRPC
// codes: InvalidArgument for bad paths and invalid configuration, NotFound
// for Get of nothing, Aborted for an injected commit rejection.
//
// Serve blocks until Close; Close ends every stream. Server is safe for
// concurrent use.
package gnmisrv
