// Package oc binds netagent's canonical model (package yang) to ygot's
// generated OpenConfig Go structs (github.com/openconfig/ygot/exampleoc).
//
// It converts trees to and from *exampleoc.Device, runs ygot's schema
// validation on top of yang.Validate's semantic rules, and (in its tests)
// proves that yang's schema table matches the generated OpenConfig schema
// node for node, and that yang's RFC 7951 encoder agrees with ygot's.
//
// exampleoc is about 30 MB of generated Go: compiling it takes over a minute
// and 3 GB once, and every test binary that links it pays seconds of link
// time. So only this package imports it; everything else works on yang.Tree,
// whose schema table is checked against exampleoc here. Import this package
// only where ygot's own validation or structs are needed (the intent
// compiler), never from adapters, the lab or the transports.
//
// Functions are safe for concurrent use; they share no state.
package oc
