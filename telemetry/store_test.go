package telemetry

import (
	"math"
	"math/rand/v2"
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
	if len(se.bn) != 5 || cap(se.ts) != 10 || cap(se.vs) != 10 || cap(se.bmean) != 5 {
		t.Errorf("buckets kept = %d (want 5), raw cap %d/%d (want 10), bucket cap %d (want 5)", len(se.bn), cap(se.ts), cap(se.vs), cap(se.bmean))
	}
}

// A young series holds only what it was given (rings grow to their bound).
func TestStoreRingsGrowLazily(t *testing.T) {
	s := NewStore(StoreOptions{})
	k := Key{CPUUtil, "r1", ""}
	for i := 0; i < 3; i++ {
		if err := s.Add(Sample{k, t0.Add(time.Duration(i) * 10 * time.Second), 1}); err != nil {
			t.Fatal(err)
		}
	}
	se := s.series[k]
	if cap(se.ts) > 8 || cap(se.bn) > 8 {
		t.Errorf("after 3 points: raw cap %d, bucket cap %d; want at most 8", cap(se.ts), cap(se.bn))
	}
	if b := s.Bytes(); b > 8*pointBytes+8*bucketBytes {
		t.Errorf("store holds %d bytes after 3 points", b)
	}
	// Full, a series holds exactly its bound.
	full := NewStore(StoreOptions{RawPoints: 30, BucketStep: time.Second, Buckets: 20})
	for i := 0; i < 100; i++ {
		if err := full.Add(Sample{k, t0.Add(time.Duration(i) * time.Second), 1}); err != nil {
			t.Fatal(err)
		}
	}
	if b, want := full.Bytes(), full.Options().SeriesBytes(); b != want {
		t.Errorf("full series holds %d bytes, want its bound %d", b, want)
	}
}

// The store against a plain model: random times (ascending with jitter,
// late points, gaps of hours and of months), every raw point and bucket
// as the model keeps them.
func TestStoreMatchesModel(t *testing.T) {
	const raw, nb = 50, 20
	step := time.Minute
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 0))
		s := NewStore(StoreOptions{RawPoints: raw, BucketStep: step, Buckets: nb})
		k := Key{CPUUtil, "r1", ""}
		type mb struct {
			start         int64
			min, max, sum float64
			n             int
		}
		var pts []Point // the model's raw points, arrival order
		var bks []mb
		now := t0.UnixMilli()
		for i := 0; i < 2000; i++ {
			switch x := r.IntN(1000); {
			case x < 5:
				now += int64(r.IntN(3)) * 3600_000 // hours
			case x < 7:
				now += 60 * 86_400_000 // two months: past what a uint32 of ms holds
			}
			ms := now + int64(r.IntN(20_000))
			late := r.IntN(10) == 0
			if late {
				ms = now - int64(r.IntN(50_000)) // within one step of the newest
			} else {
				now = ms
			}
			v := float32(r.IntN(1000)) / 4
			if len(pts) > 0 {
				last := pts[len(pts)-1].Time.UnixMilli()
				if ms < last-step.Milliseconds() {
					if err := s.Add(Sample{k, time.UnixMilli(ms), float64(v)}); err == nil {
						t.Fatalf("seed %d: a point older than the newest by more than a step was stored", seed)
					}
					continue
				}
			}
			if err := s.Add(Sample{k, time.UnixMilli(ms), float64(v)}); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			pts = append(pts, Point{time.UnixMilli(ms).UTC(), float64(v)})
			start := ms - ms%step.Milliseconds()
			switch {
			case len(bks) > 0 && bks[len(bks)-1].start == start:
				b := &bks[len(bks)-1]
				b.min, b.max, b.sum, b.n = min(b.min, float64(v)), max(b.max, float64(v)), b.sum+float64(v), b.n+1
			case len(bks) > 0 && start < bks[len(bks)-1].start:
			default:
				bks = append(bks, mb{start, float64(v), float64(v), float64(v), 1})
			}
		}
		// Raw: the last raw points in arrival order, unless the newest is
		// more than 49 days after an older one kept (those are let go).
		want := pts[max(0, len(pts)-raw):]
		newest := pts[len(pts)-1].Time.UnixMilli()
		for len(want) > 0 && newest-want[0].Time.UnixMilli() > math.MaxUint32 {
			want = want[1:]
		}
		got := s.Points(k, time.Time{})
		if len(got) > len(want) || len(got) < 1 {
			t.Fatalf("seed %d: %d raw points, want %d", seed, len(got), len(want))
		}
		want = want[len(want)-len(got):] // a rebase may have let more go
		for i := range got {
			if !got[i].Time.Equal(want[i].Time) || got[i].Value != want[i].Value {
				t.Fatalf("seed %d: raw point %d = %v, want %v", seed, i, got[i], want[i])
			}
		}
		// Buckets: those within nb steps of the newest.
		var wb []mb
		for _, b := range bks {
			if b.start > bks[len(bks)-1].start-int64(nb)*step.Milliseconds() {
				wb = append(wb, b)
			}
		}
		se := s.series[k]
		se.mu.Lock()
		gb := se.buckets(0, step)
		se.mu.Unlock()
		if len(gb) != len(wb) {
			t.Fatalf("seed %d: %d buckets, want %d", seed, len(gb), len(wb))
		}
		for i := range gb {
			w := wb[i]
			if gb[i].Start.UnixMilli() != w.start || gb[i].Count != w.n || gb[i].Min != w.min || gb[i].Max != w.max ||
				math.Abs(gb[i].Mean-w.sum/float64(w.n)) > 1e-3*max(1, w.sum/float64(w.n)) {
				t.Fatalf("seed %d: bucket %d = %+v, want %+v", seed, i, gb[i], w)
			}
		}
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
			for j := len(se.bn); j < o.Buckets; j++ {
				se.pushBucket(o.Buckets, float32(j), 1)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/series")
		b.ReportMetric(float64(o.SeriesBytes()), "bound-B/series")
		runtime.KeepAlive(s)
	}
}
