package telemetry

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The metric names netagent collects (ARCHITECTURE.md).
const (
	CPUUtil         = "device.cpu.util"
	MemUtil         = "device.mem.util"
	PowerStatus     = "device.power.status"
	IfInBps         = "if.in.bps"
	IfOutBps        = "if.out.bps"
	IfOperStatus    = "if.oper.status"
	LinkLatencyMs   = "link.latency.ms"
	LinkLossPct     = "link.loss.pct"
	LinkJitterMs    = "link.jitter.ms"
	RouteConvergeMs = "route.convergence.ms"
	AppProtoShare   = "app.proto.share"
	SessionsCount   = "sessions.count"
	TrafficPeakBps  = "traffic.peak.bps"
)

// MetricInfo describes one metric: its unit, the label its series are keyed
// by besides the device, and the range a sane value lies in.
type MetricInfo struct {
	Name  string
	Unit  string
	Help  string
	Label string // "" for one series per device
	Min   float64
	Max   float64
	// Prom is the Prometheus name (base units, as its conventions ask);
	// PromScale converts the value into them (0 means 1).
	Prom      string
	PromScale float64
}

// Metrics lists every metric with its unit and range, in a stable order.
var Metrics = []MetricInfo{
	{CPUUtil, "percent", "CPU utilisation", "", 0, 100, "netagent_device_cpu_utilization_ratio", 0.01},
	{MemUtil, "percent", "memory utilisation", "", 0, 100, "netagent_device_memory_utilization_ratio", 0.01},
	{PowerStatus, "bool", "power supply up (1) or down (0)", "psu", 0, 1, "netagent_device_power_supply_up", 0},
	{IfInBps, "bits/s", "interface receive rate", "interface", 0, 4e12, "netagent_interface_receive_bytes_per_second", 0.125},
	{IfOutBps, "bits/s", "interface transmit rate", "interface", 0, 4e12, "netagent_interface_transmit_bytes_per_second", 0.125},
	{IfOperStatus, "bool", "interface operationally up (1) or down (0)", "interface", 0, 1, "netagent_interface_oper_up", 0},
	{LinkLatencyMs, "ms", "link latency", "link", 0, 600_000, "netagent_link_latency_seconds", 0.001},
	{LinkLossPct, "percent", "link packet loss", "link", 0, 100, "netagent_link_loss_ratio", 0.01},
	{LinkJitterMs, "ms", "link jitter", "link", 0, 600_000, "netagent_link_jitter_seconds", 0.001},
	{RouteConvergeMs, "ms", "last route convergence time", "", 0, 3_600_000, "netagent_route_convergence_seconds", 0.001},
	{AppProtoShare, "ratio", "share of traffic by application protocol", "app", 0, 1, "netagent_application_traffic_share_ratio", 0},
	{SessionsCount, "sessions", "active sessions", "", 0, 1e10, "netagent_sessions", 0},
	{TrafficPeakBps, "bits/s", "highest interface peak rate", "", 0, 4e12, "netagent_traffic_peak_bytes_per_second", 0.125},
}

// Info returns the description of a metric name.
func Info(name string) (MetricInfo, bool) {
	for _, m := range Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return MetricInfo{}, false
}

// Key names one series: a metric on a device, with its label value
// (the interface, link, PSU or application) when the metric has one.
type Key struct {
	Metric string `json:"metric"`
	Device string `json:"device"`
	Label  string `json:"label,omitempty"`
}

func (k Key) String() string {
	if k.Label == "" {
		return k.Metric + "{" + k.Device + "}"
	}
	return k.Metric + "{" + k.Device + "," + k.Label + "}"
}

// Sample is one normalised value.
type Sample struct {
	Key   Key
	Time  time.Time
	Value float64
}

// ErrDrop marks a value the normaliser refused; the reason follows.
var ErrDrop = errors.New("telemetry: value dropped")

// DropReason says why a value was refused: the reason label of
// netagent_telemetry_drops_total.
type DropReason uint8

// The reasons a value is dropped.
const (
	DropMalformed     DropReason = iota // the message or value does not decode
	DropNotANumber                      // not a number, not finite, or not a counter
	DropUnknownStatus                   // a status the metric does not know
	DropOutOfRange                      // outside the metric's range (a rate above its maximum too)
	DropCounterTime                     // a counter reading not later than the previous one
	DropStale                           // older than its series' newest point by more than a bucket
	numDropReasons
)

var dropReasonNames = [numDropReasons]string{"malformed", "not_a_number", "unknown_status", "out_of_range", "counter_time", "stale"}

func (r DropReason) String() string {
	if r < numDropReasons {
		return dropReasonNames[r]
	}
	return "unknown"
}

// DropCounts counts drops by reason.
type DropCounts [numDropReasons]uint64

// Total is the number of drops of every reason.
func (d *DropCounts) Total() uint64 {
	var n uint64
	for _, v := range d {
		n += v
	}
	return n
}

