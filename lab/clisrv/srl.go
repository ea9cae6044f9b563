package clisrv

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/netagent/netagent/yang"
)

// SRL is the Nokia SR Linux personality: a running and a private candidate
// mode, path-style set/delete, commit now|stay|validate, discard, info.
const SRL = "srl"

// srlConfirmID names SR Linux's single confirmed commit in the datastore.
const srlConfirmID = "srl-commit-confirmed"

func (s *Session) srlPrompt() string {
	ctx := "running"
	if s.sess != nil {
		ctx = "candidate private private-admin"
		if !s.sess.Equal(s.env.Store.Running()) {
			ctx = "* " + ctx
		}
	}
	return "\n--{ " + ctx + " }--[  ]--\nA:" + s.env.Hostname + "#"
}

// srlTokens splits a line into words, honouring "double" and 'single'
// quotes (with \" inside double quotes).
func srlTokens(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"' || c == '\'':
			q := c
			j := i + 1
			for ; j < len(line) && line[j] != q; j++ {
				if line[j] == '\\' && q == '"' && j+1 < len(line) {
					j++
				}
				cur.WriteByte(line[j])
			}
			if j >= len(line) {
				return nil, fmt.Errorf("unterminated quote")
			}
			i, in = j, true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}

func srlErr(format string, args ...any) string {
	return "Error: " + fmt.Sprintf(format, args...) + "\n"
}

// execSRL interprets one SR Linux line.
func (s *Session) execSRL(line string) (string, bool) {
	toks, err := srlTokens(line)
	if err != nil {
		return srlErr("%v", err), false
	}
	if len(toks) == 0 {
		return "", false
	}
	cand := s.sess != nil
	switch toks[0] {
	case "environment", "/":
		return "", false
	case "quit", "logout":
		return "", true
	case "exit":
		return "", false
	case "enter":
		switch {
		case len(toks) >= 2 && toks[1] == "candidate":
			if !cand {
				s.sess = s.env.Store.Running()
				s.groups = groupsOf(s.sess)
			}
			return "", false
		case len(toks) == 2 && toks[1] == "running":
			s.sess = nil
			return "", false
		}
		return srlErr("Unknown token '%s'. Options are ['candidate', 'running']", strings.Join(toks[1:], " ")), false
	case "set", "delete":
		if !cand {
			return srlErr("%s is only available in candidate mode; enter candidate first", toks[0]), false
		}
		if len(toks) < 2 || toks[1] != "/" {
			return srlErr("%s needs an absolute path starting with '/'", toks[0]), false
		}
		c := s.sess.Clone()
		if s.groups.hops == nil {
			s.groups = groupsOf(s.sess)
		}
		saved := s.groups.clone()
		if err := s.srlEdit(c, toks[2:], toks[0] == "delete"); err != nil {
			s.groups = saved
			return srlErr("%v", err), false
		}
		s.sess = c
		return "", false
	case "commit":
		if !cand {
			return srlErr("commit is only available in candidate mode"), false
		}
		arg := "now"
		if len(toks) > 1 {
			arg = toks[1]
		}
		switch arg {
		case "now", "stay":
			if err := yang.Validate(s.sess); err != nil {
				return srlErr("validation failed: %v", err), false
			}
			if out := s.commitSession(); out != "" {
				return strings.Replace(out, "% Invalid configuration: ", "Error: ", 1), false
			}
			if arg == "stay" {
				s.sess = s.env.Store.Running()
				s.groups = groupsOf(s.sess)
			}
			return "All changes have been committed. " + map[string]string{"now": "Leaving candidate mode.", "stay": "Starting new transaction."}[arg] + "\n", false
		case "confirmed":
			timeout := 600 * time.Second
			if len(toks) == 4 && toks[2] == "timeout" {
				n, err := strconv.ParseUint(toks[3], 10, 32)
				if err != nil || n == 0 {
					return srlErr("timeout %q is not a positive number of seconds", toks[3]), false
				}
				timeout = time.Duration(n) * time.Second
			} else if len(toks) != 2 {
				return srlErr("usage: commit confirmed [timeout SECONDS]"), false
			}
			if err := yang.Validate(s.sess); err != nil {
				return srlErr("validation failed: %v", err), false
			}
			if out := s.commitSessionConfirmed(srlConfirmID, timeout); out != "" {
				return strings.Replace(out, "% Invalid configuration: ", "Error: ", 1), false
			}
			return fmt.Sprintf("All changes have been committed. Leaving candidate mode.\nCommit confirmed: accept within %d seconds with 'tools system configuration confirmed-accept'.\n", int(timeout.Seconds())), false
		case "validate":
			if err := yang.Validate(s.sess); err != nil {
				return srlErr("validation failed: %v", err), false
			}
			return "All changes have been validated\n", false
		}
		return srlErr("Unknown token '%s'. Options are ['confirmed', 'now', 'stay', 'validate']", arg), false
	case "discard":
		if !cand {
			return srlErr("discard is only available in candidate mode"), false
		}
		if len(toks) > 1 && toks[1] == "stay" {
			s.sess = s.env.Store.Running()
			s.groups = groupsOf(s.sess)
			return "", false
		}
		s.sess = nil
		return "", false
	case "diff":
		if !cand {
			return srlErr("diff is only available in candidate mode"), false
		}
		var b strings.Builder
		for _, c := range yang.Diff(s.env.Store.Running(), s.sess) {
			b.WriteString("      " + c.String() + "\n")
		}
		return b.String(), false
	case "info":
		return s.srlInfo(toks[1:]), false
	case "tools":
		if len(toks) == 4 && toks[1] == "system" && toks[2] == "configuration" {
			switch toks[3] {
			case "confirmed-accept":
				if err := s.env.Store.ConfirmPending(srlConfirmID); err != nil {
					return srlErr("no confirmed commit is pending"), false
				}
				return "", false
			case "confirmed-reject":
				if err := s.env.Store.CancelCommit(0, srlConfirmID); err != nil {
					return srlErr("no confirmed commit is pending"), false
				}
				return "", false
			}
		}
		return srlErr("Unknown token '%s'", strings.Join(toks[1:], " ")), false
	case "show":
		return s.srlShow(toks[1:]), false
	}
	return srlErr("Unknown token '%s'", toks[0]), false
}

