package netconf_test

import (
	"context"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/benchops"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/adapters/netconf"
)

// BenchmarkConfigure: lock + edit-config + commit + unlock through the
// adapter on one warm session.
func BenchmarkConfigure(b *testing.B) {
	_, inv := conformance.StartLab(b)
	a := conformance.Open(b, inv, "nc", adapters.NETCONF, netconf.Open)
	benchops.Configure(b, a, benchops.MTU)
}

// BenchmarkBareWire: the same RPCs (lock, edit-config, commit, unlock) on
// what the adapter runs on, with nothing of the adapter: x/crypto/ssh and
// the RFC 6242 framer (benchops.Wire). The adapter / bare ratio is
// BenchmarkConfigure over this one.
func BenchmarkBareWire(b *testing.B) {
	_, inv := conformance.StartLab(b)
	tg := conformance.Target(b, inv, "nc", adapters.NETCONF)
	w := benchops.NetconfWire(b, tg.Address, tg.Protocol.Port, tg.Credentials.Username, tg.Credentials.Password.Reveal(), inv.KnownHosts)
	defer w.Close()
	for i := 0; b.Loop(); i++ {
		if err := w.Op(benchops.MTU(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkBareScrapligo: the same RPCs with scrapligo alone (standard
// transport, strict host key), the library the adapter ran on before
// (its figure stays in README's table for comparison).
func BenchmarkBareScrapligo(b *testing.B) {
	_, inv := conformance.StartLab(b)
	tg := conformance.Target(b, inv, "nc", adapters.NETCONF)
	d := benchops.Netconf(b, tg.Address, tg.Protocol.Port, tg.Credentials.Username, tg.Credentials.Password.Reveal(), inv.KnownHosts)
	defer d.Close()
	for i := 0; b.Loop(); i++ {
		if err := benchops.NetconfOp(d, benchops.MTU(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkSessionSetup: TCP + SSH + host key check + login + hello.
func BenchmarkSessionSetup(b *testing.B) {
	_, inv := conformance.StartLab(b)
	benchops.SessionSetup(b, netconf.Opener, conformance.Target(b, inv, "nc", adapters.NETCONF))
}

// BenchmarkAdapterVsBare: the adapter's configure and the bare wire's
// same RPCs, alternated operation by operation on one device in one run,
// so that the machine's load (which moves the separate figures above by
// tens of percent on a shared machine) weighs on both alike. It reports
// both rates, ratio = adapter ops/s / bare ops/s, and each side's CPU time
// and context switches per op (benchops.Alternate).
func BenchmarkAdapterVsBare(b *testing.B) {
	_, inv := conformance.StartLab(b)
	a := conformance.Open(b, inv, "nc", adapters.NETCONF, netconf.Open)
	tg := conformance.Target(b, inv, "nc", adapters.NETCONF)
	w := benchops.NetconfWire(b, tg.Address, tg.Protocol.Port, tg.Credentials.Username, tg.Credentials.Password.Reveal(), inv.KnownHosts)
	defer w.Close()
	ctx := context.Background()
	benchops.Alternate(b,
		func(op int) error { return a.Configure(ctx, benchops.MTU(op)) },
		func(op int) error { return w.Op(benchops.MTU(op)) })
}
