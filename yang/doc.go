// Package yang is netagent's canonical device model: the part of OpenConfig
// that netagent configures, its validation, the diff of two configurations
// into ordered typed changes, and the encoders and decoders that every
// protocol adapter and the simulated lab use.
//
// # The model
//
// A device's configuration is a Tree: a set of leaves addressed by gNMI-style
// paths (/interfaces/interface[name=eth1]/config/mtu) holding canonical values
// (string, bool, uint64). The schema (Root) is a subset of OpenConfig:
//
//	/interfaces/interface[name]/config/{name,type,mtu,description,enabled}
//	  /subinterfaces/subinterface[index]/config/index
//	  /subinterfaces/subinterface[index]/ipv4/addresses/address[ip]/config/{ip,prefix-length}
//	/network-instances/network-instance[name=DEFAULT]/config/{name,type}
//	  /protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix]
//	    /config/prefix, /next-hops/next-hop[index]/config/{index,next-hop}
//	    /next-hops/next-hop[index]/interface-ref/config/interface
//	  /protocols/protocol[identifier=BGP][name=BGP]/bgp/global/config/{as,router-id}
//	    /bgp/neighbors/neighbor[neighbor-address]/config/{neighbor-address,peer-as,enabled,description}
//
// A next hop is an IPv4 address, DROP (blackhole) or LOCAL_LINK, and/or an
// interface. The schema table is written out here rather than reflected from
// ygot's generated structs so that this package stays light to compile and
// fast; package yang/oc proves, node by node, that it matches the OpenConfig
// schema of ygot's exampleoc and that the RFC 7951 JSON it writes is the JSON
// ygot writes. Code that needs the ygot structs themselves converts with
// yang/oc (ToDevice, FromDevice), the only package that imports exampleoc.
//
// Trees are normalised: setting any leaf below a list entry creates the
// entry's key leaves and their config/ copies, so an entry exists exactly
// when its key leaf does.
//
// # Validation
//
// Validate checks every leaf's type, range and format, then the semantic
// rules listed on it (addresses on two interfaces, overlapping subnets, a
// next hop inside its own route's prefix, BGP neighbours without AS numbers,
// ...). It reports every problem at once as a *ValidationError, each naming
// the path and the reason:
//
//	/interfaces/interface[name=eth1]/config/mtu: 99999 is above the maximum 65535
//
// Decoders validate what they decode and return no tree on error: no
// partial tree is ever returned as valid.
//
// # Diff and change order
//
// Diff(from, to) returns the changes that turn one tree into the other:
// first every deletion in reverse canonical order (static routes and BGP
// neighbours before the interfaces and addresses they depend on, a leaf
// before its entry), then creations and updates in canonical order (an entry
// before its leaves, interfaces before routes). A deleted entry is a single
// change. Apply replays changes; Invert gives the changes that undo them.
//
// # Encodings
//
//   - gNMI: EncodeSetRequest (RFC 7951 JSON_IETF values, identities
//     module-qualified), ApplySetRequest (atomic), EncodeJSONIETF,
//     DecodeNotifications.
//   - NETCONF, OpenConfig namespaces: EncodeEditConfig (merge; deletions with
//     nc:operation="delete"), EncodeTreeXML, DecodeConfigXML, and for servers
//     DecodeEdit + Tree.ApplyEdit (RFC 6241 merge, replace, create, delete,
//     remove, none) and FilterXML (subtree filters).
//   - NETCONF, IETF modules (ietf-interfaces, ietf-ip, ietf-routing with
//     ietf-ipv4-unicast-routing): EncodeEditConfigIETF, DecodeConfigXMLIETF.
//
// # OpenConfig to IETF mapping
//
//	OpenConfig (canonical)                              IETF
//	/interfaces/interface[name=N]                       /if:interfaces/interface[name=N] (type ianaift:ethernetCsmacd when created without one)
//	  config/type                                       type (iana-if-type identity)
//	  config/description, config/enabled                description, enabled
//	  config/mtu                                        ip:ipv4/mtu (IETF has no L2 MTU; the IPv4 MTU is the nearest)
//	  subinterfaces/subinterface[index=0]               the interface itself
//	    ipv4/addresses/address[ip=A]/config/prefix-length   ip:ipv4/address[ip=A]/prefix-length
//	  subinterface[index!=0]                            not mappable (ErrNotMappable)
//	/network-instances/network-instance[name=DEFAULT]   /rt:routing (implicit)
//	  protocol[STATIC][STATIC]                          control-plane-protocols/control-plane-protocol[type=rt:static][name=static]
//	    static[prefix=P]                                  static-routes/v4ur:ipv4/route[destination-prefix=P]
//	      next-hop[index=I]/config/next-hop=A             next-hop/next-hop-list/next-hop[index=I]/next-hop-address=A
//	      next-hop[index=I]/interface-ref/.../interface   next-hop/next-hop-list/next-hop[index=I]/outgoing-interface
//	      next-hop[...]/config/next-hop=DROP              next-hop/special-next-hop=blackhole
//	      next-hop=LOCAL_LINK                             not mappable
//	  protocol[BGP][BGP]                                not mappable: no IETF BGP model is ratified
//	  network-instance[name!=DEFAULT]                   not mappable
//
// When decoding IETF data, a simple next hop (next-hop-address or
// outgoing-interface directly under next-hop) becomes next hop index 0.
//
// # Contracts
//
// Functions are pure and safe for concurrent use. A Tree is not safe for
// concurrent mutation. Paths are values: Path methods never alias their
// receiver. Nothing here blocks, so nothing takes a context.
package yang
