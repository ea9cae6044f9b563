// Package topo reads containerlab topology files (.clab.yml): the lab's
// name, its nodes with kind, image and labels (inheriting the defaults and
// kinds sections), and its links as "node:interface" endpoint pairs.
//
// Parsing is strict where a mistake would silently change the lab: an
// unknown kind, a duplicate node, a link naming a node that does not exist
// or an interface used by two links is refused with an *Error that names
// the file and line (errors.Is(err, ErrInvalid)). Everything else
// containerlab accepts (mgmt, startup-config, binds, ...) is ignored.
//
// Generate writes leaf-spine topologies of any size for scale runs.
//
// The package holds no state; its functions are safe for concurrent use.
package topo
