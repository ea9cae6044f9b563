package clisrv

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/yang"
)

func (s *Session) indent() string {
	if s.env.Platform == EOS {
		return "   "
	}
	return " "
}

func str(t *yang.Tree, p yang.Path) (string, bool) {
	v, ok := t.Get(p)
	if !ok {
		return "", false
	}
	return yang.FormatValue(v), true
}

// showRunning prints the running configuration in the platform's style.
func (s *Session) showRunning() string {
	t := s.env.Store.Running()
	in := s.indent()
	var b strings.Builder
	eos := s.env.Platform == EOS
	if eos {
		fmt.Fprintf(&b, "! Command: show running-config\n! device: %s (cEOS-lab, EOS-4.33.0F)\n!\nhostname %s\n!\n", s.env.Hostname, s.env.Hostname)
	} else {
		fmt.Fprintf(&b, "Building configuration...\n\nCurrent configuration:\n!\nfrr version 10.2.1\nfrr defaults traditional\nhostname %s\n!\n", s.env.Hostname)
	}
	for _, name := range sortedIfNames(t) {
		p := yang.InterfacePath(name)
		b.WriteString("interface " + name + "\n")
		if d, ok := str(t, p.Leaf("config", "description")); ok {
			b.WriteString(in + "description " + d + "\n")
		}
		if m, ok := str(t, p.Leaf("config", "mtu")); ok {
			b.WriteString(in + "mtu " + m + "\n")
		}
		if eos && yang.InterfaceType(name) == "ethernetCsmacd" {
			b.WriteString(in + "no switchport\n")
		}
		for _, a := range addrsOf(t, name) {
			b.WriteString(in + "ip address " + a.String() + "\n")
		}
		if v, ok := t.Get(p.Leaf("config", "enabled")); ok && v == false {
			b.WriteString(in + "shutdown\n")
		}
		if !eos {
			b.WriteString("exit\n")
		}
		b.WriteString("!\n")
	}
	routes := t.EntriesOf(yang.ProtocolPath(yang.StaticProtocol, yang.StaticProtocol).Leaf("static-routes", "static"))
	for _, r := range routes {
		prefix := r.KeyValue("prefix")
		for _, h := range hopsOf(t, prefix) {
			b.WriteString(s.routeLine(prefix, h) + "\n")
		}
	}
	if len(routes) > 0 {
		b.WriteString("!\n")
	}
	if as, ok := str(t, yang.BGPPath().Leaf("global", "config", "as")); ok {
		b.WriteString("router bgp " + as + "\n")
		if rid, ok := str(t, yang.BGPPath().Leaf("global", "config", "router-id")); ok {
			if eos {
				b.WriteString(in + "router-id " + rid + "\n")
			} else {
				b.WriteString(in + "bgp router-id " + rid + "\n")
			}
		}
		for _, n := range t.EntriesOf(yang.BGPPath().Leaf("neighbors", "neighbor")) {
			addr := n.KeyValue("neighbor-address")
			if pas, ok := str(t, n.Leaf("config", "peer-as")); ok {
				b.WriteString(in + "neighbor " + addr + " remote-as " + pas + "\n")
			}
			if d, ok := str(t, n.Leaf("config", "description")); ok {
				b.WriteString(in + "neighbor " + addr + " description " + d + "\n")
			}
			if v, ok := t.Get(n.Leaf("config", "enabled")); ok && v == false {
				b.WriteString(in + "neighbor " + addr + " shutdown\n")
			}
		}
		if !eos {
			b.WriteString("exit\n")
		}
		b.WriteString("!\n")
	}
	b.WriteString("end\n")
	return b.String()
}

