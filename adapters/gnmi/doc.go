// Package gnmi is the gNMI adapter: openconfig/gnmi's protobuf client over
// gRPC, with TLS or mutual TLS (the Target's tls.Config) and the
// username/password sent as per-RPC metadata.
//
// Configure is one SetRequest (JSON_IETF values, deletes first): gNMI
// applies it atomically, so a refused Set changed nothing and its error is
// Retryable; a Set that timed out is not. Aborted (the configuration is
// locked by another session) and ResourceExhausted are ErrLocked, which
// failover retries once the holder is done; Unavailable is ErrUnreachable,
// DeadlineExceeded and Canceled ErrTimeout, the other refusals ErrRejected. Query is a Get of type CONFIG;
// Monitor a STREAM subscription (SAMPLE or ON_CHANGE) on any path, state
// and counters included; Ping is Capabilities.
//
// Transactions: Prepare reads the running configuration (the snapshot
// Rollback restores) and validates the change applied to it with
// netagent's model (gNMI has no candidate). Commit uses the
// commit-confirmed extension (gnmi_ext.Commit, id = tx) when the target
// announced it in its CapabilityResponse extensions; Confirm and Abort
// send its confirm and cancel actions. Without the extension, Commit is a
// plain Set and Rollback sets the inverse of the change.
//
// Concurrency: an Adapter is safe for concurrent use; one writer (a
// Configure, or a transaction from Prepare to its end) at a time. Close
// closes the gRPC connection.
package gnmi
