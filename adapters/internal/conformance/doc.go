// Package conformance is the one suite every protocol adapter runs against
// the simulated lab, and the lab fixtures and session checks the adapter
// packages' tests share. It is imported only by tests (it uses testing and
// starts lab devices on loopback).
//
// # The suite
//
// Run opens an adapter with the caller's Opener on a device of Topology
// (one device per protocol personality) and checks, as subtests: configure
// and read back every construct of the yang model (Constructs), one
// subtree read back, prepare/commit/confirm, abort, rollback after commit
// and after confirm, and, where Options.ConfirmTimer says the adapter's
// commits revert by themselves, a confirm timer left to expire. Every
// check reads the device's own datastore (lab.Running) as well as Query,
// so an adapter cannot pass by agreeing with itself. Options.Skip names
// constructs a platform cannot express, with the reason, which the table
// shows instead of a failure.
//
// Run returns one Result per check; Table renders them as the Markdown
// table of the adapters package doc, and WriteTable logs it and appends it
// to the file named by NETAGENT_CONFORMANCE_OUT when that is set.
//
// # Fixtures and shared checks
//
// StartLab starts Topology in a temporary directory and loads its
// inventory; both are cleaned up with the test. Target returns a device's
// target for one protocol (RPC and commit timeouts of 10s), and Open an
// adapter on it that is closed with the test.
// HostKeyRefused checks that an SSH adapter's dial to a device whose host
// key changed is refused before any credential is sent; NoLeaks checks
// that an adapter's sessions, closed normally or killed mid-operation by a
// cancelled ctx on a hung device, leave no goroutines behind. In interop
// builds, ServerTarget is the target of a real server that make interop
// started.
//
// Every helper reports through t (t.Fatal from the test goroutine only)
// and leaves the lab as it found it: faults it injects are cleared.
package conformance
