package knowledge

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Recorder writes observations to a Base off the critical path: Submit
// queues and returns at once, Run writes. The goroutine running Run belongs
// to the caller (the agent), which stops it by ending its ctx; Run then
// writes what is queued (for at most DrainFor) and returns.
type Recorder struct {
	base *Base
	log  *slog.Logger
	in   chan observation
	// DrainFor bounds the final writes after ctx ends; default 2s.
	DrainFor time.Duration

	dropped  atomic.Uint64
	recorded atomic.Uint64

	mu    sync.Mutex // protects following fields
	after []func(Observation, Sighting)
}

type observation struct {
	o       Observation
	outcome *outcome
}

type outcome struct {
	caseID string
	worked bool
}

// NewRecorder returns a recorder over b holding up to buffer observations
// (default 1024). A nil logger discards logs.
func NewRecorder(b *Base, log *slog.Logger, buffer int) *Recorder {
	if buffer <= 0 {
		buffer = 1024
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{base: b, log: log, in: make(chan observation, buffer), DrainFor: 2 * time.Second}
}

// Submit queues o for recording. It never blocks: when the buffer is full
// the observation is dropped, logged and counted.
func (r *Recorder) Submit(o Observation) {
	if o.At.IsZero() {
		o.At = time.Now()
	}
	select {
	case r.in <- observation{o: o}:
	default:
		r.dropped.Add(1)
		r.log.Warn("knowledge: recorder full, failure not recorded", "device", o.Device, "intent", o.Intent)
	}
}

// SubmitOutcome queues the news that a case's fix worked (or did not).
// Like Submit, it never blocks.
func (r *Recorder) SubmitOutcome(caseID string, worked bool) {
	select {
	case r.in <- observation{outcome: &outcome{caseID, worked}}:
	default:
		r.dropped.Add(1)
	}
}

// OnRecorded registers fn to be called, in Run's goroutine, after each
// observation is stored.
func (r *Recorder) OnRecorded(fn func(Observation, Sighting)) {
	r.mu.Lock()
	r.after = append(r.after, fn)
	r.mu.Unlock()
}

// Dropped and Recorded count observations since the recorder was made.
func (r *Recorder) Dropped() uint64  { return r.dropped.Load() }
func (r *Recorder) Recorded() uint64 { return r.recorded.Load() }

// Run records queued observations until ctx ends, then drains the queue.
func (r *Recorder) Run(ctx context.Context) error {
	for {
		select {
		case ob := <-r.in:
			r.write(ctx, ob)
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.DrainFor)
			defer cancel()
			for {
				select {
				case ob := <-r.in:
					r.write(dctx, ob)
				default:
					return nil
				}
				if dctx.Err() != nil {
					return nil
				}
			}
		}
	}
}

func (r *Recorder) write(ctx context.Context, ob observation) {
	// A write in progress finishes even when ctx ends (Run is stopping):
	// the drain bounds how long.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if ob.outcome != nil {
		if err := r.base.Outcome(ctx, ob.outcome.caseID, ob.outcome.worked); err != nil {
			r.log.Error("knowledge: record outcome", "case", ob.outcome.caseID, "err", err)
		}
		return
	}
	o := ob.o
	s, err := r.base.Record(ctx, o)
	if err != nil {
		r.log.Error("knowledge: record failure", "device", o.Device, "intent", o.Intent, "err", err)
		return
	}
	r.recorded.Add(1)
	c, _ := r.base.Get(ctx, s.Case)
	attrs := []any{"case", s.Case, "new_case", s.New, "seen", s.Seen, "device", o.Device, "protocol", o.Protocol,
		"phase", o.Phase, "tag", o.Tag, "intent", o.Intent, "service", o.Service}
	if c != nil {
		attrs = append(attrs, "error_type", c.ErrorType, "impact_devices", c.Impact.DeviceCount,
			"impact_intents", c.Impact.IntentCount, "suggested_fix", c.Fix)
	}
	r.log.Warn("failure recorded", attrs...)
	r.mu.Lock()
	fns := append([]func(Observation, Sighting){}, r.after...)
	r.mu.Unlock()
	for _, fn := range fns {
		fn(o, s)
	}
}
