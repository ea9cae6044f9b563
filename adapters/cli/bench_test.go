package cli_test

import (
	"context"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/internal/benchops"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/yang"
)

var labHops = [2]string{"10.0.2.1", "10.0.2.2"}

func labRouteOp(i int) []yang.Change { return benchops.RouteMove(labHops, i) }

func seedRoute(b *testing.B, a *cli.Adapter) {
	b.Helper()
	c := []yang.Change{{Op: yang.OpCreate, Path: yang.NextHopPath(benchops.Route, "0").Leaf("config", "next-hop"), New: labHops[0]}}
	if err := a.Configure(context.Background(), c); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkConfigure: one static route change ("no ip route" + "ip route")
// per op through the adapter, on one warm session to the lab's FRR CLI.
func BenchmarkConfigure(b *testing.B) {
	_, inv := conformance.StartLab(b)
	a := conformance.Open(b, inv, "frr", adapters.CLI, cli.Open)
	seedRoute(b, a)
	benchops.Configure(b, a, labRouteOp)
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
	d := benchops.Vtysh(b, tg.Address, tg.Protocol.Port, tg.Credentials.Username, tg.Credentials.Password.Reveal(), inv.KnownHosts)
	defer d.Close()
	benchops.MoveRoute(b, d, labHops)
}

// BenchmarkSessionSetup: TCP + SSH + host key + login + prompt + terminal length.
func BenchmarkSessionSetup(b *testing.B) {
	_, inv := conformance.StartLab(b)
	benchops.SessionSetup(b, cli.Opener, conformance.Target(b, inv, "frr", adapters.CLI))
}

// BenchmarkAdapterVsBare: the adapter's route move and bare scrapligo's
// same two lines, alternated operation by operation on one device in one
// run (benchops.Alternate): the route goes to the other hop and back.
func BenchmarkAdapterVsBare(b *testing.B) {
	_, inv := conformance.StartLab(b)
	a := conformance.Open(b, inv, "frr", adapters.CLI, cli.Open)
	seedRoute(b, a)
	tg := conformance.Target(b, inv, "frr", adapters.CLI)
	d := benchops.Vtysh(b, tg.Address, tg.Protocol.Port, tg.Credentials.Username, tg.Credentials.Password.Reveal(), inv.KnownHosts)
	defer d.Close()
	ctx := context.Background()
	benchops.Alternate(b,
		func(op int) error { return a.Configure(ctx, labRouteOp(op)) },
		func(op int) error { return benchops.SendLines(d, benchops.RouteMoveLines(labHops, op)) })
}
