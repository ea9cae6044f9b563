package telemetry

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"
)

// StoreOptions bound the memory of every series.
type StoreOptions struct {
	// RawPoints is how many raw points a series keeps (default 360: one
	// hour at a 10 s interval).
	RawPoints int
	// BucketStep is the width of a downsampled bucket (default 5 minutes).
	BucketStep time.Duration
	// Buckets is how many downsampled buckets a series keeps (default 288:
	// one day of 5-minute buckets).
	Buckets int
}

func (o StoreOptions) withDefaults() StoreOptions {
	if o.RawPoints <= 0 {
		o.RawPoints = 360
	}
	if o.BucketStep <= 0 {
		o.BucketStep = 5 * time.Minute
	}
	if o.Buckets <= 0 {
		o.Buckets = 288
	}
	return o
}

// SeriesBytes is the most memory one series holds with these options (its
// point and bucket rings at their bound; the series' fixed part and map
// entry aside). Rings grow to their bound as points arrive, so a young
// series holds less.
func (o StoreOptions) SeriesBytes() int {
	o = o.withDefaults()
	return o.RawPoints*pointBytes + o.Buckets*bucketBytes
}

const (
	pointBytes  = 8  // uint32 ms since the series' base + float32
	bucketBytes = 14 // float32 min, max, mean + uint16 count; its start is implied
)

// Point is one value of a series.
type Point struct {
	Time  time.Time `json:"time"`
	Value float64   `json:"value"`
}

// Bucket is a downsampled span of a series.
type Bucket struct {
	Start time.Time `json:"start"`
	Min   float64   `json:"min"`
	Max   float64   `json:"max"`
	Mean  float64   `json:"mean"`
	Count int       `json:"count"`
}

// Store holds every series in memory with bounded rings. Safe for
// concurrent use: writers of different series do not contend beyond a
// short map lookup.
type Store struct {
	opts StoreOptions

	mu     sync.RWMutex // protects following fields
	series map[Key]*series
}

// NewStore returns an empty store.
func NewStore(opts StoreOptions) *Store {
	return &Store{opts: opts.withDefaults(), series: map[Key]*series{}}
}

// Options returns the store's bounds.
func (s *Store) Options() StoreOptions { return s.opts }

// series is one series' rings. Raw points are times as milliseconds after
// base (uint32: 49 days, rebased when the newest point would pass that)
// and float32 values; buckets are contiguous in time, newest at bnewest,
// so their starts are implied (a gap is empty buckets, count 0). Both
// rings grow to their bound as points arrive, then wrap.
type series struct {
	mu sync.Mutex // protects following fields
	// raw ring: ts and vs of equal length up to the bound, head is the
	// next slot to overwrite once full.
	base int64 // unix ms that ts counts from
	ts   []uint32
	vs   []float32
	head int
	// bucket ring: the four slices of equal length, bhead the oldest once
	// full; bnewest is the start (unix ms) of the newest bucket.
	bmin, bmax, bmean []float32
	bn                []uint16
	bhead             int
	bnewest           int64
}

// Add appends one sample. Points older than the newest of their series by
// more than one bucket step are refused (a collector replaying stale data
// must not rewrite history).
func (s *Store) Add(sm Sample) error {
	if math.IsNaN(sm.Value) || math.IsInf(sm.Value, 0) {
		return &DropError{Key: sm.Key, Reason: DropNotANumber, Err: fmt.Errorf("%g is not finite", sm.Value)}
	}
	se := s.seriesOf(sm.Key)
	return s.addTo(se, sm.Key, sm.Time.UnixMilli(), float32(sm.Value))
}

