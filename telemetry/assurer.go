package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// Objective is one target an intent sets on one device, as the intent side
// resolves it (a slo intent's spec, an assure block of any intent, on each
// targeted device).
type Objective struct {
	Intent string
	Device string
	Metric string
	Op     Op
	Bound  float64
	Window time.Duration
	// Label narrows the objective to one series (an interface, a link
	// "device:interface", an application); "" holds it on every series of
	// the metric on the device.
	Label string
}

// Intents is what the assurer needs of the intent service: the objectives
// of every intent under assurance, and a way to set its assurance state.
type Intents interface {
	Objectives(ctx context.Context) ([]Objective, error)
	SetStatus(ctx context.Context, intent string, s Status, reason string) error
}

// EventType names an assurance event.
type EventType string

// Assurance events.
const (
	EventBreach          EventType = "assurance.breach"
	EventBreachPredicted EventType = "assurance.breach-predicted"
	EventRecovered       EventType = "assurance.recovered"
)

// Event is an assurance event for one intent.
type Event struct {
	Type   EventType `json:"type"`
	Intent string    `json:"intent"`
	Device string    `json:"device"`
	Metric string    `json:"metric"`
	Label  string    `json:"label,omitempty"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	// TimeToBreach is set on breach-predicted events.
	TimeToBreach time.Duration `json:"time_to_breach,omitempty"`
}

// AssurerConfig configures an Assurer.
type AssurerConfig struct {
	Store    *Store
	Adaptive *Adaptive // told the bounds, so series near them sample faster
	Intents  Intents
	// Every is the evaluation period (default 1s).
	Every time.Duration
	// OnEvent sees every assurance event (the signed event stream, Kafka).
	OnEvent func(Event)
	Log     *slog.Logger
	Now     func() time.Time
}

// Assurer compares the measured series with every intent's objectives,
// sets the intent's state (assured, drifted, breached) when it changes and
// fires events on breach, predicted breach and recovery.
type Assurer struct {
	cfg AssurerConfig

	mu     sync.Mutex // protects following fields
	status map[string]Status
	latest map[string][]Assessment
	bounds map[Key]bool // series told to the adaptive controller

	subMu   sync.Mutex // protects following fields
	subs    map[int]func(Event)
	nextSub int
}

// Subscribe has f see every assurance event (breach, breach predicted,
// recovered) after OnEvent, until the returned function is called. f runs
// on the evaluating goroutine, in event order: it must not block (hand the
// event to a channel or a queue of its own). Safe for concurrent use; the
// signed event stream subscribes here.
func (a *Assurer) Subscribe(f func(Event)) (unsubscribe func()) {
	a.subMu.Lock()
	defer a.subMu.Unlock()
	if a.subs == nil {
		a.subs = map[int]func(Event){}
	}
	id := a.nextSub
	a.nextSub++
	a.subs[id] = f
	return func() {
		a.subMu.Lock()
		delete(a.subs, id)
		a.subMu.Unlock()
	}
}

func (a *Assurer) publish(ev Event) {
	if a.cfg.OnEvent != nil {
		a.cfg.OnEvent(ev)
	}
	a.subMu.Lock()
	ids := make([]int, 0, len(a.subs))
	for id := range a.subs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	fs := make([]func(Event), 0, len(ids))
	for _, id := range ids {
		fs = append(fs, a.subs[id])
	}
	a.subMu.Unlock()
	for _, f := range fs {
		f(ev)
	}
}

// NewAssurer returns an assurer; Run starts it.
func NewAssurer(cfg AssurerConfig) (*Assurer, error) {
	if cfg.Store == nil || cfg.Intents == nil {
		return nil, errors.New("telemetry: assurer needs a Store and Intents")
	}
	if cfg.Every <= 0 {
		cfg.Every = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Assurer{cfg: cfg, status: map[string]Status{}, latest: map[string][]Assessment{}, bounds: map[Key]bool{}}, nil
}

// Run evaluates every period until ctx ends.
func (a *Assurer) Run(ctx context.Context) error {
	t := time.NewTicker(a.cfg.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := a.Evaluate(ctx); err != nil && ctx.Err() == nil {
				a.cfg.Log.Warn("assurance: evaluation failed", "err", err)
			}
		}
	}
}

// Evaluate runs one pass over every objective.
func (a *Assurer) Evaluate(ctx context.Context) error {
	objs, err := a.cfg.Intents.Objectives(ctx)
	if err != nil {
		return fmt.Errorf("assurance: objectives: %w", err)
	}
	now := a.cfg.Now()
	byIntent := map[string][]Assessment{}
	bounds := map[Key][]float64{}
	for _, o := range objs {
		for _, as := range a.assess(o, now) {
			byIntent[o.Intent] = append(byIntent[o.Intent], as)
			bounds[as.Target.Key] = append(bounds[as.Target.Key], o.Bound)
		}
	}
	a.updateBounds(bounds)
	ids := make([]string, 0, len(byIntent))
	for id := range byIntent {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var errs []error
	for _, id := range ids {
		if err := a.settle(ctx, id, byIntent[id], now); err != nil {
			errs = append(errs, err)
		}
	}
	a.mu.Lock()
	a.latest = byIntent
	for id := range a.status {
		if _, ok := byIntent[id]; !ok {
			delete(a.status, id) // withdrawn or no longer assured
		}
	}
	a.mu.Unlock()
	return errors.Join(errs...)
}

// assess measures one objective on every series it covers.
func (a *Assurer) assess(o Objective, now time.Time) []Assessment {
	var keys []Key
	if o.Label != "" {
		keys = []Key{{Metric: o.Metric, Device: o.Device, Label: o.Label}}
	} else {
		for _, r := range a.cfg.Store.Query(Query{Metric: o.Metric, Device: o.Device, Since: now}) {
			keys = append(keys, r.Key)
		}
		if len(keys) == 0 {
			keys = []Key{{Metric: o.Metric, Device: o.Device}}
		}
	}
	out := make([]Assessment, 0, len(keys))
	for _, k := range keys {
		t := Target{Key: k, Op: o.Op, Bound: o.Bound, Window: o.Window}
		out = append(out, Assess(t, a.cfg.Store.Points(k, now.Add(-o.Window)), now))
	}
	return out
}

// worst orders statuses: a breach anywhere breaches the intent.
func rank(s Status) int {
	switch s {
	case Breached:
		return 3
	case Drifted:
		return 2
	case Assured:
		return 1
	}
	return 0
}

func (a *Assurer) settle(ctx context.Context, id string, as []Assessment, now time.Time) error {
	worst := as[0]
	for _, x := range as[1:] {
		if rank(x.Status) > rank(worst.Status) {
			worst = x
		}
	}
	if worst.Status == NoData {
		return nil // nothing measured yet: the intent keeps its state
	}
	a.mu.Lock()
	prev := a.status[id]
	a.status[id] = worst.Status
	a.mu.Unlock()
	if prev == worst.Status {
		return nil
	}
	reason := worst.Reason
	if n := count(as, worst.Status); n > 1 {
		reason = fmt.Sprintf("%s (and %d more series %s)", reason, n-1, worst.Status)
	}
	if err := a.cfg.Intents.SetStatus(ctx, id, worst.Status, reason); err != nil {
		a.mu.Lock()
		a.status[id] = prev // try again on the next pass
		a.mu.Unlock()
		return fmt.Errorf("assurance: intent %s to %s: %w", id, worst.Status, err)
	}
	a.cfg.Log.Info("assurance", "intent", id, "status", worst.Status, "reason", reason)
	ev := Event{Intent: id, Device: worst.Target.Key.Device, Metric: worst.Target.Key.Metric, Label: worst.Target.Key.Label, Reason: reason, At: now}
	switch {
	case worst.Status == Breached:
		ev.Type = EventBreach
	case worst.Status == Drifted && worst.BreachPredicted:
		ev.Type, ev.TimeToBreach = EventBreachPredicted, worst.TimeToBreach
	case worst.Status == Assured && (prev == Breached || prev == Drifted):
		ev.Type = EventRecovered
	}
	if ev.Type != "" {
		a.publish(ev)
	}
	return nil
}

func count(as []Assessment, s Status) int {
	n := 0
	for _, x := range as {
		if x.Status == s {
			n++
		}
	}
	return n
}

func (a *Assurer) updateBounds(bounds map[Key][]float64) {
	if a.cfg.Adaptive == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k := range a.bounds {
		if _, ok := bounds[k]; !ok {
			a.cfg.Adaptive.SetTargets(k)
			delete(a.bounds, k)
		}
	}
	for k, b := range bounds {
		a.cfg.Adaptive.SetTargets(k, b...)
		a.bounds[k] = true
	}
}

// Assessments returns the latest assessments of an intent's objectives.
func (a *Assurer) Assessments(intent string) []Assessment {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Assessment(nil), a.latest[intent]...)
}

// ParseOp reads a comparison as intents write it.
func ParseOp(s string) (Op, error) {
	switch op := Op(strings.TrimSpace(s)); op {
	case Below, BelowOrEqual, Above, AboveOrEqual, Equal, NotEqual:
		return op, nil
	}
	return "", fmt.Errorf("telemetry: comparison %q is not one of <, <=, >, >=, ==, !=", s)
}
