// Package topologies embeds the lab's example containerlab topologies, so
// that `netagent serve` can start the simulated lab with no file at hand.
// The same files work with containerlab itself.
package topologies

import _ "embed"

// TwoNode is two-node.clab.yml: the lab `netagent serve` starts by default.
//
//go:embed two-node.clab.yml
var TwoNode []byte

// LeafSpine is leaf-spine.clab.yml: two spines and four leaves.
//
//go:embed leaf-spine.clab.yml
var LeafSpine []byte
