//
//	TwoNode    two-node.clab.yml: r1 (nokia_srlinux: gNMI, NETCONF) and
//	           r2 (linux: FRR CLI) joined by r1:e1-1 -- r2:eth1
//	LeafSpine  leaf-spine.clab.yml: 2 spines, 4 leaves (SR Linux, cEOS, FRR)
//
// The byte slices are shared: callers must not modify them.
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
