// Package topologies embeds the lab's example containerlab topologies, so
// that `netagent serve` can start the simulated lab with no file at hand.
// The same files work with containerlab itself. It holds data only.
package topologies
