package telemetry

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

func TestStoreRingIsBounded(t *testing.T) {
	s := NewStore(StoreOptions{RawPoints: 10, BucketStep: time.Minute, Buckets: 5})
	k := Key{CPUUtil, "r1", ""}
	for i := 0; i < 1000; i++ {
		if err := s.Add(Sample{k, t0.Add(time.Duration(i) * 10 * time.Second), float64(i % 100)}); err != nil {
			t.Fatal(err)
		}
	}
	pts := s.Points(k, time.Time{})
	if len(pts) != 10 {
		t.Fatalf("raw points kept = %d, want 10", len(pts))
	}
	for i := 1; i < len(pts); i++ {
		if !pts[i].Time.After(pts[i-1].Time) {
			t.Fatalf("points out of order at %d: %v", i, pts)
		}
	}
	if last, _ := s.Last(k); last.Time != t0.Add(999*10*time.Second) {
		t.Errorf("Last = %v", last)
	}
	se := s.series[k]
	if len(se.bs) != 5 || cap(se.ts) > 16 {
		t.Errorf("buckets kept = %d (want 5), raw cap %d", len(se.bs), cap(se.ts))
	}
}

func TestStoreDownsamples(t *testing.T) {
	s := NewStore(StoreOptions{RawPoints: 6, BucketStep: time.Minute, Buckets: 60})
	k := Key{LinkLatencyMs, "r1", "r1:e1-1"}
	// Two minutes at 10 s: minute one averages 1..6 -> 3.5, minute two 7..12 -> 9.5.
	for i := 0; i < 12; i++ {
		if err := s.Add(Sample{k, t0.Add(time.Duration(i) * 10 * time.Second), float64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	// Raw points no longer cover t0: the answer comes from the buckets.
	got := s.Query(Query{Metric: LinkLatencyMs, Since: t0})
	if len(got) != 1 || len(got[0].Points) != 2 || got[0].Points[0].Value != 3.5 || got[0].Points[1].Value != 9.5 {
		t.Fatalf("Query = %+v; want minute means 3.5 and 9.5", got)
	}
	// The last minute is still raw: six points, resampled by 30 s.
	got = s.Query(Query{Metric: LinkLatencyMs, Device: "r1", Since: t0.Add(time.Minute), Step: 30 * time.Second})
	if len(got) != 1 || len(got[0].Points) != 2 || got[0].Points[0].Value != 8 || got[0].Points[1].Value != 11 {
		t.Fatalf("Query step 30s = %+v; want 8 and 11", got)
	}
	if got := s.Query(Query{Metric: LinkLatencyMs, Device: "r2"}); len(got) != 0 {
		t.Errorf("Query for another device = %+v", got)
	}
}

func TestStoreRefusesRewritingHistory(t *testing.T) {
	s := NewStore(StoreOptions{BucketStep: time.Minute})
	k := Key{CPUUtil, "r1", ""}
	if err := s.Add(Sample{k, t0, 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(Sample{k, t0.Add(-time.Hour), 2}); err == nil {
		t.Fatal("a sample an hour older than the series was accepted")
	}
}

func BenchmarkStoreAdd(b *testing.B) {
	s := NewStore(StoreOptions{})
	keys := make([]Key, 1000)
	for i := range keys {
		keys[i] = Key{IfInBps, "r1", string(rune('a'+i%26)) + string(rune('a'+i/26))}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = s.Add(Sample{keys[i%len(keys)], t0.Add(time.Duration(i) * time.Millisecond), float64(i)})
	}
}

// BenchmarkSeriesMemory fills 2,000 series to their bounds and reports the
// heap each one holds.
func BenchmarkSeriesMemory(b *testing.B) {
	const n = 2000
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := NewStore(StoreOptions{})
		o := s.Options()
		for i := 0; i < n; i++ {
			k := Key{IfInBps, "d" + strconv.Itoa(i/20), "e" + strconv.Itoa(i%20)}
			for j := 0; j < o.RawPoints; j++ {
				_ = s.Add(Sample{k, t0.Add(time.Duration(j) * 10 * time.Second), float64(j)})
			}
			// Fill the buckets without walking every raw point.
			se := s.series[k]
			for j := len(se.bs); j < o.Buckets; j++ {
				se.bs = append(se.bs, bucket{start: int64(j)})
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/series")
		b.ReportMetric(float64(o.SeriesBytes()), "bound-B/series")
		runtime.KeepAlive(s)
	}
}
