package cli

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/netagent/netagent/yang"
)

// Line patterns of a running configuration, shared by the dialects
// (EOS and FRR print these constructs alike; the few words that differ are
// alternatives in the patterns).
var (
	reInterface   = regexp.MustCompile(`^interface (\S+)$`)
	reDescription = regexp.MustCompile(`^description (.*)$`)
	reMTU         = regexp.MustCompile(`^mtu (\d+)$`)
	reShutdown    = regexp.MustCompile(`^shutdown$`)
	reAddress     = regexp.MustCompile(`^ip address (\d+\.\d+\.\d+\.\d+)/(\d+)$`)
	reRoute       = regexp.MustCompile(`^ip route (\d+\.\d+\.\d+\.\d+/\d+)((?: \S+){1,2})$`)
	reRouterBGP   = regexp.MustCompile(`^router bgp (\d+)$`)
	reRouterID    = regexp.MustCompile(`^(?:bgp )?router-id (\d+\.\d+\.\d+\.\d+)$`)
	reRemoteAS    = regexp.MustCompile(`^neighbor (\d+\.\d+\.\d+\.\d+) remote-as (\d+)$`)
	reNeighDesc   = regexp.MustCompile(`^neighbor (\d+\.\d+\.\d+\.\d+) description (.*)$`)
	reNeighShut   = regexp.MustCompile(`^neighbor (\d+\.\d+\.\d+\.\d+) shutdown$`)
	reIPv4        = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

// ParseConfig reads a running configuration (show running-config) of
// platform p into the model. Lines outside the model are skipped; a line of
// the model with a bad value is an error naming the line. Static route next
// hops are indexed by position ("0", "1", ...) per prefix, as a CLI has no
// next-hop names.
func ParseConfig(p *Platform, text string) (*yang.Tree, error) {
	t := yang.NewTree()
	section, cur := "", ""
	hops := map[string]int{}
	set := func(n int, path yang.Path, v any) error {
		if err := t.Set(path, v); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		return nil
	}
	for i, raw := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		n := i + 1
		indented := strings.HasPrefix(raw, " ")
		line := strings.TrimSpace(raw)
		if line == "" || line == "!" || strings.HasPrefix(line, "!") {
			if !indented {
				section = ""
			}
			continue
		}
		if !indented {
			section = ""
		}
		if line == "exit" || line == "end" {
			section = ""
			continue
		}
		if section == "" {
			switch {
			case reInterface.MatchString(line):
				cur = reInterface.FindStringSubmatch(line)[1]
				section = "interface"
				ip := yang.InterfacePath(cur)
				if err := set(n, ip.Leaf("config", "name"), cur); err != nil {
					return nil, err
				}
				if _, ok := t.Get(ip.Leaf("config", "type")); !ok {
					if err := set(n, ip.Leaf("config", "type"), yang.InterfaceType(cur)); err != nil {
						return nil, err
					}
				}
				if err := set(n, ip.Leaf("config", "enabled"), true); err != nil {
					return nil, err
				}
				continue
			case reRouterBGP.MatchString(line):
				as, err := strconv.ParseUint(reRouterBGP.FindStringSubmatch(line)[1], 10, 32)
				if err != nil {
					return nil, fmt.Errorf("line %d: AS: %w", n, err)
				}
				section = "bgp"
				if err := set(n, yang.BGPPath().Leaf("global", "config", "as"), as); err != nil {
					return nil, err
				}
				continue
			case reRoute.MatchString(line):
				m := reRoute.FindStringSubmatch(line)
				prefix := m[1]
				nh, ifname := "", ""
				for _, tok := range strings.Fields(m[2]) {
					switch {
					case tok == p.Blackhole || tok == "blackhole" || tok == "Null0" || tok == "null0":
						nh = "DROP"
					case reIPv4.MatchString(tok):
						nh = tok
					default:
						ifname = tok
					}
				}
				if nh == "" {
					nh = "LOCAL_LINK"
				}
				idx := strconv.Itoa(hops[prefix])
				hops[prefix]++
				hp := yang.NextHopPath(prefix, idx)
				if err := set(n, hp.Leaf("config", "next-hop"), nh); err != nil {
					return nil, err
				}
				if ifname != "" {
					if err := set(n, hp.Leaf("interface-ref", "config", "interface"), ifname); err != nil {
						return nil, err
					}
				}
				continue
			}
			continue
		}
		switch section {
		case "interface":
			ip := yang.InterfacePath(cur)
			var err error
			switch {
			case reDescription.MatchString(line):
				err = set(n, ip.Leaf("config", "description"), reDescription.FindStringSubmatch(line)[1])
			case reMTU.MatchString(line):
				v, perr := strconv.ParseUint(reMTU.FindStringSubmatch(line)[1], 10, 16)
				if perr != nil {
					return nil, fmt.Errorf("line %d: mtu: %w", n, perr)
				}
				err = set(n, ip.Leaf("config", "mtu"), v)
			case reShutdown.MatchString(line):
				err = set(n, ip.Leaf("config", "enabled"), false)
			case reAddress.MatchString(line):
				m := reAddress.FindStringSubmatch(line)
				l, perr := strconv.ParseUint(m[2], 10, 8)
				if perr != nil {
					return nil, fmt.Errorf("line %d: prefix length: %w", n, perr)
				}
				err = set(n, yang.AddressPath(cur, 0, m[1]).Leaf("config", "prefix-length"), l)
			}
			if err != nil {
				return nil, err
			}
		case "bgp":
			var err error
			switch {
			case reRouterID.MatchString(line):
				err = set(n, yang.BGPPath().Leaf("global", "config", "router-id"), reRouterID.FindStringSubmatch(line)[1])
			case reRemoteAS.MatchString(line):
				m := reRemoteAS.FindStringSubmatch(line)
				as, perr := strconv.ParseUint(m[2], 10, 32)
				if perr != nil {
					return nil, fmt.Errorf("line %d: remote-as: %w", n, perr)
				}
				err = set(n, yang.NeighborPath(m[1]).Leaf("config", "peer-as"), as)
				if err == nil {
					if _, ok := t.Get(yang.NeighborPath(m[1]).Leaf("config", "enabled")); !ok {
						err = set(n, yang.NeighborPath(m[1]).Leaf("config", "enabled"), true)
					}
				}
			case reNeighDesc.MatchString(line):
				m := reNeighDesc.FindStringSubmatch(line)
				err = set(n, yang.NeighborPath(m[1]).Leaf("config", "description"), m[2])
			case reNeighShut.MatchString(line):
				err = set(n, yang.NeighborPath(reNeighShut.FindStringSubmatch(line)[1]).Leaf("config", "enabled"), false)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// Format prints t as platform p's running configuration: the inverse of
// ParseConfig for every tree the CLI can express. Tests and fuzzing use it.
func Format(p *Platform, t *yang.Tree) string {
	var b strings.Builder
	in := p.Indent
	seen := map[string]bool{}
	for _, l := range t.Subtree(yang.Path{{Name: "interfaces"}}) {
		name := l.Path.KeyValue("name")
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		i := readIface(t, name)
		b.WriteString("interface " + name + "\n")
		if i.hasDesc {
			b.WriteString(in + "description " + i.description + "\n")
		}
		if i.mtu != "" {
			b.WriteString(in + "mtu " + i.mtu + "\n")
		}
		if !i.enabled {
			b.WriteString(in + "shutdown\n")
		}
		for _, ip := range addresses(t, name) {
			if pl := prefixLen(t, name, ip); pl != "" {
				b.WriteString(in + "ip address " + ip + "/" + pl + "\n")
			}
		}
		b.WriteString("exit\n!\n")
	}
	for _, pre := range routes(t) {
		for _, nh := range staticRoute(t, pre) {
			b.WriteString(p.routeCmd(pre, nh) + "\n")
		}
	}
	if as := bgpAS(t); as != "" {
		b.WriteString("!\nrouter bgp " + as + "\n")
		if rid := leafStr(t, yang.BGPPath().Leaf("global", "config", "router-id")); rid != "" {
			b.WriteString(in + p.RouterID + " " + rid + "\n")
		}
		for _, a := range neighborAddrs(t) {
			n := readNeighbor(t, a)
			if n.peerAS != "" {
				b.WriteString(in + "neighbor " + a + " remote-as " + n.peerAS + "\n")
			}
			if n.hasDesc {
				b.WriteString(in + "neighbor " + a + " description " + n.description + "\n")
			}
			if !n.enabled {
				b.WriteString(in + "neighbor " + a + " shutdown\n")
			}
		}
		b.WriteString("exit\n")
	}
	b.WriteString("!\nend\n")
	return b.String()
}
