package telemetry

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkNormalizeAndStore is the collector's per-update work after the
// adapter decoded it: map the path onto a metric, refuse bad values, store.
func BenchmarkNormalizeAndStore(b *testing.B) {
	n := NewNormalizer()
	s := NewStore(StoreOptions{})
	var paths []string
	for i := 0; i < 8; i++ {
		ifn := "ethernet-1/" + strconv.Itoa(i+1)
		paths = append(paths,
			"/interfaces/interface[name="+ifn+"]/state/counters/in-octets",
			"/interfaces/interface[name="+ifn+"]/state/oper-status",
			"/lab/links/link[local=leaf1:"+ifn+"]/state/latency-ms")
	}
	paths = append(paths, "/system/cpus/cpu[index=ALL]/state/total/instant", "/interfaces/interface[name=e1-1]/state/mtu")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := paths[i%len(paths)]
		var v any = uint64(i)
		switch {
		case p[len(p)-6:] == "status":
			v = "UP"
		case p[len(p)-10:] == "latency-ms":
			v = 1.5
		}
		sm, ok, _ := n.Normalize("leaf1", p, t0.Add(time.Duration(i)*time.Millisecond), v)
		if ok {
			_ = s.Add(sm)
		}
		i++
	}
}
