package telemetry_test

import (
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"

	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/telemetry"
)

// replaySet captures responses from the lab and re-encodes copies with
// advancing timestamps (100 ms apart), so counters give rates and the
// store takes every point.
func replaySet(b *testing.B, copies int) (msgs [][]byte, updates int) {
	l, _ := startLab(b)
	var notes []*gpb.SubscribeResponse
	for _, m := range capture(b, l, 40) {
		var r gpb.SubscribeResponse
		if err := proto.Unmarshal(m, &r); err != nil {
			b.Fatal(err)
		}
		if r.GetUpdate() != nil {
			notes = append(notes, &r)
		}
	}
	for i := 0; i < copies; i++ {
		for j, r := range notes {
			c := proto.Clone(r).(*gpb.SubscribeResponse)
			c.GetUpdate().Timestamp += int64(i*len(notes)+j) * int64(100*time.Millisecond)
			bs, err := proto.Marshal(c)
			if err != nil {
				b.Fatal(err)
			}
			msgs = append(msgs, bs)
			updates += len(c.GetUpdate().GetUpdate())
		}
	}
	return msgs, updates
}

// BenchmarkIngestWire measures updates per second into the store through
// the wire-level ingester; BenchmarkIngestGeneric the same messages through
// proto.Unmarshal, the adapter's Updates and the Normalizer. Compare the
// updates/s of the two in one run.
func BenchmarkIngestWire(b *testing.B) {
	msgs, ups := replaySet(b, 50)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		st := telemetry.NewStore(telemetry.StoreOptions{})
		in := telemetry.NewIngester("r1", st)
		for _, m := range msgs {
			if _, _, err := in.Ingest(m); err != nil {
				b.Fatal(err)
			}
		}
		n += ups
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "updates/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/update")
}

func BenchmarkIngestGeneric(b *testing.B) {
	msgs, ups := replaySet(b, 50)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		st := telemetry.NewStore(telemetry.StoreOptions{})
		norm := telemetry.NewNormalizer()
		for _, m := range msgs {
			var r gpb.SubscribeResponse
			if err := proto.Unmarshal(m, &r); err != nil {
				b.Fatal(err)
			}
			for _, u := range gnmi.Updates("r1", r.GetUpdate()) {
				if s, ok, _ := norm.Normalize("r1", u.Path, u.Time, u.Value); ok {
					_ = st.Add(s)
				}
			}
		}
		n += ups
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "updates/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/update")
}
