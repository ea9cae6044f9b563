//go:build interop

package netconf_test

import (
	"strconv"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/benchops"
	"github.com/netagent/netagent/adapters/internal/conformance"
)

// BenchmarkNcclient: the same operation as BenchmarkConfigure driven by
// python3-ncclient against the same lab device (ops/s measured in Python,
// so the interpreter's start-up is not counted).
func BenchmarkNcclient(b *testing.B) {
	_, inv := conformance.StartLab(b)
	tg := conformance.Target(b, inv, "nc", adapters.NETCONF)
	ops := benchops.PythonOps(b, benchops.NcclientLoop, tg.Address, strconv.Itoa(tg.Protocol.Port), tg.Credentials.Username,
		tg.Credentials.Password.Reveal(), strconv.Itoa(max(b.N, 5)))
	b.ReportMetric(ops, "ops/s")
}