// srlEdit applies one set or delete path (the words after "/") to t.
func (s *Session) srlEdit(t *yang.Tree, p []string, del bool) error {
	need := func(n int) error {
		if len(p) < n {
			return fmt.Errorf("incomplete path: %s", strings.Join(p, " "))
		}
		return nil
	}
	if err := need(2); err != nil {
		return err
	}
	switch p[0] {
	case "interface":
		name := p[1]
		ip := yang.InterfacePath(name)
		rest := p[2:]
		if len(rest) == 0 {
			if del {
				if t.Delete(ip) == 0 {
					return fmt.Errorf("interface %s does not exist", name)
				}
				return nil
			}
			return ensureIface(t, name)
		}
		if !del {
			if err := ensureIface(t, name); err != nil {
				return err
			}
		}
		return srlLeaf(t, ip, rest, del, map[string]srlField{
			"description": {path: yang.Path{}.Leaf("config", "description")},
			"mtu":         {path: yang.Path{}.Leaf("config", "mtu"), uint: true},
			"admin-state": {path: yang.Path{}.Leaf("config", "enabled"), enable: true},
		}, func(rest []string) error { return srlSub(t, name, rest, del) })
	case "network-instance":
		if p[1] != "default" {
			return fmt.Errorf("only network-instance default is modelled")
		}
		rest := p[2:]
		if len(rest) == 0 {
			return fmt.Errorf("incomplete path: %s", strings.Join(p, " "))
		}
		switch rest[0] {
		case "type", "admin-state":
			return nil
		case "static-routes":
			return s.srlStatic(t, rest[1:], del)
		case "next-hop-groups":
			return s.srlGroup(t, rest[1:], del)
		case "protocols":
			if len(rest) < 2 || rest[1] != "bgp" {
				return fmt.Errorf("unknown token '%s'. Options are ['bgp']", strings.Join(rest[1:], " "))
			}
			return srlBGP(t, rest[2:], del)
		}
		return fmt.Errorf("unknown token '%s'", rest[0])
	}
	return fmt.Errorf("unknown token '%s'. Options are ['interface', 'network-instance']", p[0])
}

