//go:build interop

package adapters_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/internal/benchops"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/internal/interop"
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
	a, err := netconf.Open(t.Context(), tg)
	if err != nil {
		t.Fatal(err)
	}
	ncAdapter := opsPerSec(t, d, func(i int) error { return a.Configure(t.Context(), benchops.MTU(i)) })
	_ = a.Close()
	// The adapter runs on x/crypto/ssh and the RFC 6242 framer: that is
	// its bare floor; scrapligo, which it ran on before, is reported too.
	wire := benchops.NetconfWire(t, tg.Address, tg.Protocol.Port, tg.Credentials.Username, tg.Credentials.Password.Reveal(), inv.KnownHosts)
	ncBare := opsPerSec(t, d, func(i int) error { return wire.Op(benchops.MTU(i)) })
	wire.Close()
	drv := benchops.Netconf(t, tg.Address, tg.Protocol.Port, tg.Credentials.Username, tg.Credentials.Password.Reveal(), inv.KnownHosts)
	ncScrapli := opsPerSec(t, d, func(i int) error { return benchops.NetconfOp(drv, benchops.MTU(i)) })
	_ = drv.Close()
	t.Logf("NETCONF (lab): bare scrapligo %.1f ops/s; adapter / scrapligo %.2f", ncScrapli, ncAdapter/ncScrapli)
	ncclient := benchops.PythonOps(t, benchops.NcclientLoop, tg.Address, strconv.Itoa(tg.Protocol.Port), tg.Credentials.Username, tg.Credentials.Password.Reveal(), "20")

	// CLI on FRR's vtysh through OpenSSH.
	srv := interop.FRR(t)
	hops := [2]string{"192.0.2.1", "192.0.2.2"}
	interop.Vtysh(t, "configure terminal", "ip route "+benchops.Route+" "+hops[0])
	ca, err := cli.Open(t.Context(), conformance.ServerTarget("frr", srv, adapters.ProtocolSpec{Name: adapters.CLI, Platform: "frr"}))
	if err != nil {
		t.Fatal(err)
	}
	cliAdapter := opsPerSec(t, d, func(i int) error { return ca.Configure(t.Context(), benchops.RouteMove(hops, i)) })
	_ = ca.Close()
	nd := benchops.Vtysh(t, srv.Host, srv.Port, srv.User, srv.Password, srv.KnownHosts)
	// The adapter ran an odd or even number of ops: start from where it left the route.
	out, _ := nd.SendCommand("show running-config")
	off := 0
	if strings.Contains(out.Result, benchops.Route+" "+hops[1]) {
		off = 1
	}
	cliBare := opsPerSec(t, d, func(i int) error { return benchops.SendLines(nd, benchops.RouteMoveLines(hops, i+off)) })
	_ = nd.Close()
	interop.Vtysh(t, "configure terminal", "no ip route "+benchops.Route+" "+hops[1], "ip route "+benchops.Route+" "+hops[0])
	netmiko := benchops.PythonOps(t, benchops.NetmikoLoop, srv.Host, strconv.Itoa(srv.Port), srv.User, srv.Password, "5", hops[0], hops[1])

	table := fmt.Sprintf(`| protocol | adapter ops/s | bare ops/s (NETCONF: ssh+framer, CLI: scrapligo) | adapter/bare | python client ops/s | adapter/python |
|---|---|---|---|---|---|
| NETCONF (lab), lock+edit+commit+unlock | %.1f | %.1f | %.2f | ncclient %.2f | %.0fx |
| CLI (FRR 8.4 vtysh via OpenSSH), one route move | %.1f | %.1f | %.2f | netmiko %.2f | %.0fx |
`, ncAdapter, ncBare, ncAdapter/ncBare, ncclient, ncAdapter/ncclient, cliAdapter, cliBare, cliAdapter/cliBare, netmiko, cliAdapter/netmiko)
	t.Log("\n" + table)
}
