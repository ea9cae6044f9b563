package cli_test

import (
	"context"
	"testing"

	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/yang"
)

var labHops = [2]string{"10.0.2.1", "10.0.2.2"}

// labRouteOp moves static route 198.51.100.0/24 to the other next hop.
func labRouteOp(i int) []yang.Change {
	p := yang.NextHopPath("198.51.100.0/24", "0").Leaf("config", "next-hop")
	return []yang.Change{{Op: yang.OpUpdate, Path: p, Old: labHops[i%2], New: labHops[(i+1)%2]}}
}

func seedRoute(b *testing.B, a *cli.Adapter) {
	b.Helper()
	c := []yang.Change{{Op: yang.OpCreate, Path: yang.NextHopPath("198.51.100.0/24", "0").Leaf("config", "next-hop"), New: labHops[0]}}
	if err := a.Configure(context.Background(), c); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkConfigure: one static route change ("no ip route" + "ip route")
// per op through the adapter, on one warm session to the lab's FRR CLI.
func BenchmarkConfigure(b *testing.B) {
	_, inv := conformance.StartLab(b)
	a, err := cli.Open(context.Background(), conformance.Target(b, inv, "frr", adapters.CLI))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	seedRoute(b, a)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if err := a.Configure(ctx, labRouteOp(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkBareScrapligo: the same two lines with scrapligo's own
// cumulus_vtysh platform (standard transport, strict host key).
func BenchmarkBareScrapligo(b *testing.B) {
	_, inv := conformance.StartLab(b)
	tg := conformance.Target(b, inv, "frr", adapters.CLI)
	a, err := cli.Open(context.Background(), tg)
	if err != nil {
		b.Fatal(err)
	}
	seedRoute(b, a)
	_ = a.Close()
	p, err := platform.NewPlatform("cumulus_vtysh", tg.Address, options.WithTransportType("standard"), options.WithPort(tg.Protocol.Port),
		options.WithAuthUsername(tg.Credentials.Username), options.WithAuthPassword(tg.Credentials.Password.Reveal()),
		options.WithSSHKnownHostsFile(inv.KnownHosts))
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
		r, err := d.SendConfigs([]string{"no ip route 198.51.100.0/24 " + labHops[i%2], "ip route 198.51.100.0/24 " + labHops[(i+1)%2]})
		if err != nil || r.Failed != nil {
			b.Fatal(err, r.Failed)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkSessionSetup: TCP + SSH + host key + login + prompt + terminal length.
func BenchmarkSessionSetup(b *testing.B) {
	_, inv := conformance.StartLab(b)
	tg := conformance.Target(b, inv, "frr", adapters.CLI)
	for b.Loop() {
		a, err := cli.Open(context.Background(), tg)
		if err != nil {
			b.Fatal(err)
		}
		_ = a.Close()
	}
}
