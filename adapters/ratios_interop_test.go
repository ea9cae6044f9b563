//go:build interop

package adapters_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	ncdriver "github.com/scrapli/scrapligo/driver/netconf"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/response"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/internal/interop"
	"github.com/netagent/netagent/yang"
)

// opsPerSec runs fn for about d and returns operations per second.
func opsPerSec(t *testing.T, d time.Duration, fn func(i int) error) float64 {
	t.Helper()
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		if err := fn(n); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

func pyOps(t *testing.T, script string, args ...string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := interop.Python(ctx, t, script, args...)
	v, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	return v
}

const ncclientOps = `
import sys, time
from ncclient import manager
host, port, user, pw, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
with manager.connect(host=host, port=port, username=user, password=pw, hostkey_verify=False,
                     allow_agent=False, look_for_keys=False, timeout=30) as m:
    start = time.time()
    for i in range(n):
        cfg = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><interfaces xmlns="http://openconfig.net/yang/interfaces">'
               '<interface><name>eth1</name><config><mtu>%d</mtu></config></interface></interfaces></config>') % (1500 + i % 1000)
        m.lock("candidate"); m.edit_config(target="candidate", config=cfg); m.commit(); m.unlock("candidate")
    print(n / (time.time() - start))
`

const netmikoOps = `
import sys, time
from netmiko import ConnectHandler
host, port, user, pw, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
hops = ["192.0.2.1", "192.0.2.2"]
c = ConnectHandler(device_type="cisco_ios", host=host, port=port, username=user, password=pw)
start = time.time()
for i in range(n):
    c.send_config_set(["no ip route 198.51.100.0/24 " + hops[i % 2], "ip route 198.51.100.0/24 " + hops[(i + 1) % 2]])
print(n / (time.time() - start))
c.disconnect()
`

// TestInteropRatios measures, in one run, configure+commit operations per second
// on one warm session: the adapters, the bare scrapligo loop doing the same
// RPCs or lines on the same device, and python3-ncclient / python3-netmiko,
// and reports the ratios (the aim: adapters within 10% of bare
// scrapligo, so at least 50x ncclient and 100x netmiko). It reports; it
// asserts no timing (the machine is shared).
func TestInteropRatios(t *testing.T) {
	const d = 3 * time.Second
	// NETCONF on the lab.
	_, inv := conformance.StartLab(t)
	tg := conformance.Target(t, inv, "nc", adapters.NETCONF)
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	a, err := netconf.Open(t.Context(), tg)
	if err != nil {
		t.Fatal(err)
	}
	ncAdapter := opsPerSec(t, d, func(i int) error {
		return a.Configure(t.Context(), []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: uint64(0), New: uint64(1500 + i%1000)}})
	})
	_ = a.Close()
	drv, err := ncdriver.NewDriver(tg.Address, options.WithTransportType("standard"), options.WithPort(tg.Protocol.Port),
		options.WithAuthUsername(tg.Credentials.Username), options.WithAuthPassword(tg.Credentials.Password.Reveal()),
		options.WithSSHKnownHostsFile(inv.KnownHosts))
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Open(); err != nil {
		t.Fatal(err)
	}
	ncBare := opsPerSec(t, d, func(i int) error {
		payload, _ := yang.EncodeEditConfig([]yang.Change{{Op: yang.OpUpdate, Path: mtu, New: uint64(1500 + i%1000)}})
		for _, step := range []func() (error, error){
			func() (error, error) { r, err := drv.Lock("candidate"); return err, failedOf(r, err) },
			func() (error, error) {
				r, err := drv.EditConfig("candidate", string(payload))
				return err, failedOf(r, err)
			},
			func() (error, error) { r, err := drv.Commit(); return err, failedOf(r, err) },
			func() (error, error) { r, err := drv.Unlock("candidate"); return err, failedOf(r, err) },
		} {
			if err, f := step(); err != nil || f != nil {
				return fmt.Errorf("bare scrapligo: %v %v", err, f)
			}
		}
		return nil
	})
	_ = drv.Close()
	ncclient := pyOps(t, ncclientOps, tg.Address, strconv.Itoa(tg.Protocol.Port), tg.Credentials.Username, tg.Credentials.Password.Reveal(), "20")

	// CLI on FRR's vtysh through OpenSSH.
	srv := interop.FRR(t)
	interop.Vtysh(t, "configure terminal", "ip route 198.51.100.0/24 192.0.2.1")
	hops := [2]string{"192.0.2.1", "192.0.2.2"}
	ft := adapters.Target{Device: "frr", Address: srv.Host,
		Protocol:    adapters.ProtocolSpec{Name: adapters.CLI, Port: srv.Port, Platform: "frr"},
		Credentials: adapters.Credentials{Username: srv.User, Password: adapters.Secret(srv.Password)},
		HostKeys:    adapters.NewHostKeys(srv.KnownHosts, false, nil)}
	ca, err := cli.Open(t.Context(), ft)
	if err != nil {
		t.Fatal(err)
	}
	nh := yang.NextHopPath("198.51.100.0/24", "0").Leaf("config", "next-hop")
	cliAdapter := opsPerSec(t, d, func(i int) error {
		return ca.Configure(t.Context(), []yang.Change{{Op: yang.OpUpdate, Path: nh, Old: hops[i%2], New: hops[(i+1)%2]}})
	})
	_ = ca.Close()
	p, err := platform.NewPlatform("cumulus_vtysh", srv.Host, options.WithTransportType("standard"), options.WithPort(srv.Port),
		options.WithAuthUsername(srv.User), options.WithAuthPassword(srv.Password), options.WithSSHKnownHostsFile(srv.KnownHosts))
	if err != nil {
		t.Fatal(err)
	}
	nd, err := p.GetNetworkDriver()
	if err != nil {
		t.Fatal(err)
	}
	if err := nd.Open(); err != nil {
		t.Fatal(err)
	}
	// The adapter ran an odd or even number of ops: start from where it left the route.
	out, _ := nd.SendCommand("show running-config")
	off := 0
	if strings.Contains(out.Result, "198.51.100.0/24 "+hops[1]) {
		off = 1
	}
	cliBare := opsPerSec(t, d, func(i int) error {
		r, err := nd.SendConfigs([]string{"no ip route 198.51.100.0/24 " + hops[(i+off)%2], "ip route 198.51.100.0/24 " + hops[(i+off+1)%2]})
		if err != nil || r.Failed != nil {
			return fmt.Errorf("bare scrapligo: %v %v", err, r.Failed)
		}
		return nil
	})
	_ = nd.Close()
	interop.Vtysh(t, "configure terminal", "no ip route 198.51.100.0/24 192.0.2.2", "ip route 198.51.100.0/24 192.0.2.1")
	netmiko := pyOps(t, netmikoOps, srv.Host, strconv.Itoa(srv.Port), srv.User, srv.Password, "5")

	table := fmt.Sprintf(`| protocol | adapter ops/s | bare scrapligo ops/s | adapter/bare | python client ops/s | adapter/python |
|---|---|---|---|---|---|
| NETCONF (lab), lock+edit+commit+unlock | %.1f | %.1f | %.2f | ncclient %.2f | %.0fx |
| CLI (FRR 8.4 vtysh via OpenSSH), one route move | %.1f | %.1f | %.2f | netmiko %.2f | %.0fx |
`, ncAdapter, ncBare, ncAdapter/ncBare, ncclient, ncAdapter/ncclient, cliAdapter, cliBare, cliAdapter/cliBare, netmiko, cliAdapter/netmiko)
	t.Log("\n" + table)
}

func failedOf(r *response.NetconfResponse, err error) error {
	if err != nil || r == nil {
		return err
	}
	return r.Failed
}
