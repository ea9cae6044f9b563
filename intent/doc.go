// Package intent turns what operators want into what devices are told.
//
// # Intents
//
// An intent is a JSON document: a common envelope (id, kind, targets,
// spec, assure, options, requester) around a kind-specific spec. The kinds
// are interface (enabled, description, mtu, type, IPv4 addresses),
// static-route, bgp-neighbor and slo (an assurance objective: metric,
// comparison, target, window, scope). Each kind has a JSON Schema (draft
// 2020-12) embedded in the binary and served by Schema. Targets are device
// names or a label selector; options are dry_run, confirm_timeout, atomic
// (all devices or none, the default; false applies per device) and soak.
// The id is the idempotency key; one is assigned when absent.
//
// # Checking
//
// Intake checking runs in three stages and each reports every problem it
// finds at once, as {pointer, reason} pairs (RFC 6901 pointers into the
// submitted document, reasons in plain words) in an *InvalidError:
//
//  1. syntax (Decode): one JSON value of at most MaxBytes and MaxDepth,
//     valid UTF-8, no duplicate member names, nothing after the value;
//  2. schema: the kind's JSON Schema, with unknown members refused. The
//     authority is santhosh-tekuri/jsonschema/v6, which reports the errors;
//     a small evaluator of the same schema documents answers first on the
//     hot path and may only say "valid" when it is certain (otherwise the
//     authority decides). FuzzSchemaAgreement checks that it never accepts
//     what the authority refuses;
//  3. semantic (Compiler): targets exist in the Inventory, and the
//     desired configuration passes yang.Validate (address conflicts,
//     overlapping subnets, network and broadcast addresses, next hops that
//     cannot resolve, neighbours that are the device itself...). Problems
//     already present on a device are not blamed on the intent.
//
// # Compiling
//
// Compilation reads each target's current configuration (Device.Query),
// builds the desired tree, and diffs the two into a Plan: per device the
// typed changes, the changes that undo them and a human-readable diff. An
// intent that is already satisfied plans zero changes, so re-submitting it
// changes nothing. An interface intent without addresses reads only its
// interface and, for an existing interface, compares its few leaves
// directly (TestInterfaceSettingsMatchGeneral proves the plans identical to
// the general path's); everything else reads the whole configuration so the
// model's cross-leaf rules see everything.
//
// # Lifecycle
//
// Service is the one entry point every intake uses (REST in intent/rest,
// Kafka in intent/kafkaintake, files in intent/fileintake, natural language
// in intent/nl, and MCP). SubmitIntent checks and plans the intent and
// stores it durably (internal/store, SQLite) before it returns; Run then
// applies it under the devices' locks. One plan per intent: the plan
// computed at accept time is the one executed while every device's
// configuration version (VersionedDevice; each DevicePlan states the one
// it was computed against) is unchanged and a fresh read, just before
// applying, of the part of each device's configuration the intent
// concerns still finds what the plan was computed from (so a change made
// out of band between accept and apply is seen, whatever a cache holds);
// it is computed again, from fresh reads, only when a device changed in
// between, or after a restart. States:
// accepted, planned, applying, applied, failed, rolled-back; then assured,
// drifted, breached (set by assurance through Transition; Reconcile
// re-applies a drifted intent); and withdrawing, withdrawn (Withdraw
// removes what the intent configured and holds alone, planned against the
// devices' configuration at withdraw time; PlanWithdraw is its dry run).
//
// # Ownership
//
// Every node an intent's configuration involves is a claim in the store
// (own.go): which intents hold which device path, with the value each set
// and the value it replaced, in the order they were taken. Withdraw
// removes a node only when no other intent holds it and netagent created
// it, restores a changed leaf only when it still holds the intent's value
// and no later intent changed it, and lists what it keeps and why
// (DevicePlan.Kept). Specs with "ensure": "absent" (static routes, BGP
// neighbours, interface addresses) remove configuration whoever created
// it, and say so in the plan (DevicePlan.Notes).
// Every transition is stored with its time and reason, and Subscribe
// hears of each one (the Kafka intake publishes outcomes with it; progress
// streams and audit can too). After a restart,
// Run resumes every pending intent; one that was being applied is planned
// again against what the devices hold, so nothing is applied twice.
// Device errors while planning are retried with backoff before the intent
// fails. Submitting an id again with the same content returns the stored
// record and applies nothing; with different content, ErrConflict.
//
// The package does not import the adapters or the lab: it declares what it
// needs (Inventory, Devices, Device, Executor); intent/fleet adapts the
// adapters' inventory and pool, intent/intenttest is an in-memory network
// for tests. Until the transaction coordinator takes over through
// Executor, DeviceExecutor applies plans device by device with
// Device.Configure and, for an atomic intent, rolls back the devices
// already changed when one fails.
//
// # Errors and concurrency
//
// Refusals are *InvalidError (errors.Is ErrInvalid; ErrMalformed and
// ErrTooLarge for syntax); ErrNotFound and ErrConflict are sentinels;
// a device failing while planning is a *DeviceError (device, phase,
// cause; Timeout and Permanent classify it: refused credentials and host
// keys are not retried); store errors are wrapped with the intent named.
// A device whose platform cannot set a leaf (Limiter) gets a plan refused
// naming the device and the reason.
// Decode, Schema and Compiler are safe for concurrent use. Service is safe
// for concurrent use; its background work runs in Run, which blocks until
// its context ends and waits for the work it started.
package intent