func (s *Session) routeLine(prefix string, h hop) string {
	nh := h.nh
	switch nh {
	case "DROP":
		nh = "blackhole"
		if s.env.Platform == EOS {
			nh = "Null0"
		}
	case "LOCAL_LINK":
		nh = ""
	}
	parts := []string{"ip route", prefix}
	if s.env.Platform == EOS {
		parts = append(parts, h.ifname, nh)
	} else {
		parts = append(parts, nh, h.ifname)
	}
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

func (s *Session) ifState(t *yang.Tree) map[string]synth.Interface {
	out := map[string]synth.Interface{}
	if s.env.Telemetry.Interfaces == nil {
		return out
	}
	for _, i := range s.env.Telemetry.Interfaces(t, time.Now()) {
		out[i.Name] = i
	}
	return out
}

func upDown(b bool) string {
	if b {
		return "up"
	}
	return "down"
}

// showInterfaces prints interface status and counters.
// showInterfaceBrief is FRR's "show interface brief": every interface,
// configured or not, with its status, VRF and addresses.
func (s *Session) showInterfaceBrief() string {
	t := s.env.Store.Running()
	st := s.ifState(t)
	var b strings.Builder
	fmt.Fprintf(&b, "%-15s %-7s %-15s %s\n", "Interface", "Status", "VRF", "Addresses")
	fmt.Fprintf(&b, "%-15s %-7s %-15s %s\n", "---------", "------", "---", "---------")
	for _, name := range sortedIfNames(t) {
		status := "up"
		if i, ok := st[name]; ok && !i.Oper {
			status = "down"
		} else if en, _ := t.Get(yang.InterfacePath(name).Leaf("config", "enabled")); en == false {
			status = "down"
		}
		addrs := addrsOf(t, name)
		first := ""
		if len(addrs) > 0 {
			first = addrs[0].String()
			addrs = addrs[1:]
		}
		fmt.Fprintf(&b, "%-15s %-7s %-15s %s\n", name, status, "default", first)
		for _, a := range addrs {
			fmt.Fprintf(&b, "%-15s %-7s %-15s + %s\n", "", "", "", a)
		}
	}
	return b.String()
}

func (s *Session) showInterfaces(only string) string {
	t := s.env.Store.Running()
	st := s.ifState(t)
	var b strings.Builder
	found := false
	for _, name := range sortedIfNames(t) {
		if only != "" && name != only {
			continue
		}
		found = true
		p := yang.InterfacePath(name)
		i, ok := st[name]
		if !ok {
			en, _ := t.Get(p.Leaf("config", "enabled"))
			i = synth.Interface{Name: name, Admin: en != false, Oper: en != false}
		}
		descr, _ := str(t, p.Leaf("config", "description"))
		mtu, ok := str(t, p.Leaf("config", "mtu"))
		if !ok {
			mtu = "1500"
		}
		if s.env.Platform == EOS {
			line := "up"
			switch {
			case !i.Admin:
				line = "administratively down, line protocol is down (disabled)"
			case !i.Oper:
				line = "down, line protocol is down (notconnect)"
			default:
				line = "up, line protocol is up (connected)"
			}
			fmt.Fprintf(&b, "%s is %s\n", name, line)
			fmt.Fprintf(&b, "  Description: %s\n", descr)
			for _, a := range addrsOf(t, name) {
				fmt.Fprintf(&b, "  Internet address is %s\n", a)
			}
			fmt.Fprintf(&b, "  IP MTU %s bytes\n", mtu)
			fmt.Fprintf(&b, "  5 minutes input rate %.0f bps, 5 minutes output rate %.0f bps\n", i.InBps, i.OutBps)
			fmt.Fprintf(&b, "     %d packets input, %d bytes\n", i.InPkts, i.InOctets)
			fmt.Fprintf(&b, "     %d input errors, %d input discards\n", i.InErrors, i.Discards)
			fmt.Fprintf(&b, "     %d packets output, %d bytes\n", i.OutPkts, i.OutOctets)
			continue
		}
		admin := "up"
		if !i.Admin {
			admin = "administratively down"
		}
		fmt.Fprintf(&b, "Interface %s is %s, line protocol is %s\n", name, admin, upDown(i.Oper))
		if descr != "" {
			fmt.Fprintf(&b, "  Description: %s\n", descr)
		}
		fmt.Fprintf(&b, "  mtu %s\n", mtu)
		for _, a := range addrsOf(t, name) {
			fmt.Fprintf(&b, "  inet %s\n", a)
		}
		fmt.Fprintf(&b, "  Input rate %.0f bps, output rate %.0f bps\n", i.InBps, i.OutBps)
		fmt.Fprintf(&b, "  Input packets %d, bytes %d, errors %d, dropped %d\n", i.InPkts, i.InOctets, i.InErrors, i.Discards)
		fmt.Fprintf(&b, "  Output packets %d, bytes %d\n", i.OutPkts, i.OutOctets)
	}
	if !found && only != "" {
		if s.env.Platform == EOS {
			return "% Invalid input\n"
		}
		return "% Can't find interface " + only + "\n"
	}
	return b.String()
}

// showRoutes prints connected routes of up interfaces and static routes.
func (s *Session) showRoutes() string {
	t := s.env.Store.Running()
	st := s.ifState(t)
	var b strings.Builder
	eos := s.env.Platform == EOS
	if eos {
		b.WriteString("VRF: default\nCodes: C - connected, S - static, K - kernel, B - BGP\n\nGateway of last resort is not set\n\n")
	} else {
		b.WriteString("Codes: K - kernel route, C - connected, S - static, R - RIP,\n       O - OSPF, I - IS-IS, B - BGP, E - EIGRP, N - NHRP,\n       > - selected route, * - FIB route, q - queued, r - rejected, b - backup\n\n")
	}
	for _, name := range sortedIfNames(t) {
		if i, ok := st[name]; ok && !i.Oper {
			continue
		}
		if v, ok := t.Get(yang.InterfacePath(name).Leaf("config", "enabled")); ok && v == false {
			continue
		}
		for _, a := range addrsOf(t, name) {
			if eos {
				fmt.Fprintf(&b, " C        %s is directly connected, %s\n", a.Masked(), name)
			} else {
				fmt.Fprintf(&b, "C>* %s is directly connected, %s\n", a.Masked(), name)
			}
		}
	}
	for _, r := range t.EntriesOf(yang.ProtocolPath(yang.StaticProtocol, yang.StaticProtocol).Leaf("static-routes", "static")) {
		prefix := r.KeyValue("prefix")
		for i, h := range hopsOf(t, prefix) {
			via := ""
			switch h.nh {
			case "DROP":
				via = "unreachable (blackhole)"
				if eos {
					via = "is directly connected, Null0"
				}
			case "LOCAL_LINK":
				via = "is directly connected, " + h.ifname
			default:
				via = "via " + h.nh
				if h.ifname != "" {
					via += ", " + h.ifname
				}
			}
			code := "S>*"
			if eos {
				code = " S      "
			}
			if i > 0 && !eos {
				fmt.Fprintf(&b, "  * %s [1/0] %s\n", strings.Repeat(" ", len(prefix)), via)
				continue
			}
			fmt.Fprintf(&b, "%s %s [1/0] %s\n", code, prefix, via)
		}
	}
	return b.String()
}

// showBGP prints neighbours; a neighbour is Established when it is enabled
// and lies in the subnet of an up interface.
func (s *Session) showBGP() string {
	t := s.env.Store.Running()
	as, ok := str(t, yang.BGPPath().Leaf("global", "config", "as"))
	if !ok {
		if s.env.Platform == EOS {
			return "% BGP inactive\n"
		}
		return "% BGP instance not found\n"
	}
	rid, _ := str(t, yang.BGPPath().Leaf("global", "config", "router-id"))
	st := s.ifState(t)
	var subnets []netip.Prefix
	for _, name := range sortedIfNames(t) {
		if i, ok := st[name]; ok && !i.Oper {
			continue
		}
		for _, a := range addrsOf(t, name) {
			subnets = append(subnets, a.Masked())
		}
	}
	var b strings.Builder
	if s.env.Platform == EOS {
		fmt.Fprintf(&b, "BGP summary information for VRF default\nRouter identifier %s, local AS number %s\n", rid, as)
		b.WriteString("  Neighbor         V  AS           MsgRcvd   MsgSent  InQ OutQ  Up/Down State   PfxRcd PfxAcc\n")
	} else {
		fmt.Fprintf(&b, "IPv4 Unicast Summary (VRF default):\nBGP router identifier %s, local AS number %s vrf-id 0\n\n", rid, as)
		b.WriteString("Neighbor        V         AS   MsgRcvd   MsgSent   TblVer  InQ OutQ  Up/Down State/PfxRcd   PfxSnt Desc\n")
	}
	up := time.Since(s.env.Started).Truncate(time.Second)
	for _, n := range t.EntriesOf(yang.BGPPath().Leaf("neighbors", "neighbor")) {
		addr := n.KeyValue("neighbor-address")
		pas, _ := str(t, n.Leaf("config", "peer-as"))
		desc, _ := str(t, n.Leaf("config", "description"))
		state := "Active"
		if v, ok := t.Get(n.Leaf("config", "enabled")); ok && v == false {
			state = "Idle (Admin)"
		} else if a, err := netip.ParseAddr(addr); err == nil {
			for _, sn := range subnets {
				if sn.Contains(a) {
					state = "Established"
				}
			}
		}
		if desc == "" {
			desc = "N/A"
		}
		upd := "never"
		if state == "Established" {
			upd = fmtDur(up)
		}
		if s.env.Platform == EOS {
			fmt.Fprintf(&b, "  %-16s 4  %-12s %7d %9d %4d %4d %8s %-7s %6d %6d\n", addr, pas, 0, 0, 0, 0, upd, strings.Fields(state)[0], 0, 0)
			continue
		}
		st := state
		if state == "Established" {
			st = "0"
		}
		fmt.Fprintf(&b, "%-15s 4 %10s %9d %9d %8d %4d %4d %8s %12s %8d %s\n", addr, pas, 0, 0, 0, 0, 0, upd, st, 0, desc)
	}
	return b.String()
}

func fmtDur(d time.Duration) string {
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	sec := int(d.Seconds()) % 60
	return fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
}

func (s *Session) showVersion() string {
	up := fmtDur(time.Since(s.env.Started).Truncate(time.Second))
	if s.env.Platform == EOS {
		out := fmt.Sprintf("Arista cEOSLab\nSoftware image version: 4.33.0F (netagent lab)\nHostname: %s\nUptime: %s\n", s.env.Hostname, up)
		if s.env.Telemetry.Device != nil {
			d := s.env.Telemetry.Device(time.Now())
			out += fmt.Sprintf("Total memory:           %d kB\nFree memory:            %d kB\n", d.MemPhysical/1024, (d.MemPhysical-d.MemUsed)/1024)
		}
		return out
	}
	return fmt.Sprintf("FRRouting 10.2.1 (%s) on Linux (netagent lab).\nUptime: %s\n", s.env.Hostname, up)
}

// showResources prints the lab model's device figures.
func (s *Session) showResources() string {
	if s.env.Telemetry.Device == nil {
		return ""
	}
	d := s.env.Telemetry.Device(time.Now())
	var b strings.Builder
	fmt.Fprintf(&b, "CPU utilization: %.2f%%\n", d.CPU)
	fmt.Fprintf(&b, "Memory: %d used of %d bytes (%.2f%%)\n", d.MemUsed, d.MemPhysical, d.MemUtil())
	for _, p := range d.PSU {
		fmt.Fprintf(&b, "Power supply %s: %s, %.2f W\n", p.Name, p.Status, p.Watts)
	}
	return b.String()
}

// showLinks prints the lab model's link figures.
func (s *Session) showLinks() string {
	if s.env.Telemetry.Links == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("Local            Remote           State  Latency(ms)  Jitter(ms)  Loss(%)\n")
	for _, l := range s.env.Telemetry.Links(time.Now()) {
		fmt.Fprintf(&b, "%-16s %-16s %-6s %11.4f %11.4f %8.4f\n", l.Local, l.Remote, upDown(l.Up), l.LatencyMs, l.JitterMs, l.LossPct)
	}
	return b.String()
}

// showTraffic prints sessions, peaks, convergence and the application mix.
func (s *Session) showTraffic() string {
	if s.env.Telemetry.Device == nil {
		return ""
	}
	d := s.env.Telemetry.Device(time.Now())
	var b strings.Builder
	fmt.Fprintf(&b, "Sessions: %d\nTraffic peak: %.2f bps\nRoute convergence: %.2f ms\nApplication mix:\n", d.Sessions, d.PeakBps, d.ConvergeMs)
	for _, a := range d.AppMix {
		fmt.Fprintf(&b, "  %-8s %6.2f%%\n", a.Name, 100*a.Share)
	}
	return b.String()
}

// showEnvPower is EOS's "show environment power": one line per supply.
func (s *Session) showEnvPower() string {
	if s.env.Telemetry.Device == nil {
		return ""
	}
	d := s.env.Telemetry.Device(time.Now())
	var b strings.Builder
	b.WriteString("Power                       Input    Output    Output\nSupply  Model        Capacity  Current  Current    Power  Status\n------- ------------ -------- -------- -------- -------- ------\n")
	for i, p := range d.PSU {
		status := "Ok"
		if p.Status != "ACTIVE" {
			status = "Failed"
		}
		fmt.Fprintf(&b, "%-7d %-12s %8s %8s %8s %7.1fW %s\n", i+1, "PWR-500AC-R", "500W", "-", "-", p.Watts, status)
	}
	return b.String()
}

// showTop is EOS's "show processes top once": the summary lines.
func (s *Session) showTop() string {
	if s.env.Telemetry.Device == nil {
		return ""
	}
	d := s.env.Telemetry.Device(time.Now())
	up := fmtDur(time.Since(s.env.Started).Truncate(time.Second))
	return fmt.Sprintf("top - %s up %s,  1 user\n%%Cpu(s): %5.1f us,  0.0 sy,  0.0 ni, %5.1f id,  0.0 wa\nKiB Mem : %d total, %d free, %d used\n",
		time.Now().UTC().Format("15:04:05"), up, d.CPU, 100-d.CPU, d.MemPhysical/1024, (d.MemPhysical-d.MemUsed)/1024, d.MemUsed/1024)
}