type srlField struct {
	path   yang.Path
	uint   bool
	enable bool
}

// srlLeaf sets or deletes one leaf named rest[0] of base (value rest[1]), or
// hands unknown names to more.
func srlLeaf(t *yang.Tree, base yang.Path, rest []string, del bool, fields map[string]srlField, more func([]string) error) error {
	f, ok := fields[rest[0]]
	if !ok {
		if more != nil {
			return more(rest)
		}
		return fmt.Errorf("unknown token '%s'", rest[0])
	}
	p := append(append(yang.Path{}, base...), f.path...)
	if del {
		if len(rest) != 1 {
			return fmt.Errorf("delete takes no value: %s", strings.Join(rest, " "))
		}
		if f.enable {
			return t.Set(p, true) // the default
		}
		t.Delete(p)
		return nil
	}
	if len(rest) != 2 {
		return fmt.Errorf("%s needs one value", rest[0])
	}
	v := rest[1]
	switch {
	case f.uint:
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", rest[0], v)
		}
		return t.Set(p, n)
	case f.enable:
		if v != "enable" && v != "disable" {
			return fmt.Errorf("%s: %q is not enable or disable", rest[0], v)
		}
		return t.Set(p, v == "enable")
	}
	return t.Set(p, v)
}

func srlSub(t *yang.Tree, name string, rest []string, del bool) error {
	if rest[0] != "subinterface" {
		return fmt.Errorf("unknown token '%s'. Options are ['admin-state', 'description', 'mtu', 'subinterface']", rest[0])
	}
	if len(rest) < 2 {
		return fmt.Errorf("subinterface needs an index")
	}
	idx, err := strconv.ParseUint(rest[1], 10, 32)
	if err != nil {
		return fmt.Errorf("subinterface index %q is not a number", rest[1])
	}
	sp := yang.SubinterfacePath(name, uint32(idx))
	r := rest[2:]
	switch {
	case len(r) == 0 && del:
		t.Delete(sp)
		return nil
	case len(r) == 0:
		return t.Set(sp.Leaf("config", "index"), idx)
	case r[0] == "admin-state" || (len(r) >= 2 && r[0] == "ipv4" && r[1] == "admin-state"):
		if !del {
			return t.Set(sp.Leaf("config", "index"), idx)
		}
		return nil
	case len(r) == 3 && r[0] == "ipv4" && r[1] == "address":
		pfx, err := netip.ParsePrefix(r[2])
		if err != nil || !pfx.Addr().Is4() {
			return fmt.Errorf("%q is not an IPv4 address with a prefix length", r[2])
		}
		ap := yang.AddressPath(name, uint32(idx), pfx.Addr().String())
		if del {
			if t.Delete(ap) == 0 {
				return fmt.Errorf("address %s does not exist", r[2])
			}
			return nil
		}
		return t.Set(ap.Leaf("config", "prefix-length"), uint64(pfx.Bits()))
	case len(r) == 1 && r[0] == "ipv4" && del:
		t.Delete(sp.Leaf("ipv4"))
		return nil
	}
	return fmt.Errorf("unknown token '%s'", strings.Join(r, " "))
}

