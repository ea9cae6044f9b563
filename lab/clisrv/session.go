package clisrv

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/yang"
)

// Platforms the CLI speaks.
const (
	FRR = "frr" // FRR vtysh
	EOS = "eos" // Arista EOS
)

// Telemetry supplies the figures show commands print; nil funcs print
// nothing.
type Telemetry struct {
	Interfaces func(running *yang.Tree, now time.Time) []synth.Interface
	Device     func(now time.Time) synth.Device
	Links      func(now time.Time) []synth.Link
}

// Env is what a session works on: one device.
type Env struct {
	Hostname  string
	Platform  string // FRR or EOS
	Store     *datastore.Store
	Faults    *fault.Set // nil: none
	Telemetry Telemetry
	Started   time.Time // for uptimes
}

// Session is one CLI session's state and interpreter. It is not safe for
// concurrent use; a shell owns one.
type Session struct {
	env     *Env
	mode    mode
	iface   string
	sess    *yang.Tree // EOS configure session: edits not yet committed
	sessNm  string
	ctx     context.Context
	dropped bool
	groups  srlGroups // SR Linux next-hop groups of the candidate
}

// NewSession starts a session in privileged exec mode. ctx bounds the
// commits the session starts (the wait of a slow-commit fault): a commit
// abandoned because ctx ended applies nothing. The server passes its own
// lifetime, not the session's transport, because a device completes a
// commit it has begun even when the client that asked for it goes away.
func NewSession(ctx context.Context, env *Env) *Session {
	if env.Faults == nil {
		env.Faults = fault.NewSet()
	}
	if env.Started.IsZero() {
		env.Started = time.Now()
	}
	return &Session{env: env, mode: modeExec, ctx: ctx}
}

// Dropped reports whether an injected fault asked to drop the connection.
func (s *Session) Dropped() bool { return s.dropped }

