package event

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netagent/netagent/internal/sse"
)

// Event types the agent publishes.
const (
	TypeTxnProgress = "txn.progress"      // a transaction's state or a device's step
	TypeTxnOutcome  = "txn.outcome"       // a transaction's outcome
	TypeIntentState = "intent.state"      // an intent's lifecycle step
	TypeFailover    = "protocol.failover" // a device's serving protocol changed
	TypeConfigDrift = "config.drift"      // a device no longer holds an intent's configuration
	TypeLinkDown    = "link.down"         // an interface went operationally down
	TypeLinkUp      = "link.up"           // an interface came back up
)

// Item is one signed event in a Bus: a local sequence number (the SSE
// event id), the envelope's type and the fields subscriptions filter on,
// read from its params (device, devices, intent).
type Item struct {
	ID      int64
	Type    string
	Source  string
	Intent  string
	Devices []string
	Signed  *Signed
}

// Filter selects events: each non-empty field must match. Types match a
// type exactly or as a dotted prefix ("txn" matches "txn.outcome").
type Filter struct {
	Types  []string
	Device string
	Intent string
}

// Match reports whether it selects it.
func (f Filter) Match(it Item) bool {
	if len(f.Types) > 0 && !slices.ContainsFunc(f.Types, func(t string) bool { return it.Type == t || strings.HasPrefix(it.Type, t+".") }) {
		return false
	}
	if f.Device != "" && !slices.Contains(it.Devices, f.Device) {
		return false
	}
	if f.Intent != "" && it.Intent != f.Intent {
		return false
	}
	return true
}

// keepItems is how many recent events a Bus keeps for late subscribers
// (Last-Event-ID).
const keepItems = 1024

// Bus signs the agent's events and hands them to subscribers (Follow, the
// SSE handler) and sinks (Kafka). Events of peer agents, verified, are
// added with Add and keep their signature. Safe for concurrent use;
// Publish never blocks on a subscriber.
type Bus struct {
	signer *Signer
	now    func() time.Time

	mu      sync.Mutex // protects following fields
	items   []Item     // the last keepItems, oldest first
	next    int64
	changed chan struct{} // closed and replaced on every event
	sinks   []func(Item)
	subs    int // followers now
}

// NewBus returns a bus signing with signer.
func NewBus(signer *Signer) *Bus {
	return &Bus{signer: signer, now: time.Now, changed: make(chan struct{})}
}

// Sink makes fn receive every event after it is added; fn must not block
// (queue and drop instead).
func (b *Bus) Sink(fn func(Item)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sinks = append(b.sinks, fn)
}

// Publish signs an event of typ about subject and adds it. params should
// be a map or struct whose JSON may carry "device", "devices" and
// "intent", which subscriptions filter on.
func (b *Bus) Publish(typ, subject string, params any) error {
	s, err := b.signer.Sign(typ, subject, params, b.now())
	if err != nil {
		return err
	}
	var env Envelope
	if err := json.Unmarshal(s.Envelope, &env); err != nil {
		return err
	}
	b.Add(s, &env)
	return nil
}

// Add adds a signed event whose envelope env was verified (a peer's).
func (b *Bus) Add(s *Signed, env *Envelope) {
	it := Item{Type: env.Type, Source: env.Source, Signed: s}
	var p struct {
		Device  string   `json:"device"`
		Devices []string `json:"devices"`
		Intent  string   `json:"intent"`
	}
	if len(env.Params) > 0 {
		_ = json.Unmarshal(env.Params, &p)
	}
	it.Intent, it.Devices = p.Intent, p.Devices
	if p.Device != "" && !slices.Contains(it.Devices, p.Device) {
		it.Devices = append(it.Devices, p.Device)
	}
	b.mu.Lock()
	b.next++
	it.ID = b.next
	b.items = append(b.items, it)
	if len(b.items) > keepItems {
		b.items = slices.Delete(b.items, 0, len(b.items)-keepItems)
	}
	close(b.changed)
	b.changed = make(chan struct{})
	sinks := b.sinks
	b.mu.Unlock()
	for _, fn := range sinks {
		fn(it)
	}
}

