// Package intent turns what operators want into what devices are told.
//
// An intent is a JSON document: a common envelope (id, kind, targets,
// spec, assure, options, requester) around a kind-specific spec. The kinds
// are interface, static-route, bgp-neighbor and slo; each has a JSON Schema
// (draft 2020-12) embedded in the binary and served by Schema.
//
// Intake checking runs in three stages and each reports every problem it
// finds at once, as {pointer, reason} pairs in an *InvalidError:
//
//  1. syntax (Decode): one JSON value of at most MaxBytes and MaxDepth,
//     valid UTF-8, no duplicate member names, nothing after the value;
//  2. schema: the kind's JSON Schema, with unknown members refused;
//  3. semantic (Compiler): targets exist in the Inventory, and the
//     desired configuration passes yang.Validate (address conflicts,
//     overlapping subnets, next hops that cannot resolve...). Problems
//     already present on a device are not blamed on the intent.
//
// Compilation reads each target's current configuration (Device.Query),
// builds the desired tree, and diffs the two into a Plan: per device the
// typed changes, the changes that undo them and a human-readable diff. An
// intent that is already satisfied plans zero changes, so re-submitting it
// changes nothing.
//
// Service is the one entry point every intake uses (REST in intent/rest,
// Kafka in intent/kafkaintake, files in intent/fileintake, natural language
// in intent/nl, and MCP): it decodes, checks, stores the intent durably
// (internal/store) before acknowledging it, and then plans and applies it in
// the background, recording every lifecycle transition with its time and
// reason. Idempotency is by intent id: submitting an id again with the same
// content returns the stored record and applies nothing; with different
// content it is refused with ErrConflict.
//
// The package does not import the adapters or the lab: it declares what it
// needs (Inventory, Devices, Device, Executor) and the agent wires them in.
// Until the transaction coordinator takes over through Executor, plans are
// applied device by device through Device.Configure, rolling back the
// devices already changed when an atomic intent fails.
//
// Concurrency: Decode, Schema and Compiler are safe for concurrent use.
// Service is safe for concurrent use; its background work runs in Run, which
// blocks until its context ends and waits for the work it started.
package intent