// Prompt is the prompt to print before the next line.
func (s *Session) Prompt() string {
	if s.env.Platform == SRL {
		return s.srlPrompt()
	}
	h := s.env.Hostname
	switch s.mode {
	case modeUser:
		return h + ">"
	case modeConfig:
		if s.sess != nil {
			return h + "(config-s-" + trunc(s.sessNm, 6) + ")#"
		}
		return h + "(config)#"
	case modeIf:
		if s.env.Platform == EOS {
			return h + "(config-if-" + s.iface + ")#"
		}
		return h + "(config-if)#"
	case modeRouter:
		if s.env.Platform == EOS {
			return h + "(config-router-bgp)#"
		}
		return h + "(config-router)#"
	}
	return h + "#"
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (s *Session) errUnknown(line string) string {
	if s.env.Platform == EOS {
		return "% Invalid input\n"
	}
	return "% Unknown command: " + line + "\n"
}

func (s *Session) errIncomplete(line string) string {
	if s.env.Platform == EOS {
		return "% Incomplete command\n"
	}
	return "% Command incomplete: " + line + "\n"
}

func (s *Session) errConfig(msg string) string {
	if s.env.Platform == EOS {
		return "% Error: " + msg + "\n"
	}
	return "% Invalid configuration: " + msg + "\n"
}

// Exec runs one line and returns its output (lines end in "\n") and whether
// the session ends.
func (s *Session) Exec(line string) (string, bool) {
	line = strings.TrimSpace(line)
	if s.env.Platform == SRL {
		return s.execSRL(line)
	}
	if line == "" || strings.HasPrefix(line, "!") {
		return "", false
	}
	toks := strings.Fields(line)
	var best *command
	var bestArgs []string
	bestExact, ties := -1, 0
	sawIncomplete := false
	for i := range commands {
		c := &commands[i]
		if c.modes&s.mode == 0 || (c.plats != "" && c.plats != s.env.Platform) {
			continue
		}
		r, args, exact := match(c.pattern, toks, line)
		switch r {
		case incomplete:
			sawIncomplete = true
		case matched:
			if exact > bestExact {
				best, bestArgs, bestExact, ties = c, args, exact, 0
			} else if exact == bestExact {
				ties++
			}
		}
	}
	switch {
	case best != nil && ties > 0:
		if s.env.Platform == EOS {
			return "% Ambiguous command\n", false
		}
		return "% Ambiguous command: " + line + "\n", false
	case best != nil:
		out := best.run(s, bestArgs)
		if out == quitSignal {
			return "", true
		}
		return out, false
	case sawIncomplete:
		return s.errIncomplete(line), false
	}
	return s.errUnknown(line), false
}

const quitSignal = "\x00quit"

// edit applies fn to the running configuration (or to the open EOS
// configuration session), validating the result. It returns the error
// output, or "".
func (s *Session) edit(fn func(t *yang.Tree) error) string {
	if s.sess != nil {
		c := s.sess.Clone()
		if err := fn(c); err != nil {
			return s.errConfig(err.Error())
		}
		s.sess = c
		return ""
	}
	return s.apply(fn)
}

// apply commits fn to running, honouring commit faults.
func (s *Session) apply(fn func(t *yang.Tree) error) string {
	return s.applyConfirmed(fn, "", 0)
}

// applyConfirmed is apply as a confirmed commit identified by id that
// reverts after timeout unless confirmed; id "" is a plain commit.
func (s *Session) applyConfirmed(fn func(t *yang.Tree) error, id string, timeout time.Duration) string {
	// A line that changes nothing is not a commit.
	before := s.env.Store.Running()
	dry := before.Clone()
	if err := fn(dry); err == nil && dry.Equal(before) && id == "" {
		return ""
	}
	f := s.env.Faults
	rf, err := f.BeforeCommit(s.ctx, fault.CLI)
	if err != nil {
		// The device is stopping: nothing is applied.
		return s.errConfig("commit abandoned: " + err.Error())
	}
	if rf != nil {
		return s.errConfig(rf.Message)
	}
	checked := func(t *yang.Tree) error {
		if err := fn(t); err != nil {
			return err
		}
		return yang.Validate(t)
	}
	if id == "" {
		err = s.env.Store.Edit(datastore.Running, 0, "cli", checked)
	} else {
		err = s.env.Store.EditConfirmed("cli", id, timeout, checked)
	}
	if err != nil {
		var ve *yang.ValidationError
		var le *datastore.LockError
		switch {
		case errors.As(err, &ve) && len(ve.Errors) > 0:
			return s.errConfig(ve.Errors[0].Path + ": " + ve.Errors[0].Reason)
		case errors.As(err, &le):
			return s.errConfig(fmt.Sprintf("configuration is locked by NETCONF session %d", le.Holder))
		}
		return s.errConfig(err.Error())
	}
	if _, ok := f.Take(fault.CLI, fault.DropCommit); ok {
		s.dropped = true
	}
	return ""
}

// current returns the tree config commands see: the session's or running.
func (s *Session) current() *yang.Tree {
	if s.sess != nil {
		return s.sess
	}
	return s.env.Store.Running()
}

func ensureIface(t *yang.Tree, name string) error {
	p := yang.InterfacePath(name)
	if t.Has(p) {
		return nil
	}
	if err := t.Set(p.Leaf("config", "name"), name); err != nil {
		return err
	}
	if err := t.Set(p.Leaf("config", "type"), yang.InterfaceType(name)); err != nil {
		return err
	}
	return t.Set(p.Leaf("config", "enabled"), true)
}

var commands []command

func init() { commands = grammar() }

func grammar() []command {
	return []command{
		// exec
		{"configure terminal", modeExec, "", func(s *Session, _ []string) string { s.mode = modeConfig; return "" }},
		{"configure", modeExec, EOS, func(s *Session, _ []string) string { s.mode = modeConfig; return "" }},
		{"configure session <name>", modeExec | modeConfig, EOS, func(s *Session, a []string) string {
			s.sess, s.sessNm, s.mode = s.env.Store.Running(), a[0], modeConfig
			return ""
		}},
		{"terminal length <n>", modeExec | modeUser, "", func(*Session, []string) string { return "" }},
		{"terminal width <n>", modeExec | modeUser, "", func(*Session, []string) string { return "" }},
		{"terminal monitor", modeExec, "", func(*Session, []string) string { return "" }},
		{"enable", modeExec | modeUser, EOS, func(s *Session, _ []string) string { s.mode = modeExec; return "" }},
		{"disable", modeExec, EOS, func(s *Session, _ []string) string { s.mode = modeUser; return "" }},
		{"show running-config", modeExec, "", func(s *Session, _ []string) string { return s.showRunning() }},
		{"show interface brief", modeExec | modeUser, FRR, func(s *Session, _ []string) string { return s.showInterfaceBrief() }},
		{"show interface [name]", modeExec | modeUser, FRR, func(s *Session, a []string) string { return s.showInterfaces(a[0]) }},
		{"show interfaces [name]", modeExec | modeUser, "", func(s *Session, a []string) string { return s.showInterfaces(a[0]) }},
		{"show ip route", modeExec | modeUser, "", func(s *Session, _ []string) string { return s.showRoutes() }},
		{"show ip bgp summary", modeExec | modeUser, "", func(s *Session, _ []string) string { return s.showBGP() }},
		{"show bgp summary", modeExec | modeUser, FRR, func(s *Session, _ []string) string { return s.showBGP() }},
		{"show version", modeExec | modeUser, "", func(s *Session, _ []string) string { return s.showVersion() }},
		{"show environment power", modeExec | modeUser, EOS, func(s *Session, _ []string) string { return s.showEnvPower() }},
		{"show processes top once", modeExec | modeUser, EOS, func(s *Session, _ []string) string { return s.showTop() }},
		{"show lab resources", modeExec | modeUser, "", func(s *Session, _ []string) string { return s.showResources() }},
		{"show lab links", modeExec | modeUser, "", func(s *Session, _ []string) string { return s.showLinks() }},
		{"show lab traffic", modeExec | modeUser, "", func(s *Session, _ []string) string { return s.showTraffic() }},
		{"write [memory]", modeExec, "", func(s *Session, _ []string) string { return s.write() }},
		{"copy running-config startup-config", modeExec, "", func(s *Session, _ []string) string { return s.write() }},
		{"exit", modeExec | modeUser, "", func(*Session, []string) string { return quitSignal }},
		{"quit", modeExec | modeUser, "", func(*Session, []string) string { return quitSignal }},
		{"logout", modeExec | modeUser, "", func(*Session, []string) string { return quitSignal }},
		{"end", modeExec, "", func(*Session, []string) string { return "" }},

		// any configuration mode
		{"end", modeAnyConfig, "", func(s *Session, _ []string) string { return s.leaveConfig() }},
		{"do <...>", modeAnyConfig, "", func(s *Session, a []string) string {
			m := s.mode
			s.mode = modeExec
			out, _ := s.Exec(a[0])
			if s.mode == modeExec {
				s.mode = m
			}
			return out
		}},
		{"exit", modeConfig, "", func(s *Session, _ []string) string { return s.leaveConfig() }},
		{"exit", modeIf | modeRouter, "", func(s *Session, _ []string) string { s.mode = modeConfig; return "" }},
		{"commit", modeAnyConfig, EOS, func(s *Session, _ []string) string { return s.commitSession() }},
		{"commit timer <hh:mm:ss>", modeAnyConfig, EOS, func(s *Session, a []string) string {
			if s.sess == nil {
				return "% Error: commit timer needs a configuration session\n"
			}
			d, err := parseHMS(a[0])
			if err != nil {
				return s.errConfig(err.Error())
			}
			return s.commitSessionConfirmed(s.sessNm, d)
		}},
		{"configure session <name> commit", modeExec | modeConfig, EOS, func(s *Session, a []string) string {
			if err := s.env.Store.ConfirmPending(a[0]); err != nil {
				return "% Error: no pending commit timer for session " + a[0] + "\n"
			}
			return ""
		}},
		{"configure session <name> abort", modeExec | modeConfig, EOS, func(s *Session, a []string) string {
			if err := s.env.Store.CancelCommit(0, a[0]); err != nil {
				return "% Error: no pending commit timer for session " + a[0] + "\n"
			}
			return ""
		}},
		{"abort", modeAnyConfig, EOS, func(s *Session, _ []string) string {
			if s.sess == nil {
				return "% Error: not in a configuration session\n"
			}
			s.sess, s.mode = nil, modeExec
			return ""
		}},
		{"hostname <name>", modeConfig, "", func(s *Session, a []string) string { return "" }},
		{"interface <name>", modeAnyConfig, "", func(s *Session, a []string) string {
			if out := s.edit(func(t *yang.Tree) error { return ensureIface(t, a[0]) }); out != "" {
				return out
			}
			s.iface, s.mode = a[0], modeIf
			return ""
		}},
		{"no interface <name>", modeConfig, "", func(s *Session, a []string) string {
			return s.edit(func(t *yang.Tree) error {
				if t.Delete(yang.InterfacePath(a[0])) == 0 {
					return fmt.Errorf("interface %s does not exist", a[0])
				}
				return nil
			})
		}},
		{"ip route <prefix> <hop> [hop]", modeConfig, "", func(s *Session, a []string) string { return s.route(a, false) }},
		{"no ip route <prefix> [hop] [hop]", modeConfig, "", func(s *Session, a []string) string { return s.route(a, true) }},
		{"router bgp <as>", modeConfig | modeRouter, "", func(s *Session, a []string) string {
			as, err := strconv.ParseUint(a[0], 10, 32)
			if err != nil || as == 0 {
				return s.errConfig(fmt.Sprintf("AS %q is not a number from 1 to 4294967295", a[0]))
			}
			if v, ok := s.current().Get(yang.BGPPath().Leaf("global", "config", "as")); ok && v != as {
				return fmt.Sprintf("%% BGP is already running; AS is %d\n", v)
			}
			if out := s.edit(func(t *yang.Tree) error { return t.Set(yang.BGPPath().Leaf("global", "config", "as"), as) }); out != "" {
				return out
			}
			s.mode = modeRouter
			return ""
		}},
		{"no router bgp [as]", modeConfig, "", func(s *Session, a []string) string {
			return s.edit(func(t *yang.Tree) error {
				t.Delete(yang.ProtocolPath(yang.BGPProtocol, yang.BGPProtocol))
				dropEmpty(t, yang.ProtocolPath(yang.BGPProtocol, yang.BGPProtocol)[:2])
				return nil
			})
		}},

		// interface
		{"description <...>", modeIf, "", func(s *Session, a []string) string {
			return s.edit(func(t *yang.Tree) error { return t.Set(s.ifp().Leaf("config", "description"), a[0]) })
		}},
		{"no description [x]", modeIf, "", func(s *Session, a []string) string {
			return s.edit(func(t *yang.Tree) error { t.Delete(s.ifp().Leaf("config", "description")); return nil })
		}},
		{"mtu <n>", modeIf, "", func(s *Session, a []string) string {
			n, err := strconv.ParseUint(a[0], 10, 16)
			if err != nil {
				return s.errConfig(fmt.Sprintf("mtu %q is not a number from 68 to 65535", a[0]))
			}
			return s.edit(func(t *yang.Tree) error { return t.Set(s.ifp().Leaf("config", "mtu"), n) })
		}},
		{"no mtu [n]", modeIf, "", func(s *Session, a []string) string {
			return s.edit(func(t *yang.Tree) error { t.Delete(s.ifp().Leaf("config", "mtu")); return nil })
		}},
		{"shutdown", modeIf, "", func(s *Session, a []string) string {
			return s.edit(func(t *yang.Tree) error { return t.Set(s.ifp().Leaf("config", "enabled"), false) })
		}},
		{"no shutdown", modeIf, "", func(s *Session, a []string) string {
			return s.edit(func(t *yang.Tree) error { return t.Set(s.ifp().Leaf("config", "enabled"), true) })
		}},
		{"switchport", modeIf, EOS, func(*Session, []string) string { return "" }},
		{"no switchport", modeIf, EOS, func(*Session, []string) string { return "" }},
		{"ip address <prefix>", modeIf, "", func(s *Session, a []string) string {
			pfx, err := netip.ParsePrefix(a[0])
			if err != nil || !pfx.Addr().Is4() {
				return s.errConfig(fmt.Sprintf("%q is not an IPv4 address with a prefix length (A.B.C.D/M)", a[0]))
			}
			return s.edit(func(t *yang.Tree) error {
				if s.env.Platform == EOS { // EOS replaces the primary address
					t.Delete(yang.SubinterfacePath(s.iface, 0).Leaf("ipv4"))
				}
				return t.Set(yang.AddressPath(s.iface, 0, pfx.Addr().String()).Leaf("config", "prefix-length"), uint64(pfx.Bits()))
			})
		}},
		{"no ip address [prefix]", modeIf, "", func(s *Session, a []string) string {
			return s.edit(func(t *yang.Tree) error {
				defer dropEmptySubinterface(t, s.iface, 0)
				if a[0] == "" {
					t.Delete(yang.SubinterfacePath(s.iface, 0).Leaf("ipv4"))
					return nil
				}
				pfx, err := netip.ParsePrefix(a[0])
				if err != nil {
					return fmt.Errorf("%q is not A.B.C.D/M", a[0])
				}
				if t.Delete(yang.AddressPath(s.iface, 0, pfx.Addr().String())) == 0 {
					return fmt.Errorf("address %s is not configured on %s", a[0], s.iface)
				}
				return nil
			})
		}},

		// router bgp
		{"bgp router-id <ip>", modeRouter, "", func(s *Session, a []string) string { return s.routerID(a[0]) }},
		{"router-id <ip>", modeRouter, "", func(s *Session, a []string) string { return s.routerID(a[0]) }},
		{"no bgp router-id [ip]", modeRouter, "", (*Session).noRouterID},
		{"no router-id [ip]", modeRouter, "", (*Session).noRouterID},
		{"neighbor <ip> remote-as <as>", modeRouter, "", func(s *Session, a []string) string {
			as, err := strconv.ParseUint(a[1], 10, 32)
			if err != nil || as == 0 {
				return s.errConfig(fmt.Sprintf("remote-as %q is not a number from 1 to 4294967295", a[1]))
			}
			return s.edit(func(t *yang.Tree) error {
				n := yang.NeighborPath(a[0])
				if err := t.Set(n.Leaf("config", "peer-as"), as); err != nil {
					return err
				}
				if _, ok := t.Get(n.Leaf("config", "enabled")); !ok {
					return t.Set(n.Leaf("config", "enabled"), true)
				}
				return nil
			})
		}},
		{"neighbor <ip> description <...>", modeRouter, "", func(s *Session, a []string) string {
			return s.neighbor(a[0], func(t *yang.Tree, n yang.Path) error { return t.Set(n.Leaf("config", "description"), a[1]) })
		}},
		{"neighbor <ip> shutdown", modeRouter, "", func(s *Session, a []string) string {
			return s.neighbor(a[0], func(t *yang.Tree, n yang.Path) error { return t.Set(n.Leaf("config", "enabled"), false) })
		}},
		{"no neighbor <ip> shutdown", modeRouter, "", func(s *Session, a []string) string {
			return s.neighbor(a[0], func(t *yang.Tree, n yang.Path) error { return t.Set(n.Leaf("config", "enabled"), true) })
		}},
		{"no neighbor <ip> description [x]", modeRouter, "", func(s *Session, a []string) string {
			return s.neighbor(a[0], func(t *yang.Tree, n yang.Path) error { t.Delete(n.Leaf("config", "description")); return nil })
		}},
		{"no neighbor <ip> [remote-as] [as]", modeRouter, "", func(s *Session, a []string) string {
			return s.neighbor(a[0], func(t *yang.Tree, n yang.Path) error { t.Delete(n); return nil })
		}},
	}
}

func (s *Session) ifp() yang.Path { return yang.InterfacePath(s.iface) }

func (s *Session) leaveConfig() string {
	if s.sess != nil {
		// Leaving a session without commit keeps nothing (the lab does not
		// resume sessions).
		s.sess = nil
	}
	s.mode = modeExec
	return ""
}

func (s *Session) commitSession() string { return s.commitSessionConfirmed("", 0) }

// commitSessionConfirmed commits the open configuration session, as a
// confirmed commit when id is not "".
func (s *Session) commitSessionConfirmed(id string, timeout time.Duration) string {
	if s.sess == nil {
		return "% Error: not in a configuration session\n"
	}
	t := s.sess
	out := s.applyConfirmed(func(r *yang.Tree) error {
		for _, c := range yang.Diff(r, t) {
			if err := yang.Apply(r, []yang.Change{c}); err != nil {
				return err
			}
		}
		return nil
	}, id, timeout)
	if out != "" {
		return out
	}
	s.sess, s.mode = nil, modeExec
	return ""
}

func (s *Session) noRouterID([]string) string {
	return s.edit(func(t *yang.Tree) error { t.Delete(yang.BGPPath().Leaf("global", "config", "router-id")); return nil })
}

// dropEmptySubinterface removes subinterface idx of iface when nothing but
// its index is left (its last address went), as a device shows no empty
// subinterface 0 once an interface has no address.
func dropEmptySubinterface(t *yang.Tree, iface string, idx uint32) {
	sp := yang.SubinterfacePath(iface, idx)
	for _, lf := range t.Subtree(sp) {
		if rel := lf.Path[len(sp):].String(); rel != "/index" && rel != "/config/index" {
			return
		}
	}
	t.Delete(sp)
}

// dropEmpty removes the list entry at p when nothing but its keys (and
// their config/ copies) is left below it.
func dropEmpty(t *yang.Tree, p yang.Path) {
	for _, lf := range t.Subtree(p) {
		n := len(lf.Path)
		last := lf.Path[n-1].Name
		isKey := false
		for _, k := range lf.Path[n-2].Keys {
			isKey = isKey || k.Name == last
		}
		if n >= 3 && lf.Path[n-2].Name == "config" {
			for _, k := range lf.Path[n-3].Keys {
				isKey = isKey || k.Name == last
			}
		}
		if !isKey {
			return
		}
	}
	t.Delete(p)
}

func (s *Session) routerID(ip string) string {
	if a, err := netip.ParseAddr(ip); err != nil || !a.Is4() {
		return s.errConfig(fmt.Sprintf("router-id %q is not an IPv4 address", ip))
	}
	return s.edit(func(t *yang.Tree) error { return t.Set(yang.BGPPath().Leaf("global", "config", "router-id"), ip) })
}

func (s *Session) neighbor(ip string, fn func(t *yang.Tree, n yang.Path) error) string {
	if a, err := netip.ParseAddr(ip); err != nil || !a.Is4() {
		return s.errConfig(fmt.Sprintf("neighbor %q is not an IPv4 address", ip))
	}
	return s.edit(func(t *yang.Tree) error {
		n := yang.NeighborPath(ip)
		if !t.Has(n.Leaf("config", "peer-as")) {
			return fmt.Errorf("neighbor %s: specify remote-as first", ip)
		}
		return fn(t, n)
	})
}

// hop is one parsed next hop of an ip route command.
type hop struct{ nh, ifname string }

func parseHops(toks []string) (hop, error) {
	var h hop
	for _, tok := range toks {
		if tok == "" {
			continue
		}
		switch {
		case tok == "blackhole" || tok == "Null0" || tok == "null0" || tok == "reject":
			h.nh = "DROP"
		default:
			if a, err := netip.ParseAddr(tok); err == nil {
				if !a.Is4() {
					return h, fmt.Errorf("next hop %s is not IPv4", tok)
				}
				h.nh = tok
			} else {
				h.ifname = tok
			}
		}
	}
	if h.nh == "" {
		h.nh = "LOCAL_LINK"
	}
	return h, nil
}

func hopsOf(t *yang.Tree, prefix string) []hop {
	var out []hop
	for _, e := range t.EntriesOf(yang.StaticRoutePath(prefix).Leaf("next-hops", "next-hop")) {
		var h hop
		if v, ok := t.Get(e.Leaf("config", "next-hop")); ok {
			h.nh = yang.FormatValue(v)
		}
		if v, ok := t.Get(e.Leaf("interface-ref", "config", "interface")); ok {
			h.ifname = yang.FormatValue(v)
		}
		out = append(out, h)
	}
	return out
}

func setHops(t *yang.Tree, prefix string, hops []hop) error {
	r := yang.StaticRoutePath(prefix)
	t.Delete(r)
	if len(hops) == 0 {
		// FRR keeps no static or instance container: with its last route
		// gone, neither is left in its configuration.
		dropEmpty(t, yang.ProtocolPath(yang.StaticProtocol, yang.StaticProtocol))
		dropEmpty(t, yang.ProtocolPath(yang.StaticProtocol, yang.StaticProtocol)[:2])
		return nil
	}
	if err := t.Set(r.Leaf("config", "prefix"), prefix); err != nil {
		return err
	}
	for i, h := range hops {
		p := yang.NextHopPath(prefix, strconv.Itoa(i))
		if err := t.Set(p.Leaf("config", "next-hop"), h.nh); err != nil {
			return err
		}
		if h.ifname != "" {
			if err := t.Set(p.Leaf("interface-ref", "config", "interface"), h.ifname); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Session) route(a []string, remove bool) string {
	pfx, err := netip.ParsePrefix(a[0])
	if err != nil || !pfx.Addr().Is4() {
		return s.errConfig(fmt.Sprintf("%q is not an IPv4 prefix (A.B.C.D/M)", a[0]))
	}
	if pfx.Masked() != pfx {
		return s.errConfig(fmt.Sprintf("%s has host bits set; did you mean %s?", pfx, pfx.Masked()))
	}
	prefix := pfx.String()
	h, err := parseHops(a[1:])
	if err != nil {
		return s.errConfig(err.Error())
	}
	return s.edit(func(t *yang.Tree) error {
		hops := hopsOf(t, prefix)
		if remove {
			if a[1] == "" && a[2] == "" {
				if len(hops) == 0 {
					return fmt.Errorf("route %s does not exist", prefix)
				}
				return setHops(t, prefix, nil)
			}
			var keep []hop
			for _, x := range hops {
				if x != h {
					keep = append(keep, x)
				}
			}
			if len(keep) == len(hops) {
				return fmt.Errorf("route %s via %s does not exist", prefix, strings.TrimSpace(a[1]+" "+a[2]))
			}
			return setHops(t, prefix, keep)
		}
		for _, x := range hops {
			if x == h {
				return nil
			}
		}
		return setHops(t, prefix, append(hops, h))
	})
}

func (s *Session) write() string {
	if s.env.Platform == EOS {
		return "Copy completed successfully.\n"
	}
	return "Note: this version of vtysh never writes vtysh.conf\nBuilding Configuration...\nIntegrated configuration saved to /etc/frr/frr.conf\n[OK]\n"
}

func sortedIfNames(t *yang.Tree) []string {
	var names []string
	for _, e := range t.EntriesOf(yang.Path{{Name: "interfaces"}, {Name: "interface"}}) {
		names = append(names, e.KeyValue("name"))
	}
	return names
}

func addrsOf(t *yang.Tree, name string) []netip.Prefix {
	var out []netip.Prefix
	for _, e := range t.EntriesOf(yang.SubinterfacePath(name, 0).Leaf("ipv4", "addresses", "address")) {
		ip := e.KeyValue("ip")
		l, _ := t.Get(e.Leaf("config", "prefix-length"))
		a, err := netip.ParseAddr(ip)
		if n, ok := l.(uint64); ok && err == nil {
			out = append(out, netip.PrefixFrom(a, int(n)))
		}
	}
	return out
}

// parseHMS parses an EOS commit timer, hh:mm:ss.
func parseHMS(v string) (time.Duration, error) {
	parts := strings.Split(v, ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("timer %q: want hh:mm:ss", v)
	}
	var total time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		n, err := strconv.ParseUint(parts[i], 10, 8)
		if err != nil || (i > 0 && n > 59) {
			return 0, fmt.Errorf("timer %q: want hh:mm:ss", v)
		}
		total += time.Duration(n) * unit
	}
	if total == 0 {
		return 0, fmt.Errorf("timer %q must be longer than zero", v)
	}
	return total, nil
}
