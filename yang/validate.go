package yang

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// ErrInvalid is the sentinel every *ValidationError matches with errors.Is.
var ErrInvalid = errors.New("invalid configuration")

// FieldError is one reason a tree is invalid: the path of the offending
// node and the reason in plain words.
type FieldError struct {
	Path   string
	Reason string
}

func (e FieldError) Error() string { return e.Path + ": " + e.Reason }

// ValidationError lists every problem found in a tree, sorted by path.
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, f := range e.Errors {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Validate checks every leaf of t against its type, range and format, then
// applies netagent's semantic rules, and returns a *ValidationError listing
// every problem at once, or nil. Semantic rules:
//   - an IPv4 address needs a prefix length; it may not be the network or
//     broadcast address of its subnet (except /31 and /32);
//   - one address may not be configured on two interfaces, and two
//     interfaces may not share a subnet;
//   - a static route needs at least one next hop; a next hop that is an
//     address may not lie inside the route's own prefix (it could never be
//     resolved) nor be one of the device's own addresses;
//   - a BGP neighbour needs a peer AS and the BGP instance a local AS; a
//     neighbour may not be one of the device's own addresses;
//   - addresses a device would take but an operator never means are
//     refused on interfaces, as next hops, as static route destinations
//     (the default route 0.0.0.0/0 aside) and as BGP neighbours: multicast
//     (224.0.0.0/4), loopback (127.0.0.0/8), unspecified (0.0.0.0), the
//     limited broadcast 255.255.255.255 and class E (240.0.0.0/4); the
//     router id may not be 0.0.0.0.
func Validate(t *Tree) error {
	var errs []FieldError
	add := func(p Path, format string, args ...any) {
		errs = append(errs, FieldError{Path: p.String(), Reason: fmt.Sprintf(format, args...)})
	}
	for _, e := range t.entries() {
		if r := checkValue(e.schema, e.value); r != "" {
			add(e.path, "%s", r)
		}
	}

	type ifAddr struct {
		path   Path
		prefix netip.Prefix
	}
	var addrs []ifAddr
	own := map[netip.Addr]bool{}
	for _, e := range t.entries() {
		p := e.path
		switch {
		case e.schema.Name == "ip" && e.schema.Parent.Kind == KindList && e.schema.Parent.Name == "address":
			entry := p.Parent()
			a, err := netip.ParseAddr(FormatValue(e.value))
			if err != nil {
				continue // reported above
			}
			own[a] = true
			if why := notUnicast(a); why != "" {
				add(entry, "%s %s; an interface address must be a unicast address", a, why)
				continue
			}
			plv, ok := t.Get(entry.Leaf("config", "prefix-length"))
			if !ok {
				add(entry.Leaf("config", "prefix-length"), "is required for address %s", a)
				continue
			}
			pl := int(plv.(uint64))
			if pl > 32 {
				continue
			}
			pfx := netip.PrefixFrom(a, pl)
			if pl < 31 {
				if a == pfx.Masked().Addr() {
					add(entry, "%s is the network address of %s", a, pfx.Masked())
				} else if a == lastAddr(pfx) {
					add(entry, "%s is the broadcast address of %s", a, pfx.Masked())
				}
			}
			addrs = append(addrs, ifAddr{path: entry, prefix: pfx})
		}
	}
	for i := range addrs {
		for j := i + 1; j < len(addrs); j++ {
			x, y := addrs[i], addrs[j]
			xi, yi := x.path.KeyValue("name"), y.path.KeyValue("name")
			xs, ys := x.path.KeyValue("index"), y.path.KeyValue("index")
			sameIf := xi == yi && xs == ys
			switch {
			case x.prefix.Addr() == y.prefix.Addr():
				add(y.path, "address %s is already configured on %s", y.prefix.Addr(), ifName(xi, xs))
			case !sameIf && x.prefix.Overlaps(y.prefix):
				add(y.path, "subnet %s overlaps %s on %s", y.prefix.Masked(), x.prefix.Masked(), ifName(xi, xs))
			}
		}
	}

	for _, e := range t.entries() {
		p := e.path
		switch {
		case e.schema.Name == "prefix" && e.schema.Parent.Name == "static":
			route := p.Parent()
			pfx, err := netip.ParsePrefix(FormatValue(e.value))
			if err != nil {
				continue
			}
			if why := notUnicast(pfx.Masked().Addr()); why != "" && pfx.Bits() > 0 {
				add(p, "route destination %s %s; a static route's destination must be unicast", pfx, why)
			}
			hops := t.Subtree(route.Leaf("next-hops"))
			n := 0
			for _, h := range hops {
				last := h.Path[len(h.Path)-1].Name
				if last == "index" && len(h.Path) == len(route)+3 {
					n++
				}
				if last != "next-hop" {
					continue
				}
				nh, err := netip.ParseAddr(FormatValue(h.Value))
				if err != nil {
					continue // DROP, LOCAL_LINK or reported above
				}
				if why := notUnicast(nh); why != "" {
					add(h.Path, "next hop %s %s; a next hop must be a unicast address", nh, why)
					continue
				}
				if pfx.Contains(nh) && pfx.Bits() > 0 {
					add(h.Path, "next hop %s lies inside the route's own prefix %s", nh, pfx)
				}
				if own[nh] {
					add(h.Path, "next hop %s is one of this device's own addresses", nh)
				}
			}
			if n == 0 {
				add(route, "a static route needs at least one next hop")
			}
		case e.schema.Name == "index" && e.schema.Parent.Name == "next-hop":
			hop := p.Parent()
			_, hasNH := t.Get(hop.Leaf("config", "next-hop"))
			_, hasIf := t.Get(hop.Leaf("interface-ref", "config", "interface"))
			if !hasNH && !hasIf {
				add(hop, "a next hop needs an address, DROP, or an interface")
			}
		case e.schema.Name == "neighbor-address" && e.schema.Parent.Kind == KindList:
			nbr := p.Parent()
			if _, ok := t.Get(nbr.Leaf("config", "peer-as")); !ok {
				add(nbr.Leaf("config", "peer-as"), "is required for neighbour %s", e.value)
			}
			bgp := nbr.Parent().Parent()
			if _, ok := t.Get(bgp.Leaf("global", "config", "as")); !ok {
				add(bgp.Leaf("global", "config", "as"), "the local AS is required when BGP neighbours are configured")
			}
			if a, err := netip.ParseAddr(FormatValue(e.value)); err == nil && own[a] {
				add(nbr, "neighbour %s is one of this device's own addresses", a)
			} else if err == nil && notUnicast(a) != "" {
				add(nbr, "neighbour %s %s; a BGP neighbour must be a unicast address", a, notUnicast(a))
			}
		case e.schema.Name == "router-id" && FormatValue(e.value) == "0.0.0.0":
			add(p, "router-id 0.0.0.0 is the unspecified address, not a router id; give the device's loopback address")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Path < errs[j].Path })
	return &ValidationError{Errors: dedupe(errs)}
}

// notUnicast says why a is not an address an operator means to configure
// on an interface or to send traffic to, or "".
func notUnicast(a netip.Addr) string {
	a4 := a.As4()
	switch {
	case a.IsUnspecified():
		return "is the unspecified address"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "is the limited broadcast address"
	case a.IsLoopback():
		return "is a loopback address (127.0.0.0/8)"
	case a.IsMulticast():
		return "is a multicast address (224.0.0.0/4)"
	case a4[0] >= 240:
		return "is a class E address (240.0.0.0/4, reserved)"
	}
	return ""
}

func dedupe(errs []FieldError) []FieldError {
	out := errs[:0]
	for i, e := range errs {
		if i > 0 && e == errs[i-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func ifName(name, index string) string {
	if index == "" || index == "0" {
		return name
	}
	return name + "." + index
}
