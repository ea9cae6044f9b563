package telemetry

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// AdaptiveOptions bound the sampling interval of every series.
type AdaptiveOptions struct {
	Base time.Duration // interval of a calm series far from any target (default 10s)
	Min  time.Duration // fastest interval (default 1s)
	Max  time.Duration // slowest interval when calm for long (default 60s)
	// Near is the relative distance to a target's bound under which a
	// series samples faster (default 0.2: within 20 % of the bound).
	Near float64
	// Abrupt is the relative change between two samples that counts as a
	// jump (default 0.25).
	Abrupt float64
	// Calm is how many calm samples in a row let the interval grow
	// (default 3).
	Calm int
	// Budget is the most samples per second one device may be asked for
	// (default 50); a device's interval never goes below what its series
	// count allows under it.
	Budget float64
}

func (o AdaptiveOptions) withDefaults() AdaptiveOptions {
	if o.Base <= 0 {
		o.Base = 10 * time.Second
	}
	if o.Min <= 0 {
		o.Min = time.Second
	}
	if o.Max <= 0 {
		o.Max = 60 * time.Second
	}
	if o.Min > o.Base {
		o.Min = o.Base
	}
	if o.Max < o.Base {
		o.Max = o.Base
	}
	if o.Near <= 0 {
		o.Near = 0.2
	}
	if o.Abrupt <= 0 {
		o.Abrupt = 0.25
	}
	if o.Calm <= 0 {
		o.Calm = 3
	}
	if o.Budget <= 0 {
		o.Budget = 50
	}
	return o
}

// Adaptive decides how often each series is sampled: halve the interval
// when a value comes within Near of an active target's bound or jumps by
// more than Abrupt, grow it by half when the series has been calm for Calm
// samples, always within Min..Max. Safe for concurrent use: the state is
// kept per device, so collectors of different devices do not contend and
// a device's interval costs only its own series.
type Adaptive struct {
	opts AdaptiveOptions

	mu      sync.RWMutex // protects following fields
	devices map[string]*adaptDevice
}

// adaptDevice is one device's series.
type adaptDevice struct {
	mu      sync.Mutex // protects following fields
	series  map[Key]*adaptState
	targets map[Key][]float64
}

type adaptState struct {
	interval time.Duration
	last     float64
	seen     bool
	calm     int
	why      reason
	bound    float64 // the target's bound, when why is nearTarget
}

type reason uint8

const (
	atBase reason = iota
	nearTarget
	jumped
	calmTowardsBase
	calm
)

func (st *adaptState) reason(o AdaptiveOptions) string {
	switch st.why {
	case nearTarget:
		return fmt.Sprintf("%.4g is within %.0f%% of the target %.4g", st.last, 100*o.Near, st.bound)
	case jumped:
		return fmt.Sprintf("changed by more than %.0f%% in one sample", 100*o.Abrupt)
	case calmTowardsBase:
		return "calm: back towards the base interval"
	case calm:
		return "calm"
	}
	return "base"
}

// NewAdaptive returns a controller with every series at the base interval.
func NewAdaptive(opts AdaptiveOptions) *Adaptive {
	return &Adaptive{opts: opts.withDefaults(), devices: map[string]*adaptDevice{}}
}

// Options returns the controller's bounds.
func (a *Adaptive) Options() AdaptiveOptions { return a.opts }

// device returns the state of device name, creating it if create.
func (a *Adaptive) device(name string, create bool) *adaptDevice {
	a.mu.RLock()
	d := a.devices[name]
	a.mu.RUnlock()
	if d != nil || !create {
		return d
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if d = a.devices[name]; d == nil {
		d = &adaptDevice{series: map[Key]*adaptState{}, targets: map[Key][]float64{}}
		a.devices[name] = d
	}
	return d
}

// SetTargets replaces the bounds of active intents that series k is
// measured against; none clears them.
func (a *Adaptive) SetTargets(k Key, bounds ...float64) {
	d := a.device(k.Device, len(bounds) > 0)
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(bounds) == 0 {
		delete(d.targets, k)
		return
	}
	d.targets[k] = append([]float64(nil), bounds...)
}

// Observe feeds one sample and returns the series' interval from now on.
func (a *Adaptive) Observe(s Sample) time.Duration {
	d := a.device(s.Key.Device, true)
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.series[s.Key]
	if st == nil {
		st = &adaptState{interval: a.opts.Base}
		d.series[s.Key] = st
	}
	near, bound := a.near(d.targets[s.Key], s.Value)
	jump := st.seen && relChange(st.last, s.Value) > a.opts.Abrupt
	st.last, st.seen = s.Value, true
	switch {
	case near:
		st.calm = 0
		st.interval = max(a.opts.Min, st.interval/2)
		st.why, st.bound = nearTarget, bound
	case jump:
		st.calm = 0
		st.interval = max(a.opts.Min, st.interval/2)
		st.why = jumped
	default:
		st.calm++
		if st.calm >= a.opts.Calm {
			st.calm = 0
			grown := st.interval + st.interval/2
			limit := a.opts.Max
			if _, has := d.targets[s.Key]; has {
				// A series with a target never backs off past the base.
				limit = a.opts.Base
			}
			st.interval = min(limit, grown)
			if st.interval < a.opts.Base {
				st.why = calmTowardsBase
			} else {
				st.why = calm
			}
		}
	}
	return st.interval
}

func (a *Adaptive) near(bounds []float64, v float64) (bool, float64) {
	for _, b := range bounds {
		scale := math.Abs(b)
		if scale == 0 {
			scale = 1
		}
		if math.Abs(v-b)/scale <= a.opts.Near {
			return true, b
		}
	}
	return false, 0
}

func relChange(prev, cur float64) float64 {
	d := math.Abs(cur - prev)
	scale := math.Max(math.Abs(prev), math.Abs(cur))
	if scale < 1e-9 {
		return 0
	}
	return d / scale
}

// Interval returns a series' current interval and why it is that.
func (a *Adaptive) Interval(k Key) (time.Duration, string) {
	if d := a.device(k.Device, false); d != nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		if st := d.series[k]; st != nil {
			return st.interval, st.reason(a.opts)
		}
	}
	return a.opts.Base, "base"
}

// DeviceInterval returns how often a device should be sampled: its
// fastest series' interval, slowed down so that the device's series count
// stays within the per-device budget. It costs the device's series count.
func (a *Adaptive) DeviceInterval(device string) time.Duration {
	d := a.device(device, false)
	if d == nil {
		return a.opts.Base
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	iv := time.Duration(0)
	for _, st := range d.series {
		if iv == 0 || st.interval < iv {
			iv = st.interval
		}
	}
	n := len(d.series)
	if n == 0 {
		return a.opts.Base
	}
	floor := time.Duration(float64(n) / a.opts.Budget * float64(time.Second))
	return max(iv, floor)
}

// Intervals returns every series' interval.
func (a *Adaptive) Intervals() map[Key]time.Duration {
	a.mu.RLock()
	devs := make([]*adaptDevice, 0, len(a.devices))
	for _, d := range a.devices {
		devs = append(devs, d)
	}
	a.mu.RUnlock()
	out := map[Key]time.Duration{}
	for _, d := range devs {
		d.mu.Lock()
		for k, st := range d.series {
			out[k] = st.interval
		}
		d.mu.Unlock()
	}
	return out
}
