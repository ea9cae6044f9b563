// Package topologies embeds the containerlab topologies shipped with the
// simulated lab, so tests and `netagent serve` can start them without
// knowing where the repository is:
//
//	TwoNode    two-node.clab.yml: r1 (nokia_srlinux: gNMI, NETCONF) and
//	           r2 (linux: FRR CLI) joined by r1:e1-1 -- r2:eth1
//	LeafSpine  leaf-spine.clab.yml: 2 spines, 4 leaves (SR Linux, cEOS, FRR)
//
// The byte slices are shared: callers must not modify them.
package topologies
