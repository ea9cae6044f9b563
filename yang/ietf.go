package yang

import (
	"bytes"
	"fmt"
	"strings"
)

// Namespaces of the IETF modules a device without OpenConfig speaks.
const (
	NSIETFInterfaces = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
	NSIETFIP         = "urn:ietf:params:xml:ns:yang:ietf-ip"
	NSIETFRouting    = "urn:ietf:params:xml:ns:yang:ietf-routing"
	NSIETFIPv4UR     = "urn:ietf:params:xml:ns:yang:ietf-ipv4-unicast-routing"
)

// ErrNotMappable is wrapped by errors for changes the IETF modules cannot
// express (BGP, subinterfaces other than 0, other network instances).
var ErrNotMappable = fmt.Errorf("not expressible in the IETF modules")

// ietfStaticName is the control-plane-protocol name static routes live under.
const ietfStaticName = "static"

// EncodeEditConfigIETF renders changes as the <config> element of an
// edit-config for a device that speaks ietf-interfaces, ietf-ip and
// ietf-routing instead of OpenConfig. The mapping is the table in the
// package documentation; a change it cannot express is an error wrapping
// ErrNotMappable, naming the path. before is the configuration the changes
// were computed against: deleting subinterface 0 (whose addresses live on
// the IETF interface itself) becomes the deletion of each of its addresses,
// which only before can list. before may be nil when no such deletion occurs.
func EncodeEditConfigIETF(before *Tree, changes []Change) ([]byte, error) {
	changes, err := expandSubinterfaceDeletes(before, changes)
	if err != nil {
		return nil, err
	}
	root := &xnode{name: "config", ns: NSNetconf}
	// Interfaces created in this change set get the mandatory type.
	typed := map[string]bool{}
	for _, c := range changes {
		if len(c.Path) == 4 && c.Path[0].Name == "interfaces" && c.Path[3].Name == "type" && c.Op != OpDelete {
			typed[c.Path[1].Keys[0].Value] = true
		}
	}
	for _, c := range changes {
		if err := addIETF(root, c, typed); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	root.write(&b, "")
	return b.Bytes(), nil
}

func notMappable(p Path, why string) error {
	return fmt.Errorf("%s: %s: %w", p, why, ErrNotMappable)
}

func addIETF(root *xnode, c Change, typed map[string]bool) error {
	p := c.Path
	mark := func(n *xnode) {
		if c.Op == OpDelete {
			n.op = "delete"
		}
	}
	leafText := func(n *xnode, v any) {
		if c.Op != OpDelete {
			n.text, n.hasText = FormatValue(v), true
		}
	}
	switch p[0].Name {
	case "interfaces":
		if len(p) == 1 {
			mark(root.child("interfaces", NSIETFInterfaces, nil))
			return nil
		}
		name := p[1].Keys[0].Value
		ifs := root.child("interfaces", NSIETFInterfaces, nil)
		ifn := ifs.child("interface", NSIETFInterfaces, []Key{{"name", name}})
		switch {
		case len(p) == 2:
			mark(ifn)
			if c.Op == OpCreate && !typed[name] {
				n := ifn.child("type", NSIETFInterfaces, nil)
				n.text, n.hasText = "ethernetCsmacd", true
				n.idPrefix, n.idNS = "ianaift", NSIANAIfType
			}
			return nil
		case len(p) == 4 && p[2].Name == "config":
			switch p[3].Name {
			case "name":
				return nil // the key
			case "type":
				n := ifn.child("type", NSIETFInterfaces, nil)
				mark(n)
				leafText(n, c.New)
				if n.hasText {
					n.idPrefix, n.idNS = "ianaift", NSIANAIfType
				}
			case "description", "enabled":
				n := ifn.child(p[3].Name, NSIETFInterfaces, nil)
				mark(n)
				leafText(n, c.New)
			case "mtu":
				n := ifn.child("ipv4", NSIETFIP, nil).child("mtu", NSIETFIP, nil)
				mark(n)
				leafText(n, c.New)
			default:
				return notMappable(p, "unknown interface leaf")
			}
			return nil
		case len(p) == 2 || p[2].Name != "subinterfaces":
			return notMappable(p, "unknown interface node")
		}
		if len(p) == 3 {
			return notMappable(p, "subinterfaces as a whole")
		}
		if idx := p[3].Keys[0].Value; idx != "0" {
			return notMappable(p, "only subinterface 0 maps to the interface itself")
		}
		switch {
		case len(p) == 4 || (len(p) == 6 && p[5].Name == "index"):
			return nil // subinterface 0 is the interface itself
		case len(p) == 5 && p[4].Name == "ipv4":
			mark(ifn.child("ipv4", NSIETFIP, nil))
			return nil
		case len(p) >= 7 && p[5].Name == "addresses":
			ip := p[6].Keys[0].Value
			addr := ifn.child("ipv4", NSIETFIP, nil).child("address", NSIETFIP, []Key{{"ip", ip}})
			if len(p) == 7 {
				mark(addr)
				return nil
			}
			if len(p) == 9 && p[8].Name == "ip" {
				return nil
			}
			if len(p) == 9 && p[8].Name == "prefix-length" {
				n := addr.child("prefix-length", NSIETFIP, nil)
				mark(n)
				leafText(n, c.New)
				return nil
			}
		}
		return notMappable(p, "unknown subinterface node")
	case "network-instances":
		if len(p) < 2 || p[1].Keys[0].Value != DefaultInstance {
			return notMappable(p, "only the default network instance maps to ietf-routing")
		}
		deleteAll := len(p) == 2 && c.Op == OpDelete
		if !deleteAll && (len(p) < 4 || p[2].Name == "config") {
			return nil // the default instance itself is implicit
		}
		if !deleteAll && p[3].Keys[0].Value != StaticProtocol {
			return notMappable(p, "ietf-routing has no model for "+p[3].Keys[0].Value)
		}
		proto := root.child("routing", NSIETFRouting, nil).child("control-plane-protocols", NSIETFRouting, nil).
			child("control-plane-protocol", NSIETFRouting, nil)
		if len(proto.keys) == 0 && len(proto.children) == 0 {
			t := proto.child("type", NSIETFRouting, nil)
			t.text, t.hasText, t.idPrefix, t.idNS = "static", true, "rt", NSIETFRouting
			n := proto.child("name", NSIETFRouting, nil)
			n.text, n.hasText = ietfStaticName, true
		}
		if len(p) <= 4 {
			mark(proto)
			return nil
		}
		if p[4].Name == "config" {
			return nil
		}
		if len(p) < 6 || p[4].Name != "static-routes" {
			return notMappable(p, "unknown static route node")
		}
		prefix := p[5].Keys[0].Value
		route := routeEntry(proto, prefix)
		switch {
		case len(p) == 6:
			mark(route)
			return nil
		case len(p) == 8 && p[6].Name == "config":
			return nil // prefix is the key
		case len(p) >= 8 && p[6].Name == "next-hops":
			idx := p[7].Keys[0].Value
			nh := route.child("next-hop", NSIETFIPv4UR, nil).child("next-hop-list", NSIETFIPv4UR, nil).
				child("next-hop", NSIETFIPv4UR, []Key{{"index", idx}})
			switch {
			case len(p) == 8:
				mark(nh)
				return nil
			case len(p) == 10 && p[9].Name == "index":
				return nil
			case len(p) == 10 && p[9].Name == "next-hop":
				v := FormatValue(c.New)
				if c.Op == OpDelete {
					v = FormatValue(c.Old)
				}
				switch v {
				case "DROP":
					// A blackhole is a special next hop of the route itself.
					nhc := route.child("next-hop", NSIETFIPv4UR, nil)
					nhc.children = nil
					n := nhc.child("special-next-hop", NSIETFIPv4UR, nil)
					mark(n)
					leafText(n, "blackhole")
				case "LOCAL_LINK":
					return notMappable(p, "LOCAL_LINK next hop")
				default:
					n := nh.child("next-hop-address", NSIETFIPv4UR, nil)
					mark(n)
					leafText(n, c.New)
				}
				return nil
			case len(p) == 11 && p[8].Name == "interface-ref":
				n := nh.child("outgoing-interface", NSIETFIPv4UR, nil)
				mark(n)
				leafText(n, c.New)
				return nil
			}
		}
		return notMappable(p, "unknown static route node")
	}
	return notMappable(p, "unknown node")
}

// expandSubinterfaceDeletes replaces the deletion of subinterface 0, its
// ipv4 or its addresses container by the deletion of each address in before.
func expandSubinterfaceDeletes(before *Tree, changes []Change) ([]Change, error) {
	out := make([]Change, 0, len(changes))
	for _, c := range changes {
		p := c.Path
		isSub := c.Op == OpDelete && len(p) >= 4 && len(p) <= 6 && p[0].Name == "interfaces" && p[2].Name == "subinterfaces" &&
			(len(p) == 4 || p[4].Name == "ipv4") && (len(p) < 6 || p[5].Name == "addresses")
		if !isSub {
			out = append(out, c)
			continue
		}
		if before == nil {
			return nil, notMappable(p, "deleting a subinterface needs the current configuration")
		}
		sub := p[:4:4]
		for _, a := range before.EntriesOf(sub.Leaf("ipv4", "addresses").Child("address")) {
			out = append(out, Change{Op: OpDelete, Path: a})
		}
	}
	return out, nil
}

// routeEntry finds or creates the route element for prefix under proto.
func routeEntry(proto *xnode, prefix string) *xnode {
	v4 := proto.child("static-routes", NSIETFRouting, nil).child("ipv4", NSIETFIPv4UR, nil)
	for _, r := range v4.children {
		if r.name == "route" {
			for _, k := range r.children {
				if k.name == "destination-prefix" && k.text == prefix {
					return r
				}
			}
		}
	}
	r := &xnode{name: "route", ns: NSIETFIPv4UR}
	k := &xnode{name: "destination-prefix", ns: NSIETFIPv4UR, text: prefix, hasText: true}
	r.children = append(r.children, k)
	v4.children = append(v4.children, r)
	return r
}

// DecodeConfigXMLIETF reads ietf-interfaces, ietf-ip and ietf-routing
// configuration into the canonical (OpenConfig) tree, by the mapping in the
// package documentation. Elements with no OpenConfig counterpart in the
// model are skipped. The tree is validated; on error none is returned.
func DecodeConfigXMLIETF(data []byte) (*Tree, error) {
	nodes, err := parseXML(data)
	if err != nil {
		return nil, err
	}
	t := NewTree()
	var errs []FieldError
	set := func(p Path, text string) {
		s, err := p.Schema()
		if err != nil {
			errs = append(errs, FieldError{Path: p.String(), Reason: err.Error()})
			return
		}
		v, err := ParseValue(s, text)
		if err == nil {
			err = t.Set(p, v)
		}
		if err != nil {
			errs = append(errs, FieldError{Path: p.String(), Reason: trimPath(err, p)})
		}
	}
	for _, n := range nodes {
		switch {
		case n.name == "interfaces" && n.ns == NSIETFInterfaces:
			for _, ifn := range n.children {
				if ifn.name != "interface" {
					continue
				}
				name := childText(ifn, "name")
				if name == "" {
					errs = append(errs, FieldError{Path: "/interfaces/interface", Reason: "interface without a name"})
					continue
				}
				ip := InterfacePath(name)
				if err := t.ensureEntries(ip); err != nil {
					errs = append(errs, FieldError{Path: ip.String(), Reason: err.Error()})
					continue
				}
				for _, c := range ifn.children {
					switch {
					case c.name == "description" || c.name == "enabled" || c.name == "type":
						set(ip.Leaf("config", c.name), c.text)
					case c.name == "ipv4" && c.ns == NSIETFIP:
						for _, v4 := range c.children {
							switch v4.name {
							case "mtu":
								set(ip.Leaf("config", "mtu"), v4.text)
							case "address":
								a := childText(v4, "ip")
								ap := AddressPath(name, 0, a)
								if pl := childText(v4, "prefix-length"); pl != "" {
									set(ap.Leaf("config", "prefix-length"), pl)
								} else {
									set(ap.Leaf("config", "ip"), a)
								}
							}
						}
					}
				}
			}
		case n.name == "routing" && n.ns == NSIETFRouting:
			for _, cpps := range n.children {
				if cpps.name != "control-plane-protocols" {
					continue
				}
				for _, cpp := range cpps.children {
					typ := childText(cpp, "type")
					if i := strings.LastIndexByte(typ, ':'); i >= 0 {
						typ = typ[i+1:]
					}
					if cpp.name != "control-plane-protocol" || typ != "static" {
						continue
					}
					decodeIETFRoutes(cpp, set)
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, &ValidationError{Errors: errs}
	}
	if err := Validate(t); err != nil {
		return nil, err
	}
	return t, nil
}

func decodeIETFRoutes(cpp *xnode, set func(Path, string)) {
	for _, sr := range cpp.children {
		if sr.name != "static-routes" {
			continue
		}
		for _, v4 := range sr.children {
			if v4.name != "ipv4" {
				continue
			}
			for _, r := range v4.children {
				if r.name != "route" {
					continue
				}
				prefix := childText(r, "destination-prefix")
				nhc := findChild(r, "next-hop")
				if prefix == "" || nhc == nil {
					continue
				}
				if sp := childText(nhc, "special-next-hop"); sp != "" {
					if sp == "blackhole" {
						set(NextHopPath(prefix, "0").Leaf("config", "next-hop"), "DROP")
					}
					continue
				}
				hop := func(idx string, n *xnode) {
					if a := childText(n, "next-hop-address"); a != "" {
						set(NextHopPath(prefix, idx).Leaf("config", "next-hop"), a)
					}
					if o := childText(n, "outgoing-interface"); o != "" {
						set(NextHopPath(prefix, idx).Leaf("interface-ref", "config", "interface"), o)
					}
				}
				if l := findChild(nhc, "next-hop-list"); l != nil {
					for _, nh := range l.children {
						if nh.name == "next-hop" {
							hop(childText(nh, "index"), nh)
						}
					}
					continue
				}
				hop("0", nhc)
			}
		}
	}
}

func findChild(n *xnode, name string) *xnode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func childText(n *xnode, name string) string {
	if c := findChild(n, name); c != nil {
		return c.text
	}
	return ""
}