// series returns the series of k, creating it.
func (s *Store) seriesOf(k Key) *series {
	s.mu.RLock()
	se := s.series[k]
	s.mu.RUnlock()
	if se != nil {
		return se
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if se = s.series[k]; se == nil {
		se = &series{}
		s.series[k] = se
	}
	return se
}

// grow returns s with room for one more element, its capacity doubled
// (from 8) but never past bound.
func grow[T any](s []T, bound int) []T {
	if len(s) < cap(s) {
		return s
	}
	ns := make([]T, len(s), min(max(2*cap(s), 8), bound))
	copy(ns, s)
	return ns
}

// addTo appends one point to a series (k names it in errors).
func (s *Store) addTo(se *series, k Key, ms int64, v float32) error {
	se.mu.Lock()
	defer se.mu.Unlock()
	if last, ok := se.lastTime(); ok && ms < last-s.opts.BucketStep.Milliseconds() {
		return &DropError{Key: k, Reason: DropStale, Err: fmt.Errorf("sample at %s is older than the series' newest point", time.UnixMilli(ms).UTC().Format(time.RFC3339))}
	}
	off := se.offset(ms)
	if n := len(se.ts); n < s.opts.RawPoints {
		se.ts = append(grow(se.ts, s.opts.RawPoints), off)
		se.vs = append(grow(se.vs, s.opts.RawPoints), v)
	} else {
		se.ts[se.head], se.vs[se.head] = off, v
		se.head = (se.head + 1) % n
	}
	step := s.opts.BucketStep.Milliseconds()
	start := ms - ms%step
	n := len(se.bn)
	if n > 0 {
		if start == se.bnewest {
			i := (se.bhead + n - 1) % n // the newest bucket
			if se.bn[i] == 0 {
				se.bmin[i], se.bmax[i], se.bmean[i] = v, v, v
			} else {
				se.bmin[i] = min(se.bmin[i], v)
				se.bmax[i] = max(se.bmax[i], v)
			}
			if se.bn[i] < math.MaxUint16 {
				se.bn[i]++
			}
			// A running mean (past 65,535 points a bucket's mean keeps
			// moving with weight 1/65,535).
			se.bmean[i] += (v - se.bmean[i]) / float32(se.bn[i])
			return nil
		}
		if start < se.bnewest {
			return nil // late point inside raw history only
		}
		// Empty buckets over a gap keep the starts implied; a gap longer
		// than the ring empties it.
		gap := (start-se.bnewest)/step - 1
		if gap >= int64(s.opts.Buckets) {
			se.bmin, se.bmax, se.bmean, se.bn, se.bhead = se.bmin[:0], se.bmax[:0], se.bmean[:0], se.bn[:0], 0
			gap = 0
		}
		for range gap {
			se.pushBucket(s.opts.Buckets, 0, 0)
		}
	}
	se.pushBucket(s.opts.Buckets, v, 1)
	se.bnewest = start
	return nil
}

// pushBucket appends a bucket of n points of value v (n 0: empty).
func (se *series) pushBucket(bound int, v float32, n uint16) {
	if len(se.bn) < bound {
		se.bmin = append(grow(se.bmin, bound), v)
		se.bmax = append(grow(se.bmax, bound), v)
		se.bmean = append(grow(se.bmean, bound), v)
		se.bn = append(grow(se.bn, bound), n)
		return
	}
	i := se.bhead
	se.bmin[i], se.bmax[i], se.bmean[i], se.bn[i] = v, v, v, n
	se.bhead = (se.bhead + 1) % bound
}

// offset returns ms as an offset from the series' base, moving the base
// when ms falls outside what a uint32 after it reaches. Raw points that
// no base can hold together with ms (older than ms by 49 days) are let go.
func (se *series) offset(ms int64) uint32 {
	if len(se.ts) == 0 {
		se.base = ms
		return 0
	}
	if ms >= se.base && ms-se.base <= math.MaxUint32 {
		return uint32(ms - se.base)
	}
	// The new base is the oldest of ms and the points kept.
	lo, hi := ms, ms
	for _, o := range se.ts {
		t := se.base + int64(o)
		lo, hi = min(lo, t), max(hi, t)
	}
	if hi-lo > math.MaxUint32 {
		se.ts, se.vs, se.head = se.ts[:0], se.vs[:0], 0
		se.base = ms
		return 0
	}
	for i, o := range se.ts {
		se.ts[i] = uint32(se.base + int64(o) - lo)
	}
	se.base = lo
	return uint32(ms - lo)
}

func (se *series) lastTime() (int64, bool) {
	n := len(se.ts)
	if n == 0 {
		return 0, false
	}
	return se.base + int64(se.ts[(se.head+n-1)%n]), true
}

// oldestTime is the time of the oldest raw point kept (n > 0).
func (se *series) oldestTime() int64 {
	return se.base + int64(se.ts[se.head%len(se.ts)])
}

// points returns the raw points at or after since, oldest first.
func (se *series) points(since int64) []Point {
	n := len(se.ts)
	out := make([]Point, 0, n)
	for i := 0; i < n; i++ {
		j := (se.head + i) % n
		if t := se.base + int64(se.ts[j]); t >= since {
			out = append(out, Point{Time: time.UnixMilli(t).UTC(), Value: widen(se.vs[j])})
		}
	}
	return out
}

// buckets returns the non-empty buckets starting at or after since,
// oldest first.
func (se *series) buckets(since int64, step time.Duration) []Bucket {
	n := len(se.bn)
	out := make([]Bucket, 0, n)
	ms := step.Milliseconds()
	for i := 0; i < n; i++ {
		j := (se.bhead + i) % n
		start := se.bnewest - int64(n-1-i)*ms
		if se.bn[j] == 0 || start < since {
			continue
		}
		out = append(out, Bucket{Start: time.UnixMilli(start).UTC(), Min: widen(se.bmin[j]), Max: widen(se.bmax[j]), Mean: widen(se.bmean[j]), Count: int(se.bn[j])})
	}
	return out
}

// widen returns the float64 closest to the decimal a float32 prints as, so
// 0.1225 stored comes back as 0.1225, not 0.12250000238418579.
func widen(f float32) float64 {
	v, err := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	if err != nil {
		return float64(f)
	}
	return v
}

// Points returns the raw points of one series at or after since, oldest
// first.
func (s *Store) Points(k Key, since time.Time) []Point {
	s.mu.RLock()
	se := s.series[k]
	s.mu.RUnlock()
	if se == nil {
		return nil
	}
	se.mu.Lock()
	defer se.mu.Unlock()
	return se.points(since.UnixMilli())
}

// Last returns the newest point of a series.
func (s *Store) Last(k Key) (Point, bool) {
	s.mu.RLock()
	se := s.series[k]
	s.mu.RUnlock()
	if se == nil {
		return Point{}, false
	}
	se.mu.Lock()
	defer se.mu.Unlock()
	n := len(se.ts)
	if n == 0 {
		return Point{}, false
	}
	j := (se.head + n - 1) % n
	return Point{Time: time.UnixMilli(se.base + int64(se.ts[j])).UTC(), Value: widen(se.vs[j])}, true
}

// Query is a selection of series and a time range.
type Query struct {
	Metric string    // required
	Device string    // "" for every device
	Label  string    // "" for every label
	Since  time.Time // zero: everything kept
	// Step resamples the result into buckets of this width (mean per
	// bucket). Zero returns raw points where the raw ring still covers
	// Since, else the stored buckets.
	Step time.Duration
}

// Result is one series of a query answer.
type Result struct {
	Key    Key     `json:"key"`
	Points []Point `json:"points"`
}

// Query returns the series matching q, sorted by key. A step coarser than
// the raw resolution is served from raw points when they cover Since,
// from the downsampled buckets otherwise.
func (s *Store) Query(q Query) []Result {
	s.mu.RLock()
	var keys []Key
	for k := range s.series {
		if k.Metric == q.Metric && (q.Device == "" || k.Device == q.Device) && (q.Label == "" || k.Label == q.Label) {
			keys = append(keys, k)
		}
	}
	s.mu.RUnlock()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Device != keys[j].Device {
			return keys[i].Device < keys[j].Device
		}
		return keys[i].Label < keys[j].Label
	})
	since := q.Since.UnixMilli()
	out := make([]Result, 0, len(keys))
	for _, k := range keys {
		s.mu.RLock()
		se := s.series[k]
		s.mu.RUnlock()
		se.mu.Lock()
		var pts []Point
		// Raw points answer when they reach back to since: the ring has
		// not wrapped yet, or its oldest point is not after since.
		if len(se.ts) < s.opts.RawPoints || se.oldestTime() <= since {
			pts = se.points(since)
		} else {
			for _, b := range se.buckets(since, s.opts.BucketStep) {
				pts = append(pts, Point{Time: b.Start, Value: b.Mean})
			}
		}
		se.mu.Unlock()
		if q.Step > 0 {
			pts = resample(pts, q.Step)
		}
		out = append(out, Result{Key: k, Points: pts})
	}
	return out
}

