package telemetry

import (
	"fmt"
	"math"
	"time"
)

// Op is a target's comparison: a compliant value v satisfies "v Op bound".
type Op string

// Target comparisons, as intents write them.
const (
	Below        Op = "<" // latency, loss, utilisation
	BelowOrEqual Op = "<="
	Above        Op = ">" // throughput, up status
	AboveOrEqual Op = ">="
	Equal        Op = "=="
	NotEqual     Op = "!="
)

// rising reports whether a rising value moves towards a breach (+1), a
// falling one does (-1), or neither applies (0: equality targets).
func (o Op) rising() int {
	switch o {
	case Below, BelowOrEqual:
		return 1
	case Above, AboveOrEqual:
		return -1
	}
	return 0
}

// Target is what an intent asks of one series.
type Target struct {
	Key    Key
	Op     Op
	Bound  float64
	Window time.Duration // compliance is measured over this window
	// Horizon is how far ahead a predicted breach counts (default Window).
	Horizon time.Duration
	// MinCompliance is the share of the window's points that must comply
	// for the target to be assured (default 1: every point).
	MinCompliance float64
}

// Validate checks a target's fields.
func (t Target) Validate() error {
	if t.Key.Metric == "" || t.Key.Device == "" {
		return fmt.Errorf("telemetry: target needs a metric and a device")
	}
	if _, ok := Info(t.Key.Metric); !ok {
		return fmt.Errorf("telemetry: unknown metric %q", t.Key.Metric)
	}
	switch t.Op {
	case Below, BelowOrEqual, Above, AboveOrEqual, Equal, NotEqual:
	default:
		return fmt.Errorf("telemetry: target comparison %q is not one of <, <=, >, >=, ==, !=", t.Op)
	}
	if t.Window <= 0 {
		return fmt.Errorf("telemetry: target window %s is not positive", t.Window)
	}
	if math.IsNaN(t.Bound) || math.IsInf(t.Bound, 0) {
		return fmt.Errorf("telemetry: target bound %g is not finite", t.Bound)
	}
	if t.MinCompliance < 0 || t.MinCompliance > 1 {
		return fmt.Errorf("telemetry: min compliance %g is outside 0..1", t.MinCompliance)
	}
	return nil
}

// complies reports whether v meets the target.
func (t Target) complies(v float64) bool {
	switch t.Op {
	case Below:
		return v < t.Bound
	case BelowOrEqual:
		return v <= t.Bound
	case Above:
		return v > t.Bound
	case AboveOrEqual:
		return v >= t.Bound
	case Equal:
		return v == t.Bound
	case NotEqual:
		return v != t.Bound
	}
	return false
}

// Status is the outcome of an assessment, named as the intent states are.
type Status string

// Assessment statuses.
const (
	Assured  Status = "assured"
	Drifted  Status = "drifted" // compliant now, but breach predicted within the horizon or compliance below the minimum
	Breached Status = "breached"
	NoData   Status = "no-data"
)

// Assessment is a target measured against its series.
type Assessment struct {
	Target Target    `json:"target"`
	At     time.Time `json:"at"`
	Status Status    `json:"status"`
	Reason string    `json:"reason"`
	// Value is the latest smoothed value (Holt's level).
	Value float64 `json:"value"`
	// Last is the latest raw value.
	Last float64 `json:"last"`
	// Deviation is how far the latest value is from the bound, positive
	// on the compliant side (bound - value for Below).
	Deviation float64 `json:"deviation"`
	// Compliance is the share of the window's points that complied.
	Compliance float64 `json:"compliance"`
	// TrendPerSec is the smoothed change per second (Holt's trend).
	TrendPerSec float64 `json:"trend_per_sec"`
	// TimeToBreach is the predicted time until the smoothed value crosses
	// the bound at the current trend; zero with BreachPredicted false when
	// the trend points away from it.
	TimeToBreach    time.Duration `json:"time_to_breach,omitempty"`
	BreachPredicted bool          `json:"breach_predicted"`
	Points          int           `json:"points"`
}

// Holt parameters: alpha weighs the newest value in the level, beta the
// newest slope in the trend.
const (
	holtAlpha = 0.5
	holtBeta  = 0.3
)

