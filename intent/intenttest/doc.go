// Package intenttest provides an in-memory network for testing intake,
// compilation and the lifecycle without the simulated lab: a set of devices,
// each holding a *yang.Tree, that satisfies intent.Inventory and
// intent.Devices.
//
// It is not a mock of the network protocols (those are tested against the
// lab); it applies changes with yang.Apply and validates the result with
// yang.Validate, all or nothing, as a device with a candidate datastore
// would. Tests that need the real protocol stack replace NewNetwork with the
// adapters' inventory in one constructor call.
//
// A Network is safe for concurrent use.
package intenttest
