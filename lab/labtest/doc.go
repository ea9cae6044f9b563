// Package labtest starts the simulated lab for tests of the packages above
// it: a topology in a temporary directory, its inventory loaded, and a
// session pool over the adapters netagent ships; everything is closed when
// the test ends. It holds no fakes: what it returns talks to the lab over
// NETCONF, gNMI and SSH on loopback.
package labtest
