package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/netagent/netagent/yang"
)

// UnsupportedError says which change a platform cannot express.
type UnsupportedError struct {
	Platform string
	Path     string
	Reason   string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("cli platform %s cannot render %s: %s", e.Platform, e.Path, e.Reason)
}

// The entities a CLI configures, read out of a tree.
type iface struct {
	exists      bool
	mtu         string
	description string
	hasDesc     bool
	enabled     bool
}

type nextHop struct{ nh, iface string }

type neighbor struct {
	exists      bool
	peerAS      string
	description string
	hasDesc     bool
	enabled     bool
}

// Render turns changes, computed against before, into configuration-mode
// commands for platform p. Each touched entity (interface, address, static
// route, BGP instance, neighbour) is compared before and after, deletions
// first. A change the dialect cannot express is an *UnsupportedError.
func Render(p *Platform, before *yang.Tree, changes []yang.Change) ([]string, error) {
	after := before.Clone()
	if err := yang.Apply(after, changes); err != nil {
		return nil, err
	}
	touched := struct {
		ifaces, addrs, routes, neighbors map[string]bool
		bgp                              bool
	}{map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, false}
	for _, c := range changes {
		if err := checkSupported(p, c); err != nil {
			return nil, err
		}
		path := c.Path
		switch {
		case len(path) >= 2 && path[0].Name == "interfaces":
			name := path.KeyValue("name")
			if ip := path.KeyValue("ip"); ip != "" {
				touched.addrs[name+" "+ip] = true
			} else if len(path) >= 4 && path[2].Name == "subinterfaces" {
				// a whole subinterface: every address of it
				for _, a := range addresses(before, name) {
					touched.addrs[name+" "+a] = true
				}
				for _, a := range addresses(after, name) {
					touched.addrs[name+" "+a] = true
				}
			} else {
				touched.ifaces[name] = true
				if path.IsEntry() && len(path) == 2 {
					for _, a := range addresses(before, name) {
						touched.addrs[name+" "+a] = true
					}
				}
			}
		case len(path) >= 1 && path[0].Name == "network-instances":
			id := path.KeyValue("identifier")
			switch {
			case path.KeyValue("prefix") != "":
				touched.routes[path.KeyValue("prefix")] = true
			case path.KeyValue("neighbor-address") != "":
				touched.neighbors[path.KeyValue("neighbor-address")] = true
			case id == yang.BGPProtocol:
				touched.bgp = true
			default:
				// the static protocol or the whole instance
				for _, r := range append(routes(before), routes(after)...) {
					touched.routes[r] = true
				}
				if id == "" {
					touched.bgp = true
				}
			}
		}
	}
	var dels, sets []string
	in := p.Indent

	// static routes
	for _, pre := range sortedKeys(touched.routes) {
		b, a := staticRoute(before, pre), staticRoute(after, pre)
		for _, nh := range b {
			if !containsNH(a, nh) {
				dels = append(dels, "no "+p.routeCmd(pre, nh))
			}
		}
		for _, nh := range a {
			if !containsNH(b, nh) {
				sets = append(sets, p.routeCmd(pre, nh))
			}
		}
	}
	// BGP
	bAS, aAS := bgpAS(before), bgpAS(after)
	if touched.bgp || len(touched.neighbors) > 0 {
		var bgpDels, bgpSets []string
		if bAS != "" && aAS != bAS {
			dels = append(dels, "no router bgp "+bAS)
		}
		if aAS != "" {
			rid := func(t *yang.Tree) string { return leafStr(t, yang.BGPPath().Leaf("global", "config", "router-id")) }
			br, ar := rid(before), rid(after)
			if aAS != bAS {
				br = ""
			}
			if ar != br {
				if ar == "" {
					bgpSets = append(bgpSets, in+"no "+p.RouterID)
				} else {
					bgpSets = append(bgpSets, in+p.RouterID+" "+ar)
				}
			}
			addrs := touched.neighbors
			if aAS != bAS {
				addrs = map[string]bool{}
				for _, n := range neighborAddrs(after) {
					addrs[n] = true
				}
			}
			for _, addr := range sortedKeys(addrs) {
				bn, an := readNeighbor(before, addr), readNeighbor(after, addr)
				if aAS != bAS {
					bn = neighbor{}
				}
				switch {
				case !an.exists && bn.exists:
					bgpDels = append(bgpDels, in+"no neighbor "+addr)
				case an.exists:
					if an.peerAS != bn.peerAS || !bn.exists {
						bgpSets = append(bgpSets, in+"neighbor "+addr+" remote-as "+an.peerAS)
					}
					if an.hasDesc && (an.description != bn.description || !bn.hasDesc) {
						bgpSets = append(bgpSets, in+"neighbor "+addr+" description "+an.description)
					} else if !an.hasDesc && bn.hasDesc {
						bgpSets = append(bgpSets, in+"no neighbor "+addr+" description")
					}
					if !an.enabled && (bn.enabled || !bn.exists) {
						bgpSets = append(bgpSets, in+"neighbor "+addr+" shutdown")
					} else if an.enabled && bn.exists && !bn.enabled {
						bgpSets = append(bgpSets, in+"no neighbor "+addr+" shutdown")
					}
				}
			}
			if len(bgpDels)+len(bgpSets) > 0 || aAS != bAS {
				block := append([]string{"router bgp " + aAS}, bgpDels...)
				block = append(block, bgpSets...)
				sets = append(sets, append(block, "exit")...)
			}
		}
	}
	// addresses (grouped per interface) and interfaces
	addrBy := map[string][]string{}
	for k := range touched.addrs {
		name, ip, _ := strings.Cut(k, " ")
		addrBy[name] = append(addrBy[name], ip)
	}
	names := map[string]bool{}
	for n := range touched.ifaces {
		names[n] = true
	}
	for n := range addrBy {
		names[n] = true
	}
	for _, name := range sortedKeys(names) {
		bi, ai := readIface(before, name), readIface(after, name)
		if bi.exists && !ai.exists {
			// A physical port cannot be deleted: clear what was set on it.
			// Virtual interfaces (loopbacks, LAGs, VLANs) go entirely.
			if yang.InterfaceType(name) != "ethernetCsmacd" {
				dels = append(dels, "no interface "+name)
				continue
			}
			block := []string{"interface " + name}
			for _, ip := range addresses(before, name) {
				if l := prefixLen(before, name, ip); l != "" {
					block = append(block, in+"no ip address "+ip+"/"+l)
				}
			}
			if bi.hasDesc {
				block = append(block, in+"no description")
			}
			if bi.mtu != "" {
				block = append(block, in+"no mtu")
			}
			if !bi.enabled {
				block = append(block, in+"no shutdown")
			}
			dels = append(dels, append(block, "exit")...)
			continue
		}
		if !ai.exists {
			continue
		}
		var body, bodyDels []string
		if touched.ifaces[name] {
			if ai.description != bi.description || ai.hasDesc != bi.hasDesc {
				if ai.hasDesc {
					body = append(body, in+"description "+ai.description)
				} else {
					body = append(body, in+"no description")
				}
			}
			if ai.mtu != bi.mtu {
				if ai.mtu != "" {
					body = append(body, in+"mtu "+ai.mtu)
				} else {
					body = append(body, in+"no mtu")
				}
			}
			if ai.enabled != bi.enabled || !bi.exists {
				if ai.enabled {
					body = append(body, in+"no shutdown")
				} else {
					body = append(body, in+"shutdown")
				}
			}
		}
		ips := addrBy[name]
		sort.Strings(ips)
		for _, ip := range ips {
			bl, al := prefixLen(before, name, ip), prefixLen(after, name, ip)
			if bl == al {
				continue
			}
			if bl != "" && bi.exists {
				bodyDels = append(bodyDels, in+"no ip address "+ip+"/"+bl)
			}
			if al != "" {
				body = append(body, in+"ip address "+ip+"/"+al)
			}
		}
		if len(body)+len(bodyDels) > 0 || !bi.exists {
			block := append([]string{"interface " + name}, bodyDels...)
			block = append(block, body...)
			sets = append(sets, append(block, "exit")...)
		}
	}
	// Interfaces before routes that use them: interface blocks first among sets.
	return append(dels, orderSets(sets)...), nil
}

