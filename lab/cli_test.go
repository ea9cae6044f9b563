package lab

import (
	"strings"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"

	"github.com/netagent/netagent/lab/fault"
)

// frrSubmodes is scrapligo's cumulus_vtysh definition with the
// configuration level widened to vtysh's sub-modes ((config-if)#,
// (config-router)#), which the stock definition does not match.
var frrSubmodes = []byte(`---
platform-type: 'frr_submodes'
default:
  driver-type: 'network'
  privilege-levels:
    exec:
      name: 'exec'
      pattern: '(?im)^[\w.\-]+#\s*$'
      previous-priv:
      deescalate:
      escalate:
      escalate-auth: false
      escalate-prompt:
    configuration:
      name: 'configuration'
      pattern: '(?im)^[\w.\-]+\(config[\w.\-]*\)#\s*$'
      previous-priv: 'exec'
      deescalate: 'end'
      escalate: 'configure terminal'
      escalate-auth: false
      escalate-prompt:
  default-desired-privilege-level: 'exec'
  failed-when-contains: ['% Unknown command', '% Command incomplete', '% Invalid']
  network-on-open:
    - operation: 'acquire-priv'
    - operation: 'driver.send-command'
      command: 'terminal length 0'
  network-on-close:
    - operation: 'acquire-priv'
    - operation: 'channel.write'
      input: 'exit'
    - operation: 'channel.return'
`)

func cliOpen(t *testing.T, l *Lab, dev string, def any) *network.Driver {
	t.Helper()
	d, _ := l.Device(dev)
	ep, ok := d.Endpoint(ProtoCLI)
	if !ok {
		t.Fatalf("%s has no cli", dev)
	}
	c := l.Credentials()
	p, err := platform.NewPlatform(def, ep.Host,
		options.WithPort(ep.Port),
		options.WithAuthUsername(c.Username),
		options.WithAuthPassword(c.Password),
		options.WithSSHKnownHostsFile(l.KnownHostsPath()),
		options.WithTransportType("standard"),
		options.WithTimeoutOps(10*time.Second),
	)
	if err != nil {
		t.Fatal(err)
	}
	drv, err := p.GetNetworkDriver()
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Open(); err != nil {
		t.Fatalf("open cli %s: %v", dev, err)
	}
	t.Cleanup(func() { _ = drv.Close() })
	return drv
}

func TestCLIFRRStockPlatform(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	drv := cliOpen(t, l, "r1", "cumulus_vtysh")
	r, err := drv.SendCommand("show running-config")
	if err != nil || r.Failed != nil {
		t.Fatalf("show running-config: %v %v", err, r.Failed)
	}
	for _, want := range []string{"hostname r1", "interface e1-1", " description to r2:eth1", " ip address 10.0.0.0/31"} {
		if !strings.Contains(r.Result, want) {
			t.Errorf("show running-config lacks %q:\n%s", want, r.Result)
		}
	}
	mr, err := drv.SendConfigs([]string{"ip route 192.0.2.0/24 10.0.0.1", "ip route 198.51.100.0/24 blackhole"})
	if err != nil || mr.Failed != nil {
		t.Fatalf("send configs: %v %v", err, mr.Failed)
	}
	tr, _ := l.Running("r1")
	if v, _ := tr.GetPath("/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=198.51.100.0/24]/next-hops/next-hop[index=0]/config/next-hop"); v != "DROP" {
		t.Errorf("blackhole route: got %v\n%s", v, tr)
	}
	r, _ = drv.SendCommand("show ip route")
	if !strings.Contains(r.Result, "S>* 192.0.2.0/24 [1/0] via 10.0.0.1") || !strings.Contains(r.Result, "C>* 10.0.0.0/31 is directly connected, e1-1") {
		t.Errorf("show ip route:\n%s", r.Result)
	}
	// A bad line is an error and the session goes on.
	r, err = drv.SendCommand("show frobnication")
	if err != nil || r.Failed == nil || !strings.Contains(r.Result, "% Unknown command: show frobnication") {
		t.Errorf("bad command: err %v failed %v result %q", err, r.Failed, r.Result)
	}
	r, err = drv.SendCommand("show version")
	if err != nil || r.Failed != nil || !strings.Contains(r.Result, "FRRouting") {
		t.Errorf("after a bad command: %v %q", err, r.Result)
	}
}

func TestCLIFRRSubmodes(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	drv := cliOpen(t, l, "r1", frrSubmodes)
	mr, err := drv.SendConfigs([]string{
		"interface e1-1", "description via cli", "mtu 9000", "exit",
		"interface lo0", "ip address 192.0.2.1/32", "exit",
		"router bgp 65001", "bgp router-id 192.0.2.1", "neighbor 10.0.0.1 remote-as 65002", "exit",
	})
	if err != nil || mr.Failed != nil {
		t.Fatalf("send configs: %v %v", err, mr.Failed)
	}
	if got := descrOf(t, l, "r1"); got != "via cli" {
		t.Errorf("description: %q", got)
	}
	// The change is visible over NETCONF at once.
	nc := ncOpen(t, l, "r1", "1.1")
	r, _ := nc.GetConfig("running")
	for _, want := range []string{"<description>via cli</description>", "<mtu>9000</mtu>", "<peer-as>65002</peer-as>"} {
		if !strings.Contains(r.Result, want) {
			t.Errorf("netconf get-config lacks %s", want)
		}
	}
	sr, _ := drv.SendCommand("show ip bgp summary")
	if !strings.Contains(sr.Result, "10.0.0.1") || !strings.Contains(sr.Result, "65002") {
		t.Errorf("show ip bgp summary:\n%s", sr.Result)
	}
	// Invalid configuration is refused with a % error.
	mr, _ = drv.SendConfigs([]string{"interface e1-1", "ip address 10.0.0.0/31", "mtu 20", "exit"})
	if mr.Failed == nil {
		t.Errorf("invalid mtu accepted")
	}
	if tr, _ := l.Running("r1"); tr.String() == "" {
		t.Error("empty running config")
	}
	// shutdown takes the interface oper-down.
	if _, err := drv.SendConfigs([]string{"interface e1-1", "shutdown", "exit"}); err != nil {
		t.Fatal(err)
	}
	sr, _ = drv.SendCommand("show interface e1-1")
	if !strings.Contains(sr.Result, "Interface e1-1 is administratively down, line protocol is down") {
		t.Errorf("show interface after shutdown:\n%s", sr.Result)
	}
}

