package adapters

import (
	"sync"
	"time"
)

// HealthState is a protocol's health on one device.
type HealthState uint8

// Health states.
const (
	Healthy  HealthState = iota // answering in time
	Degraded                    // answering slowly, or failed fewer than FailAfter times in a row
	Down                        // failed FailAfter times in a row, or an operation timed out
)

func (s HealthState) String() string {
	switch s {
	case Healthy:
		return "healthy"
	case Degraded:
		return "degraded"
	}
	return "down"
}

// HealthConfig tunes the health checker; zero fields take defaults.
type HealthConfig struct {
	Interval time.Duration // between probes of a protocol that is down or degraded; default 5s
	// KeepAlive: an open, healthy protocol that answered nothing (no
	// operation, no probe) for this long is probed; default 30s.
	KeepAlive       time.Duration
	ProbeTimeout    time.Duration // one probe; default 3s
	FailAfter       int           // consecutive failed probes that make a protocol down; default 3
	RecoverAfter    int           // consecutive good probes that bring a down protocol back; default 2
	DegradedLatency time.Duration // a slower probe means degraded; default 1s
}

func (c HealthConfig) withDefaults() HealthConfig {
	if c.Interval <= 0 {
		c.Interval = 5 * time.Second
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = 30 * time.Second
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = 3 * time.Second
	}
	if c.FailAfter <= 0 {
		c.FailAfter = 3
	}
	if c.RecoverAfter <= 0 {
		c.RecoverAfter = 2
	}
	if c.DegradedLatency <= 0 {
		c.DegradedLatency = time.Second
	}
	return c
}

// Health is the state machine of one protocol on one device: probes and
// operation outcomes go in, a state comes out. It is safe for concurrent use.
//
//	healthy --fail--> degraded --FailAfter fails--> down
//	healthy <--ok, fast-- degraded <--slow-- healthy
//	down --RecoverAfter consecutive oks--> healthy (or degraded if slow)
//	any --operation timed out / unreachable (Trip)--> down
type Health struct {
	cfg HealthConfig

	mu      sync.Mutex // protects following fields
	state   HealthState
	fails   int
	oks     int
	lastErr error
	lastRTT time.Duration
}

// NewHealth returns a healthy state machine.
func NewHealth(cfg HealthConfig) *Health { return &Health{cfg: cfg.withDefaults()} }

// State returns the current state.
func (h *Health) State() HealthState {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state
}

// LastError is the most recent failure, or nil.
func (h *Health) LastError() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastErr
}

// Observe records one probe or operation outcome and returns the new state.
func (h *Health) Observe(err error, rtt time.Duration) HealthState {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastRTT = rtt
	if err != nil {
		h.lastErr = err
		h.oks = 0
		h.fails++
		switch {
		case h.fails >= h.cfg.FailAfter:
			h.state = Down
		case h.state == Healthy:
			h.state = Degraded
		}
		return h.state
	}
	h.fails = 0
	h.oks++
	slow := rtt > h.cfg.DegradedLatency
	switch {
	case h.state == Down && h.oks < h.cfg.RecoverAfter:
	case slow:
		h.state = Degraded
	default:
		h.state = Healthy
	}
	return h.state
}

// Trip makes the protocol down at once: an operation timed out or the
// device became unreachable (R20: a NETCONF timeout switches protocols).
func (h *Health) Trip(err error) HealthState {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.state = Down
	h.lastErr = err
	h.oks = 0
	h.fails = h.cfg.FailAfter
	return h.state
}