// orderSets puts interface blocks before route and BGP lines, keeping
// each block together.
func orderSets(sets []string) []string {
	var ifs, rest []string
	for i := 0; i < len(sets); i++ {
		if strings.HasPrefix(sets[i], "interface ") {
			j := i
			for j < len(sets) && sets[j] != "exit" {
				j++
			}
			ifs = append(ifs, sets[i:j+1]...)
			i = j
			continue
		}
		if strings.HasPrefix(sets[i], "router bgp ") {
			j := i
			for j < len(sets) && sets[j] != "exit" {
				j++
			}
			rest = append(rest, sets[i:j+1]...)
			i = j
			continue
		}
		rest = append(rest, sets[i])
	}
	return append(ifs, rest...)
}

// checkSupported refuses what no CLI dialect here can express.
func checkSupported(p *Platform, c yang.Change) error {
	path := c.Path
	bad := func(why string) error { return &UnsupportedError{Platform: p.Name, Path: path.String(), Reason: why} }
	if len(path) >= 4 && path[2].Name == "subinterfaces" && path.KeyValue("index") != "0" {
		return bad("only subinterface 0 (the interface's own addresses) has CLI commands")
	}
	if len(path) >= 2 && path[0].Name == "network-instances" && len(path[1].Keys) > 0 && path[1].Keys[0].Value != yang.DefaultInstance {
		return bad("only the default network instance")
	}
	last := path[len(path)-1].Name
	if len(path) == 4 && path[0].Name == "interfaces" && last == "type" && c.Op != yang.OpDelete {
		if v, _ := c.New.(string); v != yang.InterfaceType(path.KeyValue("name")) {
			return bad(fmt.Sprintf("the interface type follows from its name (%s)", yang.InterfaceType(path.KeyValue("name"))))
		}
	}
	if len(path) >= 2 && path[0].Name == "network-instances" && len(path) <= 4 && last == "type" && c.Op != yang.OpDelete {
		if v, _ := c.New.(string); v != "DEFAULT_INSTANCE" {
			return bad("only the default instance type")
		}
	}
	return nil
}

