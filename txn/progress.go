package txn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Event is one progress event of a transaction (R13). Seq counts from 1
// per transaction; SSE uses it as the event id, so Last-Event-ID resumes.
type Event struct {
	Seq  int64  `json:"seq"`
	Txn  string `json:"txn"`
	Type string `json:"type"` // snapshot, state, step, outcome
	// Intent links the transaction's intent, when it has one.
	Intent string `json:"intent,omitempty"`
	State  State  `json:"state,omitempty"`
	Device string `json:"device,omitempty"`
	// Step is a device's step: prepared, committed, verified, confirmed,
	// aborted, rolled-back, reverted, redone.
	Step string `json:"step,omitempty"`
	// Percent is the share of every device's steps done so far; it never
	// decreases and is 100 in the outcome.
	Percent int       `json:"percent"`
	Done    int       `json:"done"`
	Total   int       `json:"total"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
	// Devices is each device's last step (snapshot only).
	Devices map[string]string `json:"devices,omitempty"`
	// Result is the outcome (outcome only).
	Result *Result `json:"result,omitempty"`
}

// stepsPerDevice: prepared, committed, verified, confirmed.
const stepsPerDevice = 4

// keepStreams is how many finished transactions' events stay in memory.
const keepStreams = 64

// hub keeps each recent transaction's events for its subscribers.
type hub struct {
	// publish, if set, receives every event (Config.Events); it must not block.
	publish func(Event)

	mu       sync.Mutex // protects following fields
	streams  map[string]*stream
	finished []string // oldest first
}

type stream struct {
	intent  string
	events  []Event
	done    int
	total   int
	state   State
	last    map[string]string
	over    bool
	changed chan struct{} // closed and replaced on every event
}

func newHub() *hub { return &hub{streams: map[string]*stream{}} }

func (h *hub) start(id, intent string, devices []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &stream{intent: intent, total: stepsPerDevice * len(devices), last: map[string]string{}, changed: make(chan struct{})}
	for _, d := range devices {
		s.last[d] = "pending"
	}
	h.streams[id] = s
	h.appendLocked(id, s, Event{Type: "state", State: StatePreparing, Message: "transaction started"})
}

// appendLocked stamps and appends e; h.mu is held.
func (h *hub) appendLocked(id string, s *stream, e Event) {
	e.Seq = int64(len(s.events) + 1)
	e.Txn, e.Intent = id, s.intent
	e.Done, e.Total = s.done, s.total
	if s.total > 0 {
		e.Percent = s.done * 100 / s.total
	}
	if e.Type == "outcome" {
		e.Percent = 100
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	s.events = append(s.events, e)
	if h.publish != nil {
		h.publish(e)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

func (h *hub) state(id string, st State) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.streams[id]
	if s == nil || s.over || s.state == st {
		return
	}
	s.state = st
	h.appendLocked(id, s, Event{Type: "state", State: st})
}

// step records a device's step; the forward steps count towards percent.
func (h *hub) step(id, device, step string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.streams[id]
	if s == nil || s.over {
		return
	}
	switch step {
	case "prepared", "committed", "verified", "confirmed":
		if s.done < s.total {
			s.done++
		}
	}
	s.last[device] = step
	h.appendLocked(id, s, Event{Type: "step", State: s.state, Device: device, Step: step})
}

func (h *hub) finish(res *Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.streams[res.ID]
	if s == nil {
		return
	}
	s.state = res.State
	h.appendLocked(res.ID, s, Event{Type: "outcome", State: res.State, Message: res.Reason, Result: res})
	s.over = true
	h.finished = append(h.finished, res.ID)
	for len(h.finished) > keepStreams {
		delete(h.streams, h.finished[0])
		h.finished = h.finished[1:]
	}
}

// Follow calls fn with a transaction's events until its outcome (or ctx
// ends). With after == 0 the first event is a snapshot of the current
// state (percent, each device's last step); with after > 0 the events
// after that sequence number are replayed first. It reports false when the
// transaction is not in memory (unknown, or finished long ago: read it
// with Get). fn returning an error stops it with that error.
func (c *Coordinator) Follow(ctx context.Context, id string, after int64, fn func(Event) error) (bool, error) {
	h := c.hub
	h.mu.Lock()
	s := h.streams[id]
	if s == nil {
		h.mu.Unlock()
		return false, nil
	}
	next := int(after)
	var first *Event
	if after <= 0 || after > int64(len(s.events)) {
		// A snapshot stands for everything so far.
		last := s.events[len(s.events)-1]
		snap := Event{Seq: last.Seq, Txn: id, Intent: s.intent, Type: "snapshot", State: s.state, Done: s.done, Total: s.total,
			Percent: last.Percent, At: time.Now().UTC(), Devices: make(map[string]string, len(s.last))}
		for d, st := range s.last {
			snap.Devices[d] = st
		}
		if last.Type == "outcome" {
			snap = last
		}
		first = &snap
		next = len(s.events)
	}
	h.mu.Unlock()
	if first != nil {
		if err := fn(*first); err != nil {
			return true, err
		}
		if first.Type == "outcome" {
			return true, nil
		}
	}
	for {
		h.mu.Lock()
		batch := append([]Event(nil), s.events[next:]...)
		ch := s.changed
		over := s.over
		h.mu.Unlock()
		for _, e := range batch {
			if err := fn(e); err != nil {
				return true, err
			}
		}
		next += len(batch)
		if over && len(batch) == 0 {
			return true, nil
		}
		if over {
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return true, ctx.Err()
		}
	}
}

func (h *hub) has(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.streams[id] != nil
}

func (h *hub) percent(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.streams[id]
	if s == nil || len(s.events) == 0 {
		return 0
	}
	return s.events[len(s.events)-1].Percent
}

// decodeEvent reads one event strictly: JSON, known types only.
func decodeEvent(b []byte, e *Event) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(e); err != nil {
		return fmt.Errorf("event: %w", err)
	}
	if dec.More() {
		return errors.New("event: data after the JSON value")
	}
	switch e.Type {
	case "snapshot", "state", "step", "outcome":
	default:
		return fmt.Errorf("event: unknown type %q", e.Type)
	}
	if e.Percent < 0 || e.Percent > 100 {
		return fmt.Errorf("event: percent %d out of range", e.Percent)
	}
	return nil
}
