// Package fleet connects the intent service to real devices: the
// adapters' inventory (names and labels) and device pool (one failover
// device per inventory entry, sessions shared with transactions and
// telemetry). It is the one constructor that replaces the in-memory
// intenttest.Network when the agent runs against the simulated lab,
// containerlab or real gear:
//
//	f := fleet.New(inv, pool)
//	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: f, Devices: f})
//
// A Fleet is safe for concurrent use; the pool owns the device sessions
// and closes them.
package fleet