func srlBGP(t *yang.Tree, r []string, del bool) error {
	bgp := yang.BGPPath()
	if len(r) == 0 {
		if del {
			t.Delete(yang.ProtocolPath(yang.BGPProtocol, yang.BGPProtocol))
			return nil
		}
		return fmt.Errorf("incomplete path: protocols bgp")
	}
	switch r[0] {
	case "autonomous-system", "router-id":
		f := map[string]srlField{
			"autonomous-system": {path: yang.Path{}.Leaf("global", "config", "as"), uint: true},
			"router-id":         {path: yang.Path{}.Leaf("global", "config", "router-id")},
		}
		return srlLeaf(t, bgp, r, del, f, nil)
	case "admin-state", "afi-safi", "group":
		return nil
	case "neighbor":
		if len(r) < 2 {
			return fmt.Errorf("neighbor needs an address")
		}
		a, err := netip.ParseAddr(r[1])
		if err != nil || !a.Is4() {
			return fmt.Errorf("neighbor %q is not an IPv4 address", r[1])
		}
		n := yang.NeighborPath(r[1])
		if len(r) == 2 {
			if del {
				t.Delete(n)
				return nil
			}
			return fmt.Errorf("neighbor %s: set peer-as", r[1])
		}
		if r[2] == "peer-group" {
			return nil
		}
		f := map[string]srlField{
			"peer-as":     {path: yang.Path{}.Leaf("config", "peer-as"), uint: true},
			"description": {path: yang.Path{}.Leaf("config", "description")},
			"admin-state": {path: yang.Path{}.Leaf("config", "enabled"), enable: true},
		}
		if err := srlLeaf(t, n, r[2:], del, f, nil); err != nil {
			return err
		}
		if _, ok := t.Get(n.Leaf("config", "enabled")); !ok && !del {
			return t.Set(n.Leaf("config", "enabled"), true)
		}
		return nil
	}
	return fmt.Errorf("unknown token '%s'", r[0])
}

func quoteSRL(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\"'") {
		return v
	}
	return `"` + strings.ReplaceAll(v, `"`, `\"`) + `"`
}

func enableWord(v any) string {
	if v == false {
		return "disable"
	}
	return "enable"
}

// srlFlat renders t as "set / ..." lines.
func srlFlat(t *yang.Tree) []string {
	var out []string
	for _, name := range sortedIfNames(t) {
		p := yang.InterfacePath(name)
		pre := "set / interface " + name
		en, _ := t.Get(p.Leaf("config", "enabled"))
		out = append(out, pre+" admin-state "+enableWord(en))
		if d, ok := str(t, p.Leaf("config", "description")); ok {
			out = append(out, pre+" description "+quoteSRL(d))
		}
		if m, ok := str(t, p.Leaf("config", "mtu")); ok {
			out = append(out, pre+" mtu "+m)
		}
		for _, sub := range t.EntriesOf(p.Leaf("subinterfaces", "subinterface")) {
			idx := sub.KeyValue("index")
			sp := pre + " subinterface " + idx
			addrs := t.EntriesOf(sub.Leaf("ipv4", "addresses", "address"))
			if len(addrs) == 0 {
				out = append(out, sp+" admin-state enable")
				continue
			}
			out = append(out, sp+" ipv4 admin-state enable")
			for _, a := range addrs {
				l, _ := str(t, a.Leaf("config", "prefix-length"))
				out = append(out, sp+" ipv4 address "+a.KeyValue("ip")+"/"+l)
			}
		}
	}
	out = append(out, srlStaticFlat(t)...)
	if as, ok := str(t, yang.BGPPath().Leaf("global", "config", "as")); ok {
		pre := "set / network-instance default protocols bgp"
		out = append(out, pre+" autonomous-system "+as)
		if rid, ok := str(t, yang.BGPPath().Leaf("global", "config", "router-id")); ok {
			out = append(out, pre+" router-id "+rid)
		}
		for _, n := range t.EntriesOf(yang.BGPPath().Leaf("neighbors", "neighbor")) {
			np := pre + " neighbor " + n.KeyValue("neighbor-address")
			en, _ := t.Get(n.Leaf("config", "enabled"))
			out = append(out, np+" admin-state "+enableWord(en))
			if pas, ok := str(t, n.Leaf("config", "peer-as")); ok {
				out = append(out, np+" peer-as "+pas)
			}
			if d, ok := str(t, n.Leaf("config", "description")); ok {
				out = append(out, np+" description "+quoteSRL(d))
			}
		}
	}
	return out
}

