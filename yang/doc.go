// Package yang is netagent's canonical device model: the part of OpenConfig
// that netagent configures, its validation, the diff of two configurations
// into typed changes, and the encoders and decoders every protocol adapter
// uses.
//
// Full package documentation (the model, the mapping tables, the ordering
// rules) is being written with the encoders; see the functions' comments.
package yang
