//go:build interop

package netconf_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/internal/interop"
)

// ncclientLoop does lock + edit-config + commit + unlock N times on one
// session and prints ops/s.
const ncclientLoop = `
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

// BenchmarkNcclient: the same operation as BenchmarkConfigure driven by
// python3-ncclient against the same lab device (ops/s measured in Python,
// so the interpreter's start-up is not counted).
func BenchmarkNcclient(b *testing.B) {
	_, inv := conformance.StartLab(b)
	tg := conformance.Target(b, inv, "nc", adapters.NETCONF)
	n := b.N
	if n < 5 {
		n = 5
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := interop.Python(ctx, b, ncclientLoop, tg.Address, strconv.Itoa(tg.Protocol.Port), tg.Credentials.Username,
		tg.Credentials.Password.Reveal(), strconv.Itoa(n))
	ops, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil {
		b.Fatalf("ncclient output %q: %v", out, err)
	}
	b.ReportMetric(ops, "ops/s")
}