// srlInfo answers info [flat] [from running|candidate] [path words...].
func (s *Session) srlInfo(args []string) string {
	flat := false
	tree := s.current()
	if s.sess == nil {
		tree = s.env.Store.Running()
	}
	var filter []string
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "flat":
			flat = true
		case args[i] == "from" && i+1 < len(args):
			switch args[i+1] {
			case "running":
				tree = s.env.Store.Running()
			case "candidate":
				if s.sess == nil {
					return srlErr("no candidate: enter candidate first")
				}
				tree = s.sess
			default:
				return srlErr("Unknown token '%s'. Options are ['candidate', 'running']", args[i+1])
			}
			i++
		case args[i] == "/":
		default:
			filter = append(filter, args[i])
		}
	}
	prefix := "set / " + strings.Join(filter, " ")
	var lines []string
	for _, l := range srlFlat(tree) {
		if len(filter) == 0 || l == prefix || strings.HasPrefix(l, prefix+" ") {
			lines = append(lines, l)
		}
	}
	if flat {
		if len(lines) == 0 {
			return ""
		}
		return strings.Join(lines, "\n") + "\n"
	}
	return srlTree(lines)
}

// srlTree renders flat "set / a b c value" lines as SR Linux's braces.
// Lists (interface, subinterface, address, neighbor, network-instance) take
// their key on the same line.
func srlTree(lines []string) string {
	keyed := map[string]bool{"interface": true, "subinterface": true, "network-instance": true, "neighbor": true, "address": true,
		"route": true, "group": true, "nexthop": true}
	var b strings.Builder
	var open []string
	for _, l := range lines {
		words, _ := srlTokens(strings.TrimPrefix(l, "set / "))
		// Group words into path nodes: keyed lists take their key.
		type node struct {
			s    string
			list bool
		}
		var nodes []node
		for i := 0; i < len(words); i++ {
			if keyed[words[i]] && i+1 < len(words) {
				nodes = append(nodes, node{words[i] + " " + words[i+1], true})
				i++
				continue
			}
			nodes = append(nodes, node{words[i], false})
		}
		var leaf []string // the last line(s), written inside the open nodes
		n := len(nodes)
		switch {
		case n >= 1 && nodes[n-1].list:
			leaf = []string{nodes[n-1].s + " {", "}"}
			nodes = nodes[:n-1]
		case n >= 2:
			leaf = []string{nodes[n-2].s + " " + quoteSRL(nodes[n-1].s)}
			nodes = nodes[:n-2]
		}
		path := make([]string, len(nodes))
		for i, nd := range nodes {
			path[i] = nd.s
		}
		common := 0
		for common < len(open) && common < len(path) && open[common] == path[common] {
			common++
		}
		for i := len(open) - 1; i >= common; i-- {
			b.WriteString(strings.Repeat("    ", i+1) + "}\n")
		}
		open = open[:common]
		for _, p := range path[common:] {
			b.WriteString(strings.Repeat("    ", len(open)+1) + p + " {\n")
			open = append(open, p)
		}
		for _, l := range leaf {
			b.WriteString(strings.Repeat("    ", len(open)+1) + l + "\n")
		}
	}
	for i := len(open) - 1; i >= 0; i-- {
		b.WriteString(strings.Repeat("    ", i+1) + "}\n")
	}
	return b.String()
}

func (s *Session) srlShow(args []string) string {
	switch {
	case len(args) >= 1 && args[0] == "interface":
		only := ""
		if len(args) > 1 {
			only = args[1]
		}
		return s.srlShowInterface(only)
	case len(args) == 1 && args[0] == "version":
		return fmt.Sprintf("Hostname             : %s\nChassis Type         : 7220 IXR-D2L\nSoftware Version     : v24.10.1 (netagent lab)\n", s.env.Hostname)
	case len(args) == 2 && args[0] == "lab":
		switch args[1] {
		case "resources":
			return s.showResources()
		case "links":
			return s.showLinks()
		case "traffic":
			return s.showTraffic()
		}
	}
	return srlErr("Unknown token '%s'. Options are ['interface', 'lab', 'version']", strings.Join(args, " "))
}

