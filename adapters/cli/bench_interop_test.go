//go:build interop

package cli_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/internal/interop"
	"github.com/netagent/netagent/yang"
)

// One op: move static route 198.51.100.0/24 to the other next hop
// ("no ip route" + "ip route"), on one warm session to FRR's vtysh.
var hops = [2]string{"192.0.2.1", "192.0.2.2"}

func routeOp(i int) []yang.Change {
	p := yang.NextHopPath("198.51.100.0/24", "0").Leaf("config", "next-hop")
	return []yang.Change{{Op: yang.OpUpdate, Path: p, Old: hops[i%2], New: hops[(i+1)%2]}}
}

func frrTarget(srv interop.Server) adapters.Target {
	return adapters.Target{Device: "frr", Address: srv.Host,
		Protocol:    adapters.ProtocolSpec{Name: adapters.CLI, Port: srv.Port, Platform: "frr"},
		Credentials: adapters.Credentials{Username: srv.User, Password: adapters.Secret(srv.Password)},
		HostKeys:    adapters.NewHostKeys(srv.KnownHosts, false, nil)}
}

func BenchmarkFRRConfigure(b *testing.B) {
	srv := interop.FRR(b)
	interop.Vtysh(b, "configure terminal", "ip route 198.51.100.0/24 "+hops[0])
	a, err := cli.Open(context.Background(), frrTarget(srv))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if err := a.Configure(ctx, routeOp(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkFRRBareScrapligo(b *testing.B) {
	srv := interop.FRR(b)
	interop.Vtysh(b, "configure terminal", "ip route 198.51.100.0/24 "+hops[0])
	p, err := platform.NewPlatform("cumulus_vtysh", srv.Host, options.WithTransportType("standard"), options.WithPort(srv.Port),
		options.WithAuthUsername(srv.User), options.WithAuthPassword(srv.Password), options.WithSSHKnownHostsFile(srv.KnownHosts))
	if err != nil {
		b.Fatal(err)
	}
	d, err := p.GetNetworkDriver()
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Open(); err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for i := 0; b.Loop(); i++ {
		r, err := d.SendConfigs([]string{"no ip route 198.51.100.0/24 " + hops[i%2], "ip route 198.51.100.0/24 " + hops[(i+1)%2]})
		if err != nil || r.Failed != nil {
			b.Fatal(err, r.Failed)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

const netmikoLoop = `
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

// BenchmarkFRRNetmiko: the same operation driven by python3-netmiko (ops/s
// measured in Python).
func BenchmarkFRRNetmiko(b *testing.B) {
	srv := interop.FRR(b)
	interop.Vtysh(b, "configure terminal", "ip route 198.51.100.0/24 "+hops[0])
	n := max(b.N, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := interop.Python(ctx, b, netmikoLoop, srv.Host, strconv.Itoa(srv.Port), srv.User, srv.Password, strconv.Itoa(n))
	ops, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil {
		b.Fatalf("netmiko output %q: %v", out, err)
	}
	b.ReportMetric(ops, "ops/s")
}

// BenchmarkFRRSessionSetup: TCP + SSH + host key + login + prompt.
func BenchmarkFRRSessionSetup(b *testing.B) {
	srv := interop.FRR(b)
	for b.Loop() {
		a, err := cli.Open(context.Background(), frrTarget(srv))
		if err != nil {
			b.Fatal(err)
		}
		_ = a.Close()
	}
}