// Follow calls fn with every event f selects, after the local sequence
// after (negative: only events added from now on), until ctx ends or fn
// fails.
func (b *Bus) Follow(ctx context.Context, f Filter, after int64, fn func(Item) error) error {
	b.mu.Lock()
	if after < 0 {
		after = b.next
	}
	b.subs++
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.subs--
		b.mu.Unlock()
	}()
	for {
		b.mu.Lock()
		var todo []Item
		for _, it := range b.items {
			if it.ID > after {
				todo = append(todo, it)
			}
		}
		ch := b.changed
		b.mu.Unlock()
		for _, it := range todo {
			after = it.ID
			if !f.Match(it) {
				continue
			}
			if err := fn(it); err != nil {
				return err
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// subscribers reports how many Follow calls are running.
func (b *Bus) subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.subs
}

// ParseFilter reads ?type=&device=&intent= (type comma-separated).
func ParseFilter(q map[string][]string) (Filter, error) {
	var f Filter
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for _, t := range strings.Split(get("type"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			if len(t) > 64 || strings.ContainsAny(t, " \t\n") {
				return f, fmt.Errorf("type: %q is not an event type", t)
			}
			f.Types = append(f.Types, t)
		}
	}
	f.Device, f.Intent = get("device"), get("intent")
	if len(f.Device) > 128 || len(f.Intent) > 128 {
		return f, errors.New("device and intent: at most 128 characters")
	}
	return f, nil
}

// ServeHTTP streams the events ?type=&device=&intent= select as
// Server-Sent Events: id the local sequence (Last-Event-ID resumes among
// the last 1,024), event the type, data the signed envelope
// {"envelope":..., "signature":...} for the receiver to verify. It runs
// until the client goes away.
func (b *Bus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		problem(w, r, http.StatusBadRequest, err.Error())
		return
	}
	after := int64(-1)
	if s := r.Header.Get("Last-Event-ID"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			problem(w, r, http.StatusBadRequest, fmt.Sprintf("Last-Event-ID %q is not an event id", s))
			return
		}
		after = n
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		problem(w, r, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	if after < 0 {
		// From now on: fixed before the answer starts, so a client that
		// has the headers misses nothing published after them.
		b.mu.Lock()
		after = b.next
		b.mu.Unlock()
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, ": netagent events\n\n")
	fl.Flush()
	_ = b.Follow(r.Context(), f, after, func(it Item) error {
		data, err := json.Marshal(it.Signed)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", it.ID, it.Type, data); err != nil {
			return err
		}
		fl.Flush()
		return nil
	})
}

func problem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "/problems/malformed-request", "title": "Malformed request", "status": status, "detail": detail, "instance": r.URL.Path})
}

// Resume makes the next sequence number start above seq: an agent that
// restarts resumes above what it sent before (a receiver refuses a
// sequence it has seen), e.g. from the clock in microseconds.
func (s *Signer) Resume(seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq > s.seq {
		s.seq = seq
	}
}

// ReadSigned reads a Server-Sent Events stream of signed events (what
// Bus.ServeHTTP writes) and calls fn with each event's id and message, in
// order, until the stream ends or fn fails. It does not verify: give each
// message to a Verifier.
func ReadSigned(r io.Reader, fn func(id int64, m *Signed) error) error {
	return sse.Read(r, 1<<20, func(f sse.Frame) error {
		var id int64
		if f.ID != "" {
			n, err := strconv.ParseInt(f.ID, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: id %q", ErrMalformed, f.ID)
			}
			id = n
		}
		var m Signed
		dec := json.NewDecoder(bytes.NewReader(f.Data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return fmt.Errorf("%w: event %d: %w", ErrMalformed, id, err)
		}
		return fn(id, &m)
	})
}