func (s *Session) srlShowInterface(only string) string {
	t := s.env.Store.Running()
	st := s.ifState(t)
	var b strings.Builder
	line := strings.Repeat("=", 70) + "\n"
	found := false
	for _, name := range sortedIfNames(t) {
		if only != "" && only != name {
			continue
		}
		found = true
		i, ok := st[name]
		en, _ := t.Get(yang.InterfacePath(name).Leaf("config", "enabled"))
		if !ok {
			i.Admin, i.Oper = en != false, en != false
		}
		b.WriteString(line)
		oper := "up"
		if !i.Oper {
			oper = "down"
		}
		fmt.Fprintf(&b, "%s is %s, speed 25G, type None\n", name, oper)
		if d, ok := str(t, yang.InterfacePath(name).Leaf("config", "description")); ok {
			fmt.Fprintf(&b, "  Description     : %s\n", d)
		}
		fmt.Fprintf(&b, "  Traffic         : in %d octets %d packets, out %d octets %d packets\n", i.InOctets, i.InPkts, i.OutOctets, i.OutPkts)
		fmt.Fprintf(&b, "  Rate            : in %.0f bps, out %.0f bps\n", i.InBps, i.OutBps)
		for _, sub := range t.EntriesOf(yang.InterfacePath(name).Leaf("subinterfaces", "subinterface")) {
			fmt.Fprintf(&b, "  %s.%s is %s\n", name, sub.KeyValue("index"), oper)
			for _, a := range t.EntriesOf(sub.Leaf("ipv4", "addresses", "address")) {
				l, _ := str(t, a.Leaf("config", "prefix-length"))
				fmt.Fprintf(&b, "    IPv4 addr    : %s/%s (static, None)\n", a.KeyValue("ip"), l)
			}
		}
	}
	if !found && only != "" {
		return srlErr("interface %s does not exist", only)
	}
	if found {
		b.WriteString(line)
	}
	return b.String()
}

// srlGroups is a candidate's next-hop groups (SR Linux keeps static route
// next hops in named groups; the canonical model keeps them on the route).
// Routes name a group; a group's next hops are materialised onto every
// route that uses it.
type srlGroups struct {
	hops   map[string]map[int]hop // group -> nexthop index -> hop
	routes map[string]string      // prefix -> group
}

func (g srlGroups) clone() srlGroups {
	c := srlGroups{hops: map[string]map[int]hop{}, routes: map[string]string{}}
	for name, hs := range g.hops {
		c.hops[name] = map[int]hop{}
		for i, h := range hs {
			c.hops[name][i] = h
		}
	}
	for p, name := range g.routes {
		c.routes[p] = name
	}
	return c
}

// groupName is the group a route's next hops are shown in.
func groupName(prefix string) string {
	return "static-" + strings.NewReplacer("/", "_", ".", "-").Replace(prefix)
}

func staticPrefixes(t *yang.Tree) []string {
	var out []string
	for _, r := range t.EntriesOf(yang.ProtocolPath(yang.StaticProtocol, yang.StaticProtocol).Leaf("static-routes", "static")) {
		out = append(out, r.KeyValue("prefix"))
	}
	return out
}

// groupsOf derives the groups of t's static routes: one per route.
func groupsOf(t *yang.Tree) srlGroups {
	g := srlGroups{hops: map[string]map[int]hop{}, routes: map[string]string{}}
	for _, p := range staticPrefixes(t) {
		name := groupName(p)
		g.routes[p] = name
		g.hops[name] = map[int]hop{}
		for i, h := range hopsOf(t, p) {
			g.hops[name][i] = h
		}
	}
	return g
}