// Map returns the non-zero counts by reason name.
func (d *DropCounts) Map() map[string]uint64 {
	var m map[string]uint64
	for r, v := range d {
		if v != 0 {
			if m == nil {
				m = map[string]uint64{}
			}
			m[DropReason(r).String()] = v
		}
	}
	return m
}

// DropError is a refused value: which series, why, and the detail. It
// wraps ErrDrop and the detail.
type DropError struct {
	Key    Key
	Reason DropReason
	Err    error
}

func (e *DropError) Error() string {
	return fmt.Sprintf("%v: %s (%s): %v", ErrDrop, e.Key, e.Reason, e.Err)
}

func (e *DropError) Unwrap() []error { return []error{ErrDrop, e.Err} }

// DropReasonOf returns the reason of a DropError, DropMalformed for any
// other error.
func DropReasonOf(err error) DropReason {
	var de *DropError
	if errors.As(err, &de) {
		return de.Reason
	}
	return DropMalformed
}

// pathRule maps a state path pattern onto a metric. Patterns are split on
// "/" with one keyed element whose key value becomes the label.
type pathRule struct {
	prefix  string // the path up to the key value, e.g. "/interfaces/interface[name="
	suffix  string // after the key value, e.g. "]/state/counters/in-octets"
	metric  string
	counter bool    // a counter of octets: the metric is its rate in bits/s
	scale   float64 // multiplier applied to the value (0 means 1)
	enum    map[string]float64
}

var upDown = map[string]float64{"UP": 1, "DOWN": 0, "LOWER_LAYER_DOWN": 0, "TESTING": 0, "UNKNOWN": 0, "DORMANT": 0, "NOT_PRESENT": 0}
var psuStatus = map[string]float64{"ACTIVE": 1, "INACTIVE": 0, "DISABLED": 0}

var rules = []pathRule{
	{prefix: "/system/cpus/cpu[index=ALL]/state/total/instant", metric: CPUUtil},
	{prefix: "/lab/system/state/memory-util", metric: MemUtil},
	{prefix: "/components/component[name=", suffix: "]/state/oper-status", metric: PowerStatus, enum: psuStatus},
	{prefix: "/interfaces/interface[name=", suffix: "]/state/counters/in-octets", metric: IfInBps, counter: true, scale: 8},
	{prefix: "/interfaces/interface[name=", suffix: "]/state/counters/out-octets", metric: IfOutBps, counter: true, scale: 8},
	{prefix: "/interfaces/interface[name=", suffix: "]/state/oper-status", metric: IfOperStatus, enum: upDown},
	{prefix: "/lab/links/link[local=", suffix: "]/state/latency-ms", metric: LinkLatencyMs},
	{prefix: "/lab/links/link[local=", suffix: "]/state/loss-pct", metric: LinkLossPct},
	{prefix: "/lab/links/link[local=", suffix: "]/state/jitter-ms", metric: LinkJitterMs},
	{prefix: "/lab/routing/state/convergence-ms", metric: RouteConvergeMs},
	{prefix: "/lab/applications/application[name=", suffix: "]/state/share", metric: AppProtoShare},
	{prefix: "/lab/sessions/state/count", metric: SessionsCount},
	{prefix: "/lab/traffic/state/peak-bps", metric: TrafficPeakBps},
}

