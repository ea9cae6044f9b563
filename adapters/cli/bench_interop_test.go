//go:build interop

package cli_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/internal/benchops"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/internal/interop"
	"github.com/netagent/netagent/yang"
)

// One op: move static route 198.51.100.0/24 to the other next hop
// ("no ip route" + "ip route"), on one warm session to FRR's vtysh.
var hops = [2]string{"192.0.2.1", "192.0.2.2"}

func routeOp(i int) []yang.Change { return benchops.RouteMove(hops, i) }

func frrTarget(srv interop.Server) adapters.Target {
	return conformance.ServerTarget("frr", srv, adapters.ProtocolSpec{Name: adapters.CLI, Platform: "frr"})
}

// frr starts FRR with the route on its first hop.
func frr(b *testing.B) interop.Server {
	srv := interop.FRR(b)
	interop.Vtysh(b, "configure terminal", "ip route "+benchops.Route+" "+hops[0])
	return srv
}

func BenchmarkFRRConfigure(b *testing.B) {
	a, err := cli.Open(context.Background(), frrTarget(frr(b)))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	benchops.Configure(b, a, routeOp)
}

func BenchmarkFRRBareScrapligo(b *testing.B) {
	srv := frr(b)
	d := benchops.Vtysh(b, srv.Host, srv.Port, srv.User, srv.Password, srv.KnownHosts)
	defer d.Close()
	benchops.MoveRoute(b, d, hops)
}

// BenchmarkFRRNetmiko: the same operation driven by python3-netmiko (ops/s
// measured in Python).
func BenchmarkFRRNetmiko(b *testing.B) {
	srv := frr(b)
	ops := benchops.PythonOps(b, benchops.NetmikoLoop, srv.Host, strconv.Itoa(srv.Port), srv.User, srv.Password,
		strconv.Itoa(max(b.N, 3)), hops[0], hops[1])
	b.ReportMetric(ops, "ops/s")
}

// BenchmarkFRRSessionSetup: TCP + SSH + host key + login + prompt.
func BenchmarkFRRSessionSetup(b *testing.B) {
	benchops.SessionSetup(b, cli.Opener, frrTarget(interop.FRR(b)))
}
