package yang

import (
	"sort"
	"strings"
)

// Namespaces of the modules the canonical model uses.
const (
	NSInterfaces      = "http://openconfig.net/yang/interfaces"
	NSIfIP            = "http://openconfig.net/yang/interfaces/ip"
	NSNetworkInstance = "http://openconfig.net/yang/network-instance"
	NSPolicyTypes     = "http://openconfig.net/yang/policy-types"
	NSNIType          = "http://openconfig.net/yang/network-instance-types"
	NSIANAIfType      = "urn:ietf:params:xml:ns:yang:iana-if-type"
	NSLocalRouting    = "http://openconfig.net/yang/local-routing"
)

// Module names, as RFC 7951 JSON qualifies top-level members and identities.
const (
	ModInterfaces      = "openconfig-interfaces"
	ModIfIP            = "openconfig-if-ip"
	ModNetworkInstance = "openconfig-network-instance"
	ModPolicyTypes     = "openconfig-policy-types"
	ModNIType          = "openconfig-network-instance-types"
	ModIANAIfType      = "iana-if-type"
	ModLocalRouting    = "openconfig-local-routing"
)

// Well-known keys of the default network instance and its protocols.
const (
	DefaultInstance = "DEFAULT"
	StaticProtocol  = "STATIC"
	BGPProtocol     = "BGP"
)

// Type is the YANG base type of a leaf in the canonical model.
type Type uint8

// Leaf types. Integers are held as uint64 whatever their width.
const (
	TypeString Type = iota + 1
	TypeBool
	TypeUint8
	TypeUint16
	TypeUint32
	TypeUint64
	TypeIPv4       // ietf-inet-types ipv4-address (no zone)
	TypeIPv4Prefix // ietf-inet-types ipv4-prefix
	TypeIdentity   // identityref: the value is the identity name without prefix
	TypeNextHop    // union of an IP address and the LOCAL_DEFINED_NEXT_HOP enumeration
)

func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeBool:
		return "boolean"
	case TypeUint8:
		return "uint8"
	case TypeUint16:
		return "uint16"
	case TypeUint32:
		return "uint32"
	case TypeUint64:
		return "uint64"
	case TypeIPv4:
		return "ipv4-address"
	case TypeIPv4Prefix:
		return "ipv4-prefix"
	case TypeIdentity:
		return "identityref"
	case TypeNextHop:
		return "next-hop union"
	}
	return "unknown"
}

// Kind says whether a schema node is a container, a list or a leaf.
type Kind uint8

// Node kinds.
const (
	KindContainer Kind = iota + 1
	KindList
	KindLeaf
)

// Schema is one node of the canonical model's schema: the subset of
// OpenConfig that netagent configures. TestSchemaMatchesOpenConfig in yang/oc
// checks every node against ygot's generated schema so the two cannot drift.
type Schema struct {
	Name   string
	Kind   Kind
	Module string // module whose namespace the node is in
	NS     string
	Keys   []string // list keys, in schema order
	Type   Type
	Min    uint64 // for integer leaves: the range; for strings: length
	Max    uint64
	// IdentityModule and IdentityNS qualify identityref values.
	IdentityModule string
	IdentityNS     string
	Identities     []string // allowed identity or enum values, empty means any
	Default        any      // the YANG default, nil when none

	Parent   *Schema
	Children []*Schema
	index    int // position among its parent's children: defines canonical order
	byName   map[string]*Schema
}

// Child returns the child schema node called name, or nil.
func (s *Schema) Child(name string) *Schema {
	if s == nil {
		return nil
	}
	return s.byName[name]
}

// IsKey reports whether leaf s is a key of its parent list.
func (s *Schema) IsKey() bool {
	if s.Kind != KindLeaf || s.Parent == nil || s.Parent.Kind != KindList {
		return false
	}
	for _, k := range s.Parent.Keys {
		if k == s.Name {
			return true
		}
	}
	return false
}

// isKeyCopy reports whether leaf s is the config/ copy of a list key.
func (s *Schema) isKeyCopy() bool {
	if s.Kind != KindLeaf || s.Parent == nil || s.Parent.Name != "config" || s.Parent.Parent == nil || s.Parent.Parent.Kind != KindList {
		return false
	}
	k := s.Parent.Parent.Child(s.Name)
	return k != nil && k.IsKey()
}

// Root is the schema of the whole device.
var Root = buildSchema()

func container(name string, children ...*Schema) *Schema {
	return &Schema{Name: name, Kind: KindContainer, Children: children}
}

func list(name string, keys []string, children ...*Schema) *Schema {
	return &Schema{Name: name, Kind: KindList, Keys: keys, Children: children}
}

func leaf(name string, t Type) *Schema {
	s := &Schema{Name: name, Kind: KindLeaf, Type: t}
	switch t {
	case TypeUint8:
		s.Max = 1<<8 - 1
	case TypeUint16:
		s.Max = 1<<16 - 1
	case TypeUint32:
		s.Max = 1<<32 - 1
	case TypeUint64:
		s.Max = 1<<64 - 1
	}
	return s
}

func (s *Schema) rng(min, max uint64) *Schema { s.Min, s.Max = min, max; return s }
func (s *Schema) def(v any) *Schema           { s.Default = v; return s }
func (s *Schema) identity(mod, ns string, values ...string) *Schema {
	s.IdentityModule, s.IdentityNS, s.Identities = mod, ns, values
	return s
}
func (s *Schema) in(mod, ns string) *Schema { s.Module, s.NS = mod, ns; return s }