// Paths returns the state paths a collector subscribes to (or polls) to
// produce every metric, with wildcard keys.
func Paths() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rules {
		p := r.prefix
		if r.suffix != "" {
			p += "*" + r.suffix
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// match returns the rule for path and the label it carries.
func match(path string) (*pathRule, string, bool) {
	for i := range rules {
		r := &rules[i]
		if r.suffix == "" {
			if path == r.prefix {
				return r, "", true
			}
			continue
		}
		if len(path) > len(r.prefix)+len(r.suffix) && strings.HasPrefix(path, r.prefix) && strings.HasSuffix(path, r.suffix) {
			label := path[len(r.prefix) : len(path)-len(r.suffix)]
			if strings.ContainsAny(label, "[]") {
				continue
			}
			return r, unescapeKey(label), true
		}
	}
	return nil, "", false
}

func unescapeKey(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Normalizer turns raw device updates into samples. It keeps the last
// value of every counter to compute rates. Safe for concurrent use.
type Normalizer struct {
	// MinRateSpan is the shortest time between two readings of a counter
	// that makes a rate (0: any); see Ingester.MinRateSpan. Set it before
	// use.
	MinRateSpan time.Duration

	mu    sync.Mutex // protects following fields
	last  map[Key]counterState
	drops map[string]uint64 // by device
}

type counterState struct {
	t time.Time
	v uint64
}

// NewNormalizer returns an empty normaliser.
func NewNormalizer() *Normalizer {
	return &Normalizer{last: map[Key]counterState{}, drops: map[string]uint64{}}
}

// Normalize maps one update (device, path, value as the adapters deliver
// it) onto a sample. It returns ok=false with a nil error for paths that
// are no metric (configuration mirrors, say) and for the first reading of
// a counter (a rate needs two); an error wrapping ErrDrop for a value that
// is not a number, out of its metric's range, or a counter that went
// backwards without a plausible wrap.
func (n *Normalizer) Normalize(device, path string, t time.Time, value any) (Sample, bool, error) {
	r, label, ok := match(path)
	if !ok {
		return Sample{}, false, nil
	}
	info, _ := Info(r.metric)
	key := Key{Metric: r.metric, Device: device, Label: label}
	if r.counter {
		u, err := toUint(value)
		if err != nil {
			return Sample{}, false, n.drop(device, key, DropNotANumber, err)
		}
		return n.rate(key, r, info, t, u)
	}
	var v float64
	if r.enum != nil {
		s, isStr := value.(string)
		e, known := r.enum[strings.ToUpper(s)]
		if !isStr || !known {
			return Sample{}, false, n.drop(device, key, DropUnknownStatus, fmt.Errorf("%v is not a known status", value))
		}
		v = e
	} else {
		f, err := toFloat(value)
		if err != nil {
			return Sample{}, false, n.drop(device, key, DropNotANumber, err)
		}
		v = f
	}
	if r.scale != 0 {
		v *= r.scale
	}
	if v < info.Min || v > info.Max {
		return Sample{}, false, n.drop(device, key, DropOutOfRange, fmt.Errorf("%g is outside %g..%g %s", v, info.Min, info.Max, info.Unit))
	}
	return Sample{Key: key, Time: t, Value: v}, true, nil
}

func (n *Normalizer) rate(key Key, r *pathRule, info MetricInfo, t time.Time, u uint64) (Sample, bool, error) {
	n.mu.Lock()
	prev, seen := n.last[key]
	if seen && !t.Before(prev.t) && t.Sub(prev.t) < n.MinRateSpan && u >= prev.v {
		n.mu.Unlock()
		return Sample{}, false, nil // too close to the baseline for a rate: keep it
	}
	n.last[key] = counterState{t: t, v: u}
	n.mu.Unlock()
	if !seen {
		return Sample{}, false, nil
	}
	dt := t.Sub(prev.t).Seconds()
	if dt <= 0 {
		return Sample{}, false, n.drop(key.Device, key, DropCounterTime, fmt.Errorf("counter sample at %s is not after the previous one", t.Format(time.RFC3339Nano)))
	}
	var delta uint64
	switch {
	case u >= prev.v:
		delta = u - prev.v
	case prev.v <= math.MaxUint32 && prev.v > math.MaxUint32/2 && u < math.MaxUint32/2:
		// A 32-bit counter wrapped.
		delta = (math.MaxUint32 - prev.v) + u + 1
	case prev.v > math.MaxUint64/2 && u < math.MaxUint64/2 && prev.v > math.MaxUint32:
		// A 64-bit counter wrapped.
		delta = (math.MaxUint64 - prev.v) + u + 1
	default:
		// The counter was reset (device restart, clear counters): the
		// rate is unknown for this interval; the next one is good.
		return Sample{}, false, nil
	}
	scale := r.scale
	if scale == 0 {
		scale = 1
	}
	v := float64(delta) * scale / dt
	if v > info.Max {
		return Sample{}, false, n.drop(key.Device, key, DropOutOfRange, fmt.Errorf("rate %g %s is above the maximum %g", v, info.Unit, info.Max))
	}
	return Sample{Key: key, Time: t, Value: v}, true, nil
}

func (n *Normalizer) drop(device string, key Key, reason DropReason, err error) error {
	n.mu.Lock()
	n.drops[device]++
	n.mu.Unlock()
	return &DropError{Key: key, Reason: reason, Err: err}
}

// Drops returns how many values were dropped per device.
func (n *Normalizer) Drops() map[string]uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]uint64, len(n.drops))
	for k, v := range n.drops {
		out[k] = v
	}
	return out
}

// Forget drops the counter state of a device (it left the inventory).
func (n *Normalizer) Forget(device string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k := range n.last {
		if k.Device == device {
			delete(n.last, k)
		}
	}
}

func toFloat(v any) (float64, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	case int:
		f = float64(x)
	case string:
		p, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		f = p
	default:
		return 0, fmt.Errorf("a %T is not a number", v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%g is not a finite number", f)
	}
	return f, nil
}

func toUint(v any) (uint64, error) {
	switch x := v.(type) {
	case uint64:
		return x, nil
	case int64:
		if x < 0 {
			return 0, fmt.Errorf("counter %d is negative", x)
		}
		return uint64(x), nil
	case int:
		if x < 0 {
			return 0, fmt.Errorf("counter %d is negative", x)
		}
		return uint64(x), nil
	case float64:
		if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) || x != math.Trunc(x) || x >= math.MaxUint64 {
			return 0, fmt.Errorf("counter %g is not a non-negative integer", x)
		}
		return uint64(x), nil
	case string:
		u, err := strconv.ParseUint(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("counter %q is not a non-negative integer", x)
		}
		return u, nil
	default:
		return 0, fmt.Errorf("a %T is not a counter", v)
	}
}
