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
// Configuration cache: each device's configuration is kept as the agent
// last saw it, under a version (intent.VersionedDevice): reads are served
// from it while fresh (DefaultCacheTTL, NewWithTTL), so dry runs do not
// read the device every time; the agent's own writes (Configure, and the
// transaction phases) give a new version and drop it; a re-read that finds
// the device changed gives a new version; Invalidate is for out-of-band
// changes the agent sees elsewhere. Plans state the version they were
// computed against, and the intent worker executes the accept-time plan
// while the version holds. Dry runs may miss an out-of-band change nobody
// reported for up to one TTL; applying does not: the worker reads afresh
// (intent.WithFreshReads), right before it applies, the nodes the
// intent's configuration consists of on every targeted device, and a
// read that differs from what the plan was computed from gives a new plan.
//
// A Fleet is safe for concurrent use; the pool owns the device sessions
// and closes them.
package fleet
