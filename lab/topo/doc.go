// Package topo reads containerlab topology files (.clab.yml) with the
// syntax containerlab accepts: the lab's name, prefix and mgmt settings;
// its nodes with kind, image, type, group and labels, inheriting node >
// group > kind (the kinds section) > defaults as containerlab does (labels
// and env merged in that order; a node may take its kind from its group);
// startup-config, binds, env and mgmt addresses kept as written; and its
// links, brief ("endpoints: [a:e1, b:e1]", with host:, mgmt-net: and
// macvlan: ends) or extended (type veth, host, mgmt-net, macvlan, vxlan,
// vxlan-stitch, dummy). Environment variables are expanded first
// (${VAR}, $VAR, ${VAR:=default}, ${VAR:-default}; unset without a default
// stays as written).
//
// Every kind and alias containerlab registers is known (Kinds). Parsing is
// strict where a mistake would silently change the lab: a duplicate node,
// a node without a kind, a link naming a node that does not exist or an
// interface used by two links is refused with an *Error that names the
// file and line (errors.Is(err, ErrInvalid)). What the lab can work around
// is a Warning on the Topology: an unknown kind (the lab treats the node as
// a host), an undefined group, an unknown link type (left out); with
// Options.Strict those are errors too. Settings the simulated lab does not
// act on (startup-config, binds, env, exec, license, ...) are Notes, one per
// setting, never errors.
//
// Generate writes leaf-spine topologies of any size for scale runs.
//
// The package holds no state; its functions are safe for concurrent use.
package topo