// Holt runs Holt's linear exponential smoothing over points with
// irregular spacing and returns the final level and trend (per second).
// The trend update divides by the elapsed time, so faster sampling near a
// target does not inflate it.
func Holt(pts []Point, alpha, beta float64) (level, trend float64) {
	if len(pts) == 0 {
		return 0, 0
	}
	level = pts[0].Value
	if len(pts) == 1 {
		return level, 0
	}
	// Seed the trend with the first interval's slope.
	if dt := pts[1].Time.Sub(pts[0].Time).Seconds(); dt > 0 {
		trend = (pts[1].Value - pts[0].Value) / dt
	}
	prev := pts[0].Time
	for _, p := range pts[1:] {
		dt := p.Time.Sub(prev).Seconds()
		if dt <= 0 {
			continue
		}
		prev = p.Time
		forecast := level + trend*dt
		nl := alpha*p.Value + (1-alpha)*forecast
		trend = beta*(nl-level)/dt + (1-beta)*trend
		level = nl
	}
	return level, trend
}

// Assess measures target t over the points of its series (oldest first)
// at time now.
func Assess(t Target, pts []Point, now time.Time) Assessment {
	a := Assessment{Target: t, At: now}
	horizon := t.Horizon
	if horizon <= 0 {
		horizon = t.Window
	}
	minc := t.MinCompliance
	if minc == 0 {
		minc = 1
	}
	from := now.Add(-t.Window)
	var win []Point
	for _, p := range pts {
		if !p.Time.Before(from) && !p.Time.After(now) {
			win = append(win, p)
		}
	}
	a.Points = len(win)
	if len(win) == 0 {
		a.Status, a.Reason = NoData, fmt.Sprintf("no %s sample from %s in the last %s", t.Key.Metric, t.Key.Device, t.Window)
		return a
	}
	ok := 0
	for _, p := range win {
		if t.complies(p.Value) {
			ok++
		}
	}
	a.Compliance = float64(ok) / float64(len(win))
	a.Value, a.TrendPerSec = Holt(win, holtAlpha, holtBeta)
	a.Last = win[len(win)-1].Value
	switch t.Op.rising() {
	case 1:
		a.Deviation = t.Bound - a.Last
	case -1:
		a.Deviation = a.Last - t.Bound
	default:
		a.Deviation = -math.Abs(a.Last - t.Bound)
		if t.Op == NotEqual {
			a.Deviation = -a.Deviation
		}
	}
	// Time to breach from the smoothed level and trend.
	dir := t.Op.rising()
	towards := (dir == 1 && a.TrendPerSec > 0) || (dir == -1 && a.TrendPerSec < 0)
	if towards && t.complies(a.Value) {
		secs := (t.Bound - a.Value) / a.TrendPerSec
		if secs > 0 && !math.IsInf(secs, 0) {
			a.TimeToBreach = time.Duration(secs * float64(time.Second))
			a.BreachPredicted = a.TimeToBreach <= horizon
		}
	}
	unit := ""
	if info, ok := Info(t.Key.Metric); ok {
		unit = " " + info.Unit
	}
	switch {
	case !t.complies(a.Last):
		a.Status = Breached
		a.Reason = fmt.Sprintf("%s on %s is %.4g%s, not %s %.4g%s", t.Key.Metric, keyPlace(t.Key), a.Last, unit, t.Op, t.Bound, unit)
	case a.Compliance < minc:
		a.Status = Drifted
		a.Reason = fmt.Sprintf("%s on %s complied %.0f%% of the last %s (needs %.0f%%)", t.Key.Metric, keyPlace(t.Key), 100*a.Compliance, t.Window, 100*minc)
	case a.BreachPredicted:
		a.Status = Drifted
		a.Reason = fmt.Sprintf("%s on %s is %.4g%s and rising towards %.4g%s: breach predicted in %s", t.Key.Metric, keyPlace(t.Key), a.Last, unit, t.Bound, unit, a.TimeToBreach.Round(time.Second))
		if dir == -1 {
			a.Reason = fmt.Sprintf("%s on %s is %.4g%s and falling towards %.4g%s: breach predicted in %s", t.Key.Metric, keyPlace(t.Key), a.Last, unit, t.Bound, unit, a.TimeToBreach.Round(time.Second))
		}
	default:
		a.Status = Assured
		a.Reason = fmt.Sprintf("%s on %s is %.4g%s, %s %.4g%s (%.0f%% of the last %s)", t.Key.Metric, keyPlace(t.Key), a.Last, unit, t.Op, t.Bound, unit, 100*a.Compliance, t.Window)
	}
	return a
}

func keyPlace(k Key) string {
	if k.Label == "" {
		return k.Device
	}
	return k.Device + " " + k.Label
}
