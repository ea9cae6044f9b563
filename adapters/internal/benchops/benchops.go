package benchops

import (
	"context"
	"fmt"
	"testing"

	ncdriver "github.com/scrapli/scrapligo/driver/netconf"
	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/response"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/yang"
)

// Route is the static route the CLI operation moves.
const Route = "198.51.100.0/24"

// MTU is operation i of the NETCONF and gNMI benchmarks: eth1's MTU
// becomes 1500 + i%1000.
func MTU(i int) []yang.Change {
	return []yang.Change{{Op: yang.OpUpdate, Path: yang.InterfacePath("eth1").Leaf("config", "mtu"), Old: uint64(1500), New: uint64(1500 + i%1000)}}
}

// RouteMove is operation i of the CLI benchmarks: Route moves from
// hops[i%2] to the other hop.
func RouteMove(hops [2]string, i int) []yang.Change {
	p := yang.NextHopPath(Route, "0").Leaf("config", "next-hop")
	return []yang.Change{{Op: yang.OpUpdate, Path: p, Old: hops[i%2], New: hops[(i+1)%2]}}
}

// RouteMoveLines is RouteMove as the vtysh lines bare scrapligo sends.
func RouteMoveLines(hops [2]string, i int) []string {
	return []string{"no ip route " + Route + " " + hops[i%2], "ip route " + Route + " " + hops[(i+1)%2]}
}

// Configure runs op(i) through d for every b.Loop iteration and reports
// ops/s.
func Configure(b *testing.B, d adapters.Device, op func(i int) []yang.Change) {
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if err := d.Configure(ctx, op(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// SessionSetup opens and closes an adapter on tg for every b.Loop
// iteration: what a fan-out pays per device.
func SessionSetup(b *testing.B, open adapters.Opener, tg adapters.Target) {
	for b.Loop() {
		d, err := open(context.Background(), tg)
		if err != nil {
			b.Fatal(err)
		}
		_ = d.Close()
	}
}

// Vtysh opens a bare scrapligo driver with its cumulus_vtysh platform.
func Vtysh(tb testing.TB, host string, port int, user, password, knownHosts string) *network.Driver {
	tb.Helper()
	p, err := platform.NewPlatform("cumulus_vtysh", host, options.WithTransportType("standard"), options.WithPort(port),
		options.WithAuthUsername(user), options.WithAuthPassword(password), options.WithSSHKnownHostsFile(knownHosts))
	if err != nil {
		tb.Fatal(err)
	}
	d, err := p.GetNetworkDriver()
	if err != nil {
		tb.Fatal(err)
	}
	if err := d.Open(); err != nil {
		tb.Fatal(err)
	}
	return d
}

// SendLines sends one operation's lines with a bare driver.
func SendLines(d *network.Driver, lines []string) error {
	r, err := d.SendConfigs(lines)
	if err != nil {
		return fmt.Errorf("bare scrapligo: %w", err)
	}
	if r.Failed != nil {
		return fmt.Errorf("bare scrapligo: %w", r.Failed)
	}
	return nil
}

// MoveRoute sends RouteMoveLines with d for every b.Loop iteration and
// reports ops/s: the bare scrapligo CLI loop.
func MoveRoute(b *testing.B, d *network.Driver, hops [2]string) {
	for i := 0; b.Loop(); i++ {
		if err := SendLines(d, RouteMoveLines(hops, i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// Netconf opens a bare scrapligo NETCONF driver.
func Netconf(tb testing.TB, host string, port int, user, password, knownHosts string) *ncdriver.Driver {
	tb.Helper()
	d, err := ncdriver.NewDriver(host, options.WithTransportType("standard"), options.WithPort(port),
		options.WithAuthUsername(user), options.WithAuthPassword(password), options.WithSSHKnownHostsFile(knownHosts))
	if err != nil {
		tb.Fatal(err)
	}
	if err := d.Open(); err != nil {
		tb.Fatal(err)
	}
	return d
}

// NetconfOp sends changes with a bare driver as the adapter does on a
// device with a candidate: lock, edit-config (OpenConfig encoding),
// commit, unlock.
func NetconfOp(d *ncdriver.Driver, changes []yang.Change) error {
	payload, err := yang.EncodeEditConfig(changes)
	if err != nil {
		return err
	}
	for _, step := range []struct {
		name string
		call func() (*response.NetconfResponse, error)
	}{
		{"lock", func() (*response.NetconfResponse, error) { return d.Lock("candidate") }},
		{"edit-config", func() (*response.NetconfResponse, error) { return d.EditConfig("candidate", string(payload)) }},
		{"commit", func() (*response.NetconfResponse, error) { return d.Commit() }},
		{"unlock", func() (*response.NetconfResponse, error) { return d.Unlock("candidate") }},
	} {
		r, err := step.call()
		if err != nil {
			return fmt.Errorf("bare scrapligo %s: %w", step.name, err)
		}
		if r.Failed != nil {
			return fmt.Errorf("bare scrapligo %s: rpc-error: %w", step.name, r.Failed)
		}
	}
	return nil
}

// NcclientLoop does lock + edit-config + commit + unlock N times on one
// session with python3-ncclient and prints ops/s.
// Arguments: host port user password N.
const NcclientLoop = `
import sys, time
from ncclient import manager
host, port, user, pw, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
with manager.connect(host=host, port=port, username=user, password=pw, hostkey_verify=False,
                     allow_agent=False, look_for_keys=False, timeout=30) as m:
    start = time.time()
    for i in range(n):
        cfg = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><interfaces xmlns="http://openconfig.net/yang/interfaces">'
               '<interface><name>eth1</name><config><mtu>%d</mtu></config></interface></interfaces></config>') % (1500 + i % 1000)
        m.lock("candidate")
        m.edit_config(target="candidate", config=cfg)
        m.commit()
        m.unlock("candidate")
    print(n / (time.time() - start))
`

// NetmikoLoop moves the route N times on one session with python3-netmiko
// and prints ops/s. Arguments: host port user password N hop0 hop1.
const NetmikoLoop = `
import sys, time
from netmiko import ConnectHandler
host, port, user, pw, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
hops = [sys.argv[6], sys.argv[7]]
c = ConnectHandler(device_type="cisco_ios", host=host, port=port, username=user, password=pw)
start = time.time()
for i in range(n):
    c.send_config_set(["no ip route ` + Route + ` " + hops[i % 2], "ip route ` + Route + ` " + hops[(i + 1) % 2]])
print(n / (time.time() - start))
c.disconnect()
`