func buildSchema() *Schema {
	ipv4 := container("ipv4",
		container("addresses",
			list("address", []string{"ip"},
				leaf("ip", TypeIPv4),
				container("config",
					leaf("ip", TypeIPv4),
					leaf("prefix-length", TypeUint8).rng(0, 32),
				),
			),
		),
	).in(ModIfIP, NSIfIP)

	interfaces := container("interfaces",
		list("interface", []string{"name"},
			leaf("name", TypeString),
			container("config",
				leaf("name", TypeString).rng(1, 64),
				leaf("type", TypeIdentity).identity(ModIANAIfType, NSIANAIfType,
					"ethernetCsmacd", "softwareLoopback", "ieee8023adLag", "l3ipvlan", "other"),
				leaf("mtu", TypeUint16).rng(68, 65535),
				leaf("description", TypeString).rng(0, 255),
				leaf("enabled", TypeBool).def(true),
			),
			container("subinterfaces",
				list("subinterface", []string{"index"},
					leaf("index", TypeUint32),
					container("config",
						leaf("index", TypeUint32).rng(0, 4094),
					),
					ipv4,
				),
			),
		),
	).in(ModInterfaces, NSInterfaces)

	static := container("static-routes",
		list("static", []string{"prefix"},
			leaf("prefix", TypeIPv4Prefix),
			container("config",
				leaf("prefix", TypeIPv4Prefix),
			),
			container("next-hops",
				list("next-hop", []string{"index"},
					leaf("index", TypeString),
					container("config",
						leaf("index", TypeString).rng(1, 64),
						leaf("next-hop", TypeNextHop).identity(ModLocalRouting, NSLocalRouting, "DROP", "LOCAL_LINK"),
					),
					container("interface-ref",
						container("config",
							leaf("interface", TypeString).rng(1, 64),
						),
					),
				),
			),
		),
	)
	bgp := container("bgp",
		container("global",
			container("config",
				leaf("as", TypeUint32).rng(1, 1<<32-1),
				leaf("router-id", TypeIPv4),
			),
		),
		container("neighbors",
			list("neighbor", []string{"neighbor-address"},
				leaf("neighbor-address", TypeIPv4),
				container("config",
					leaf("neighbor-address", TypeIPv4),
					leaf("peer-as", TypeUint32).rng(1, 1<<32-1),
					leaf("enabled", TypeBool).def(true),
					leaf("description", TypeString).rng(0, 255),
				),
			),
		),
	)
	netinst := container("network-instances",
		list("network-instance", []string{"name"},
			leaf("name", TypeString),
			container("config",
				leaf("name", TypeString).rng(1, 64),
				leaf("type", TypeIdentity).identity(ModNIType, NSNIType, "DEFAULT_INSTANCE", "L3VRF"),
			),
			container("protocols",
				list("protocol", []string{"identifier", "name"},
					leaf("identifier", TypeIdentity).identity(ModPolicyTypes, NSPolicyTypes, "STATIC", "BGP"),
					leaf("name", TypeString),
					container("config",
						leaf("identifier", TypeIdentity).identity(ModPolicyTypes, NSPolicyTypes, "STATIC", "BGP"),
						leaf("name", TypeString).rng(1, 64),
					),
					static,
					bgp,
				),
			),
		),
	).in(ModNetworkInstance, NSNetworkInstance)

	root := container("")
	root.Children = []*Schema{interfaces, netinst}
	link(root, "", "")
	return root
}

// link sets parents, indices, lookup maps and inherits namespaces.
func link(s *Schema, mod, ns string) {
	if s.Module == "" {
		s.Module, s.NS = mod, ns
	}
	s.byName = make(map[string]*Schema, len(s.Children))
	for i, c := range s.Children {
		c.Parent = s
		c.index = i
		s.byName[c.Name] = c
		link(c, s.Module, s.NS)
	}
}

// Leaves returns the schema paths of every leaf of the model, in canonical
// order, as /a/b/c strings without keys. Tests and docs use it.
func Leaves() []string {
	var out []string
	var walk func(s *Schema, prefix string)
	walk = func(s *Schema, prefix string) {
		for _, c := range s.Children {
			p := prefix + "/" + c.Name
			if c.Kind == KindLeaf {
				out = append(out, p)
				continue
			}
			walk(c, p)
		}
	}
	walk(Root, "")
	return out
}

// sortedKeys returns m's keys sorted; used where map order must not leak.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// InterfaceType guesses the iana-if-type identity of an interface from its
// name, as CLIs that never show a type imply it: lo* is a loopback, po*,
// bond* and port-channel* are LAGs, vlan* is an L3 VLAN interface, anything
// else is Ethernet.
func InterfaceType(name string) string {
	l := strings.ToLower(name)
	switch {
	case strings.HasPrefix(l, "lo"):
		return "softwareLoopback"
	case strings.HasPrefix(l, "po") || strings.HasPrefix(l, "bond") || strings.HasPrefix(l, "port-channel"):
		return "ieee8023adLag"
	case strings.HasPrefix(l, "vlan"):
		return "l3ipvlan"
	}
	return "ethernetCsmacd"
}