func (p *Platform) routeCmd(prefix string, nh nextHop) string {
	hop := nh.nh
	switch hop {
	case "DROP":
		hop = p.Blackhole
	case "LOCAL_LINK", "":
		hop = ""
	}
	parts := []string{"ip route", prefix}
	if p.RouteIfaceFirst {
		parts = append(parts, nh.iface, hop)
	} else {
		parts = append(parts, hop, nh.iface)
	}
	out := make([]string, 0, len(parts))
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

func containsNH(list []nextHop, n nextHop) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

func leafStr(t *yang.Tree, p yang.Path) string {
	v, ok := t.Get(p)
	if !ok {
		return ""
	}
	return yang.FormatValue(v)
}

func readIface(t *yang.Tree, name string) iface {
	p := yang.InterfacePath(name)
	if !t.Has(p) {
		return iface{}
	}
	i := iface{exists: true, enabled: true, mtu: leafStr(t, p.Leaf("config", "mtu"))}
	if v, ok := t.Get(p.Leaf("config", "description")); ok {
		i.description, i.hasDesc = yang.FormatValue(v), true
	}
	if v, ok := t.Get(p.Leaf("config", "enabled")); ok {
		i.enabled = v == true
	}
	return i
}

func addresses(t *yang.Tree, name string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range t.Subtree(yang.SubinterfacePath(name, 0)) {
		if ip := l.Path.KeyValue("ip"); ip != "" && !seen[ip] {
			seen[ip] = true
			out = append(out, ip)
		}
	}
	return out
}

func prefixLen(t *yang.Tree, name, ip string) string {
	return leafStr(t, yang.AddressPath(name, 0, ip).Leaf("config", "prefix-length"))
}

func routes(t *yang.Tree) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range t.Subtree(yang.ProtocolPath(yang.StaticProtocol, yang.StaticProtocol)) {
		if pre := l.Path.KeyValue("prefix"); pre != "" && !seen[pre] {
			seen[pre] = true
			out = append(out, pre)
		}
	}
	return out
}

// staticRoute returns the next hops of route prefix, by index order.
func staticRoute(t *yang.Tree, prefix string) []nextHop {
	idx := map[string]*nextHop{}
	var order []string
	for _, l := range t.Subtree(yang.StaticRoutePath(prefix)) {
		i := l.Path.KeyValue("index")
		if i == "" {
			continue
		}
		if idx[i] == nil {
			idx[i] = &nextHop{}
			order = append(order, i)
		}
		switch l.Path[len(l.Path)-1].Name {
		case "next-hop":
			idx[i].nh = yang.FormatValue(l.Value)
		case "interface":
			idx[i].iface = yang.FormatValue(l.Value)
		}
	}
	out := make([]nextHop, 0, len(order))
	for _, i := range order {
		if *idx[i] != (nextHop{}) {
			out = append(out, *idx[i])
		}
	}
	return out
}

func bgpAS(t *yang.Tree) string { return leafStr(t, yang.BGPPath().Leaf("global", "config", "as")) }

func neighborAddrs(t *yang.Tree) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range t.Subtree(yang.BGPPath().Leaf("neighbors")) {
		if a := l.Path.KeyValue("neighbor-address"); a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

func readNeighbor(t *yang.Tree, addr string) neighbor {
	p := yang.NeighborPath(addr)
	if !t.Has(p) {
		return neighbor{}
	}
	n := neighbor{exists: true, enabled: true, peerAS: leafStr(t, p.Leaf("config", "peer-as"))}
	if v, ok := t.Get(p.Leaf("config", "description")); ok {
		n.description, n.hasDesc = yang.FormatValue(v), true
	}
	if v, ok := t.Get(p.Leaf("config", "enabled")); ok {
		n.enabled = v == true
	}
	return n
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return naturalLess(out[i], out[j]) })
	return out
}

// naturalLess orders eth2 before eth10.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, _ := strconv.ParseUint(a[:min(da, 18)], 10, 64)
			nb, _ := strconv.ParseUint(b[:min(db, 18)], 10, 64)
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
