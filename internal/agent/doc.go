// Package agent wires netagent's services into one running process: the
// HTTP API server (health, and the routes each service registers), the
// simulated lab when no inventory is given, and orderly shutdown.
//
// Run blocks until its context ends, then stops every goroutine it started
// and returns. Services register HTTP routes with Handle before Run.
package agent