// materialise writes group name's hops onto every route using it.
func (g srlGroups) materialise(t *yang.Tree, name string) error {
	idx := make([]int, 0, len(g.hops[name]))
	for i := range g.hops[name] {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	hops := make([]hop, 0, len(idx))
	for _, i := range idx {
		hops = append(hops, g.hops[name][i])
	}
	for p, n := range g.routes {
		if n != name {
			continue
		}
		if err := setHops(t, p, hops); err != nil {
			return err
		}
	}
	return nil
}

// srlStatic handles static-routes route PREFIX [next-hop-group G | admin-state X].
func (s *Session) srlStatic(t *yang.Tree, r []string, del bool) error {
	if len(r) < 2 || r[0] != "route" {
		return fmt.Errorf("incomplete path: static-routes route PREFIX")
	}
	pfx, err := netip.ParsePrefix(r[1])
	if err != nil || !pfx.Addr().Is4() || pfx.Masked() != pfx {
		return fmt.Errorf("route %q is not an IPv4 prefix without host bits", r[1])
	}
	prefix := pfx.String()
	rest := r[2:]
	switch {
	case len(rest) == 0 && del:
		delete(s.groups.routes, prefix)
		return setHops(t, prefix, nil)
	case len(rest) == 0:
		return nil
	case rest[0] == "admin-state" || rest[0] == "metric" || rest[0] == "preference":
		return nil
	case rest[0] == "next-hop-group" && del:
		delete(s.groups.routes, prefix)
		return setHops(t, prefix, nil)
	case rest[0] == "next-hop-group" && len(rest) == 2:
		s.groups.routes[prefix] = rest[1]
		if s.groups.hops[rest[1]] == nil {
			s.groups.hops[rest[1]] = map[int]hop{}
		}
		return s.groups.materialise(t, rest[1])
	}
	return fmt.Errorf("unknown token '%s'. Options are ['admin-state', 'next-hop-group']", strings.Join(rest, " "))
}

// srlGroup handles next-hop-groups group G [nexthop N ip-address A | blackhole | admin-state X].
func (s *Session) srlGroup(t *yang.Tree, r []string, del bool) error {
	if len(r) < 2 || r[0] != "group" {
		return fmt.Errorf("incomplete path: next-hop-groups group NAME")
	}
	name, rest := r[1], r[2:]
	g := s.groups.hops[name]
	if g == nil {
		g = map[int]hop{}
		s.groups.hops[name] = g
	}
	switch {
	case len(rest) == 0 && del:
		for p, n := range s.groups.routes {
			if n == name {
				return fmt.Errorf("group %s is used by route %s", name, p)
			}
		}
		delete(s.groups.hops, name)
		return nil
	case len(rest) == 0 || rest[0] == "admin-state":
		return nil
	case rest[0] == "blackhole":
		if del {
			for i, h := range g {
				if h.nh == "DROP" {
					delete(g, i)
				}
			}
		} else {
			for i := range g {
				delete(g, i)
			}
			g[0] = hop{nh: "DROP"}
		}
		return s.groups.materialise(t, name)
	case rest[0] == "nexthop" && len(rest) >= 2:
		i, err := strconv.ParseUint(rest[1], 10, 16)
		if err != nil {
			return fmt.Errorf("nexthop index %q is not a number", rest[1])
		}
		switch {
		case del && len(rest) == 2:
			delete(g, int(i))
		case !del && len(rest) == 4 && rest[2] == "ip-address":
			a, err := netip.ParseAddr(rest[3])
			if err != nil || !a.Is4() {
				return fmt.Errorf("ip-address %q is not an IPv4 address", rest[3])
			}
			if h, ok := g[0]; ok && h.nh == "DROP" {
				delete(g, 0)
			}
			g[int(i)] = hop{nh: a.String()}
		case len(rest) >= 3 && (rest[2] == "admin-state" || rest[2] == "resolve"):
			return nil
		default:
			return fmt.Errorf("unknown token '%s'. Options are ['ip-address']", strings.Join(rest[2:], " "))
		}
		return s.groups.materialise(t, name)
	}
	return fmt.Errorf("unknown token '%s'. Options are ['admin-state', 'blackhole', 'nexthop']", rest[0])
}

// srlStaticFlat renders t's static routes as SR Linux set lines, one group
// per route.
func srlStaticFlat(t *yang.Tree) []string {
	var out, groups []string
	pre := "set / network-instance default "
	for _, p := range staticPrefixes(t) {
		name := groupName(p)
		out = append(out, pre+"static-routes route "+p+" admin-state enable", pre+"static-routes route "+p+" next-hop-group "+name)
		groups = append(groups, pre+"next-hop-groups group "+name+" admin-state enable")
		for i, h := range hopsOf(t, p) {
			switch {
			case h.nh == "DROP":
				groups = append(groups, pre+"next-hop-groups group "+name+" blackhole generate-icmp false")
			case h.nh != "LOCAL_LINK":
				groups = append(groups, pre+"next-hop-groups group "+name+" nexthop "+strconv.Itoa(i)+" ip-address "+h.nh)
			}
		}
	}
	return append(out, groups...)
}
