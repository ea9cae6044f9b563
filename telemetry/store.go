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
// point and bucket rings; map overhead aside).
func (o StoreOptions) SeriesBytes() int {
	o = o.withDefaults()
	return o.RawPoints*pointBytes + o.Buckets*bucketBytes
}

const (
	pointBytes  = 12 // int64 unix ms + float32
	bucketBytes = 24 // int64 start + float32 min, max, mean + uint32 count
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

type series struct {
	mu sync.Mutex // protects following fields
	// raw ring: ts and vs of equal length up to cap, head is the next slot
	// to overwrite once full.
	ts   []int64
	vs   []float32
	head int
	// bucket ring
	bs    []bucket
	bhead int
}

type bucket struct {
	start         int64 // unix ms
	min, max, sum float32
	n             uint32
}

// Add appends one sample. Points older than the newest of their series by
// more than one bucket step are refused (a collector replaying stale data
// must not rewrite history).
func (s *Store) Add(sm Sample) error {
	if math.IsNaN(sm.Value) || math.IsInf(sm.Value, 0) {
		return fmt.Errorf("%w: %s: %g is not finite", ErrDrop, sm.Key, sm.Value)
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
		// Rings at their final size: append never over-allocates.
		se = &series{ts: make([]int64, 0, s.opts.RawPoints), vs: make([]float32, 0, s.opts.RawPoints),
			bs: make([]bucket, 0, s.opts.Buckets)}
		s.series[k] = se
	}
	return se
}

// addTo appends one point to a series (k names it in errors).
func (s *Store) addTo(se *series, k Key, ms int64, v float32) error {
	se.mu.Lock()
	defer se.mu.Unlock()
	if last, ok := se.lastTime(); ok && ms < last-s.opts.BucketStep.Milliseconds() {
		return fmt.Errorf("%w: %s: sample at %s is older than the series' newest point", ErrDrop, k, time.UnixMilli(ms).UTC().Format(time.RFC3339))
	}
	if len(se.ts) < s.opts.RawPoints {
		se.ts = append(se.ts, ms)
		se.vs = append(se.vs, v)
	} else {
		se.ts[se.head], se.vs[se.head] = ms, v
		se.head = (se.head + 1) % len(se.ts)
	}
	step := s.opts.BucketStep.Milliseconds()
	start := ms - ms%step
	if n := len(se.bs); n > 0 {
		cur := &se.bs[(se.bhead+n-1)%n] // the newest bucket
		if cur.start == start {
			cur.n++
			cur.sum += v
			cur.min = min(cur.min, v)
			cur.max = max(cur.max, v)
			return nil
		}
		if start < cur.start {
			return nil // late point inside raw history only
		}
	}
	b := bucket{start: start, min: v, max: v, sum: v, n: 1}
	if len(se.bs) < s.opts.Buckets {
		se.bs = append(se.bs, b)
	} else {
		se.bs[se.bhead] = b
		se.bhead = (se.bhead + 1) % len(se.bs)
	}
	return nil
}

func (se *series) lastTime() (int64, bool) {
	n := len(se.ts)
	if n == 0 {
		return 0, false
	}
	return se.ts[(se.head+n-1)%n], true
}

// points returns the raw points at or after since, oldest first.
func (se *series) points(since int64) []Point {
	n := len(se.ts)
	out := make([]Point, 0, n)
	for i := 0; i < n; i++ {
		j := (se.head + i) % n
		if se.ts[j] >= since {
			out = append(out, Point{Time: time.UnixMilli(se.ts[j]).UTC(), Value: widen(se.vs[j])})
		}
	}
	return out
}

func (se *series) buckets(since int64) []Bucket {
	n := len(se.bs)
	out := make([]Bucket, 0, n)
	for i := 0; i < n; i++ {
		b := se.bs[(se.bhead+i)%n]
		if b.start >= since {
			out = append(out, Bucket{Start: time.UnixMilli(b.start).UTC(), Min: widen(b.min), Max: widen(b.max), Mean: widen(b.sum / float32(b.n)), Count: int(b.n)})
		}
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
	return Point{Time: time.UnixMilli(se.ts[j]).UTC(), Value: widen(se.vs[j])}, true
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
		if len(se.ts) < s.opts.RawPoints || se.ts[se.head] <= since {
			pts = se.points(since)
		} else {
			for _, b := range se.buckets(since) {
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
