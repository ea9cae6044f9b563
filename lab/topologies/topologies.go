package topologies

import _ "embed"

// TwoNode is two-node.clab.yml.
//
//go:embed two-node.clab.yml
var TwoNode []byte

// LeafSpine is leaf-spine.clab.yml.
//
//go:embed leaf-spine.clab.yml
var LeafSpine []byte