func TestCLIEOS(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	drv := cliOpen(t, l, "r2", "arista_eos")
	mr, err := drv.SendConfigs([]string{"interface eth1", "description via eos", "exit", "ip route 203.0.113.0/24 eth1 10.0.0.0"})
	if err != nil || mr.Failed != nil {
		t.Fatalf("send configs: %v %v", err, mr.Failed)
	}
	r, _ := drv.SendCommand("show running-config")
	for _, want := range []string{"interface eth1\n   description via eos", "ip route 203.0.113.0/24 eth1 10.0.0.0"} {
		if !strings.Contains(r.Result, want) {
			t.Errorf("show running-config lacks %q:\n%s", want, r.Result)
		}
	}
	r, _ = drv.SendCommand("show interfaces eth1")
	if !strings.Contains(r.Result, "eth1 is up, line protocol is up (connected)") || !strings.Contains(r.Result, "packets input") {
		t.Errorf("show interfaces:\n%s", r.Result)
	}
	// A configuration session commits atomically; a rejected commit leaves
	// running as it was.
	if err := l.InjectFault("r2", fault.Fault{Kind: fault.RejectCommit, Protocol: fault.CLI, Message: "hardware not ready"}); err != nil {
		t.Fatal(err)
	}
	mr, _ = drv.SendConfigs([]string{"configure session s1", "interface eth1", "description session", "commit"})
	if mr.Failed == nil || !strings.Contains(mr.JoinedResult(), "% Error: hardware not ready") {
		t.Errorf("commit under reject-commit: %q", mr.JoinedResult())
	}
	tr, _ := l.Running("r2")
	if v, _ := tr.GetPath("/interfaces/interface[name=eth1]/config/description"); v != "via eos" {
		t.Errorf("after rejected commit: %v", v)
	}
	if _, err := drv.SendConfigs([]string{"abort"}); err != nil {
		t.Fatal(err)
	}
	mr, err = drv.SendConfigs([]string{"configure session s2", "interface eth1", "description session", "commit"})
	if err != nil || mr.Failed != nil {
		t.Fatalf("session commit: %v %q", err, mr.JoinedResult())
	}
	tr, _ = l.Running("r2")
	if v, _ := tr.GetPath("/interfaces/interface[name=eth1]/config/description"); v != "session" {
		t.Errorf("after session commit: %v", v)
	}
	r, _ = drv.SendCommand("show lab links")
	if !strings.Contains(r.Result, "r2:eth1") || !strings.Contains(r.Result, "r1:e1-1") {
		t.Errorf("show lab links:\n%s", r.Result)
	}
}

func TestCLISRL(t *testing.T) {
	t.Parallel()
	l := startLab(t, `name: srl
topology:
  nodes:
    s1: {kind: nokia_srlinux, labels: {netagent.protocols: "gnmi,netconf,cli"}}
    s2: {kind: nokia_srlinux}
  links:
    - endpoints: ["s1:e1-1", "s2:e1-1"]
`)
	d, _ := l.Device("s1")
	if ep, ok := d.Endpoint(ProtoCLI); !ok || ep.Platform != PlatformSRL {
		t.Fatalf("s1 cli endpoint: %+v", d.Endpoints)
	}
	drv := cliOpen(t, l, "s1", "nokia_srl")
	mr, err := drv.SendConfigs([]string{`set / interface e1-1 description "via srl"`, "set / interface e1-1 mtu 9100", "commit now"})
	if err != nil || mr.Failed != nil {
		t.Fatalf("send configs: %v %q", err, mr.JoinedResult())
	}
	tr, _ := l.Running("s1")
	if v, _ := tr.GetPath("/interfaces/interface[name=e1-1]/config/description"); v != "via srl" {
		t.Errorf("description: %v", v)
	}
	r, err := drv.SendCommand("info flat from running / interface e1-1")
	if err != nil || r.Failed != nil || !strings.Contains(r.Result, `set / interface e1-1 description "via srl"`) {
		t.Errorf("info flat: %v %q", err, r.Result)
	}
	r, _ = drv.SendCommand("show interface e1-1")
	if !strings.Contains(r.Result, "e1-1 is up") {
		t.Errorf("show interface:\n%s", r.Result)
	}
	// A bad line is an Error: and the session goes on; uncommitted changes
	// are discarded when scrapligo leaves candidate mode.
	mr, _ = drv.SendConfigs([]string{"set / interface e1-1 mtu huge"})
	if mr.Failed == nil {
		t.Errorf("bad set accepted: %q", mr.JoinedResult())
	}
	r, err = drv.SendCommand("show version")
	if err != nil || !strings.Contains(r.Result, "Software Version") {
		t.Errorf("after an error: %v %q", err, r.Result)
	}
}

func TestCLIExec(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	cl := sshDial(t, l, "r1", ProtoCLI)
	defer cl.Close()
	s, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Output("show ip route")
	if err != nil || !strings.Contains(string(out), "C>* 10.0.0.0/31 is directly connected, e1-1") {
		t.Errorf("ssh exec: %v %q", err, out)
	}
}
