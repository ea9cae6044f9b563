//go:build interop

// Package interop starts real servers that netagent did not write, for the
// tests behind the `interop` build tag (`make interop`): yuma123's netconfd
// behind OpenSSH, FRR's zebra and staticd in a network namespace reached
// through vtysh over OpenSSH, and gnxi's gNMI target. It also runs the
// independent Python clients (ncclient, netmiko) from Debian.
//
// scripts/interop.sh installs the Debian packages and builds gnmi_target
// before the tests run. A server that is missing is a test failure, never a
// skip: CI must not go green on a suite that did not run.
//
// Every server listens on 127.0.0.1 (FRR's interfaces live in a network
// namespace the test creates), is started as a child process whose PID the
// test owns, and is stopped by t.Cleanup. The tests run as root (they
// create a login user and a network namespace). One netconfd and one FRR
// may run at a time per machine: both use fixed socket paths.
package interop