// resample averages points into buckets of width step aligned to the epoch.
func resample(pts []Point, step time.Duration) []Point {
	if len(pts) == 0 {
		return pts
	}
	ms := step.Milliseconds()
	if ms <= 0 {
		return pts
	}
	var out []Point
	var start int64 = -1
	var sum float64
	var n int
	flush := func() {
		if n > 0 {
			out = append(out, Point{Time: time.UnixMilli(start).UTC(), Value: sum / float64(n)})
		}
	}
	for _, p := range pts {
		t := p.Time.UnixMilli()
		b := t - t%ms
		if b != start {
			flush()
			start, sum, n = b, 0, 0
		}
		sum += p.Value
		n++
	}
	flush()
	return out
}

// Keys lists every series, sorted.
func (s *Store) Keys() []Key {
	s.mu.RLock()
	keys := make([]Key, 0, len(s.series))
	for k := range s.series {
		keys = append(keys, k)
	}
	s.mu.RUnlock()
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	return keys
}

// Bytes returns the memory the rings of every series hold now (their
// capacity: a young series holds less than SeriesBytes).
func (s *Store) Bytes() int {
	s.mu.RLock()
	all := make([]*series, 0, len(s.series))
	for _, se := range s.series {
		all = append(all, se)
	}
	s.mu.RUnlock()
	n := 0
	for _, se := range all {
		se.mu.Lock()
		n += cap(se.ts)*4 + cap(se.vs)*4 + (cap(se.bmin)+cap(se.bmax)+cap(se.bmean))*4 + cap(se.bn)*2
		se.mu.Unlock()
	}
	return n
}

// Len returns the number of series.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.series)
}

// Forget removes every series of a device.
func (s *Store) Forget(device string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.series {
		if k.Device == device {
			delete(s.series, k)
		}
	}
}
