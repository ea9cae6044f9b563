// Package benchops is the operations netagent's adapter benchmarks measure,
// shared by the lab benchmarks of each protocol package, the interop
// benchmarks against real servers and the ratios run (TestInteropRatios), so
// every figure and every ratio is of the same operation:
//
//   - NETCONF and gNMI: set eth1's MTU (MTU), as lock + edit-config +
//     commit + unlock on one warm session (Wire.Op on the bare stack the
//     adapter runs on: x/crypto/ssh and the RFC 6242 framer; NetconfOp for
//     bare scrapligo, which it ran on before);
//   - CLI: move static route 198.51.100.0/24 to the other of two next hops
//     (RouteMove; RouteMoveLines are the two vtysh lines bare scrapligo sends).
//
// The bare scrapligo drivers (Netconf, Vtysh) use scrapligo's own standard
// transport with a strict known_hosts check: the floor of netagent's stack.
// The Python loops (NcclientLoop, NetmikoLoop) do the same operation and
// print ops/s measured in Python, so the interpreter's start-up is not
// counted; PythonOps (interop builds only) runs one.
//
// Helpers take a testing.TB and report failures through it; they run in the
// benchmark's goroutine.
package benchops
