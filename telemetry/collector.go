package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/netagent/netagent/adapters"
)

// Monitorer is what the collector needs of a device: the adapters' Monitor.
type Monitorer interface {
	Monitor(ctx context.Context, sub adapters.Subscription, emit func(adapters.Update) error) error
}

// Devices opens the device a collector monitors. The agent gives the
// collector a pool of its own, so collection never queues behind a commit
// on the sessions configuration uses.
type Devices interface {
	Device(ctx context.Context, name string) (Monitorer, error)
}

// CollectorConfig configures a Collector.
type CollectorConfig struct {
	Devices  Devices
	Names    []string // the devices to collect from
	Store    *Store
	Adaptive *Adaptive
	Log      *slog.Logger
	// Paths to subscribe to; default SubscriptionPaths.
	Paths []string
	// OnSample, if set, sees every stored sample (assurance, export).
	OnSample func(Sample)
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// SetupRetry and SetupRetryMax bound the wait before another try at
	// a device that could not be opened (every protocol refused or timed
	// out in set-up): from SetupRetry, doubling up to SetupRetryMax,
	// jittered, never given up. Defaults 1s and 1m.
	SetupRetry, SetupRetryMax time.Duration
}

// SubscriptionPaths are the subtrees a collector asks every device for:
// the normaliser picks the metrics out of them, whatever the protocol
// (gNMI Subscribe, NETCONF get, CLI show).
var SubscriptionPaths = []string{"/system", "/components", "/interfaces/interface/state", "/lab"}

// Collector streams every device's state into the store, one goroutine per
// device, resubscribing when the adaptive interval changes and after any
// error (a device restart, a link flap, a protocol failover) within one
// interval.
type Collector struct {
	cfg  CollectorConfig
	norm *Normalizer

	mu    sync.Mutex // protects following fields
	stats map[string]*deviceStats
}

// deviceStats is one device's statistics with a lock of its own, so the
// collectors of different devices do not contend.
type deviceStats struct {
	mu sync.Mutex // protects following fields
	s  DeviceStats
}

// DeviceStats is the collector's view of one device.
type DeviceStats struct {
	Device   string        `json:"device"`
	Interval time.Duration `json:"interval"`
	Samples  uint64        `json:"samples"`
	Drops    uint64        `json:"drops"`
	// DropReasons counts the drops by reason (malformed, not_a_number,
	// unknown_status, out_of_range, counter_time, stale); zeros left out.
	DropReasons map[string]uint64 `json:"drop_reasons,omitempty"`
	// ByReason is DropReasons as an array indexed by DropReason.
	ByReason DropCounts `json:"-"`
	// LastDrop describes the latest value dropped: its series, reason and
	// detail.
	LastDrop    string        `json:"last_drop,omitempty"`
	Errors      uint64        `json:"errors"`
	LastError   string        `json:"last_error,omitempty"`
	LastSample  time.Time     `json:"last_sample"`
	Lag         time.Duration `json:"lag"` // last sample's arrival minus its device timestamp
	Resubscribe uint64        `json:"resubscribes"`
	// Decode is how the last subscription was decoded: "wire" (gNMI
	// messages straight into the store) or "generic" (the adapters'
	// updates).
	Decode string `json:"decode"`
}

// NewCollector returns a collector; Run starts it.
func NewCollector(cfg CollectorConfig) (*Collector, error) {
	if cfg.Devices == nil || cfg.Store == nil {
		return nil, errors.New("telemetry: collector needs Devices and a Store")
	}
	if cfg.Adaptive == nil {
		cfg.Adaptive = NewAdaptive(AdaptiveOptions{})
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Paths) == 0 {
		cfg.Paths = SubscriptionPaths
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SetupRetry <= 0 {
		cfg.SetupRetry = time.Second
	}
	if cfg.SetupRetryMax <= 0 {
		cfg.SetupRetryMax = time.Minute
	}
	cfg.SetupRetryMax = max(cfg.SetupRetryMax, cfg.SetupRetry)
	c := &Collector{cfg: cfg, norm: NewNormalizer(), stats: map[string]*deviceStats{}}
	c.norm.MinRateSpan = minRateSpan(cfg.Adaptive.Options())
	for _, n := range cfg.Names {
		c.stats[n] = &deviceStats{s: DeviceStats{Device: n, Interval: cfg.Adaptive.Options().Base}}
	}
	return c, nil
}

// Normalizer returns the collector's normaliser (its drop counts).
func (c *Collector) Normalizer() *Normalizer { return c.norm }

// Run collects until ctx ends, then returns nil once every device's
// goroutine stopped.
func (c *Collector) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	// Starts are spread over one base interval (at most 10 s) so that a
	// thousand devices do not all open their sessions at once, and their
	// samples arrive evenly.
	spread := min(c.cfg.Adaptive.Options().Base, 10*time.Second)
	for i, name := range c.cfg.Names {
		delay := spread * time.Duration(i) / time.Duration(len(c.cfg.Names))
		g.Go(func() error {
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-gctx.Done():
				return nil
			case <-t.C:
			}
			c.device(gctx, name)
			return nil
		})
	}
	return g.Wait()
}

// activer is what a failover device (adapters.Failover) tells of itself:
// the protocol serving it now.
type activer interface{ Active() string }

// errResubscribe ends a subscription whose interval is out of date.
var errResubscribe = errors.New("telemetry: interval changed")

// Retries: a subscription that broke after delivering is retried quickly
// (from retryMin, doubling up to the device's interval) so a restart or
// failover leaves no gap longer than one interval; a device that cannot
// be opened (every protocol refused or timed out in set-up) is retried
// from SetupRetry, doubling up to SetupRetryMax, for as long as the
// collector runs. Every wait is jittered (half to all of the step) so
// devices that failed together do not retry together.
const retryMin = 250 * time.Millisecond

// errOpen marks a failure to open the device (no session could be set up).
type errOpen struct{ err error }

func (e *errOpen) Error() string { return e.err.Error() }
func (e *errOpen) Unwrap() error { return e.err }

func (c *Collector) device(ctx context.Context, name string) {
	backoff := time.Duration(0)
	// The wire-level ingester keeps its interned paths and counter state
	// across subscriptions of this device.
	ing := NewIngester(name, c.cfg.Store)
	ing.MinRateSpan = c.norm.MinRateSpan
	for ctx.Err() == nil {
		iv := c.cfg.Adaptive.DeviceInterval(name)
		c.setInterval(name, iv)
		before := c.samples(name)
		err := c.subscribe(ctx, name, iv, ing)
		if ctx.Err() != nil {
			return
		}
		if c.samples(name) != before {
			backoff = 0 // it delivered: a fresh failure, retried quickly
		}
		if errors.Is(err, errResubscribe) {
			c.bump(name, func(s *DeviceStats) { s.Resubscribe++ })
			backoff = 0
			continue
		}
		var oe *errOpen
		if errors.As(err, &oe) {
			backoff = min(max(2*backoff, c.cfg.SetupRetry), c.cfg.SetupRetryMax)
		} else {
			backoff = min(max(2*backoff, retryMin), iv)
		}
		wait := jitter(backoff)
		if err != nil {
			c.bump(name, func(s *DeviceStats) { s.Errors++; s.LastError = err.Error() })
			c.cfg.Log.Warn("telemetry: collection failed; retrying", "device", name, "err", err, "retry_in", wait.Round(time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// minRateSpan is half the shortest interval the adaptive controller asks
// for: two readings of a counter closer than that come from one
// subscription's last sample and its replacement's first (an interval
// change, a failover), not from sampling.
func minRateSpan(o AdaptiveOptions) time.Duration { return o.Min / 2 }

// jitter returns a duration between half of d and d.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func (c *Collector) subscribe(ctx context.Context, name string, iv time.Duration, ing *Ingester) error {
	dev, err := c.cfg.Devices.Device(ctx, name)
	if err != nil {
		return &errOpen{fmt.Errorf("telemetry: open %s: %w", name, err)}
	}
	sub := adapters.Subscription{Paths: c.cfg.Paths, Mode: adapters.ModeSample, Interval: iv}
	// served is the protocol serving a failover device when its raw stream
	// was refused; when gNMI takes over (back after a failover), the
	// generic subscription below ends so that the next one decodes on the
	// wire again, without waiting for an interval change.
	var act activer
	var served string
	if rm, ok := dev.(adapters.RawMonitorer); ok {
		// gNMI: decode the wire messages straight into the store.
		// Per message, not per sample: the statistics and the device's
		// interval are settled once after each SubscribeResponse.
		var samples uint64
		var last time.Time
		ing.OnSample = func(s Sample) {
			c.cfg.Adaptive.Observe(s)
			samples++
			last = s.Time
			if c.cfg.OnSample != nil {
				c.cfg.OnSample(s)
			}
		}
		drops0 := ing.Drops()
		c.bump(name, func(st *DeviceStats) { st.Decode = "wire" })
		err := rm.MonitorRaw(ctx, sub, func(msg []byte) error {
			samples = 0
			_, _, err := ing.Ingest(msg)
			d := ing.Drops()
			if err != nil || d != drops0 || samples > 0 {
				now := c.cfg.Now()
				c.bump(name, func(st *DeviceStats) {
					if err != nil {
						st.Drops++
						st.ByReason[DropMalformed]++
					}
					for r := range d {
						st.Drops += d[r] - drops0[r]
						st.ByReason[r] += d[r] - drops0[r]
					}
					if d != drops0 {
						st.LastDrop = ing.LastDrop()
					}
					if err != nil {
						st.LastDrop = err.Error()
					}
					if samples > 0 {
						st.Samples += samples
						st.LastSample, st.Lag = now, now.Sub(last)
					}
				})
				drops0 = d
			}
			if samples > 0 {
				if want := c.cfg.Adaptive.DeviceInterval(name); want*2 <= iv || want >= iv+iv/2 {
					return errResubscribe
				}
			}
			return nil
		})
		if !errors.Is(err, adapters.ErrUnsupported) {
			return err
		}
		if a, ok := dev.(activer); ok {
			act, served = a, a.Active()
		}
		// No protocol of the device streams raw messages now: the
		// generic path below.
	}
	c.bump(name, func(st *DeviceStats) { st.Decode = "generic" })
	return dev.Monitor(ctx, sub, func(u adapters.Update) error {
		// Only gNMI has a raw stream: another switch (NETCONF degraded
		// by a slow probe, CLI next) is the failover's to follow, and
		// it leaves a stream that delivers where it is.
		if act != nil && act.Active() != served && act.Active() == adapters.GNMI {
			return errResubscribe
		}
		if u.Sync || u.Deleted {
			return nil
		}
		at := u.Time
		now := c.cfg.Now()
		if at.IsZero() {
			at = now
		}
		s, ok, err := c.norm.Normalize(name, u.Path, at, u.Value)
		if err == nil && ok {
			err = c.cfg.Store.Add(s)
		}
		if err != nil {
			r := DropReasonOf(err)
			c.bump(name, func(st *DeviceStats) { st.Drops++; st.ByReason[r]++; st.LastDrop = err.Error() })
			c.cfg.Log.Debug("telemetry: dropped", "device", name, "path", u.Path, "err", err)
			return nil
		}
		if !ok {
			return nil
		}
		c.cfg.Adaptive.Observe(s)
		c.bump(name, func(st *DeviceStats) { st.Samples++; st.LastSample = now; st.Lag = now.Sub(at) })
		if c.cfg.OnSample != nil {
			c.cfg.OnSample(s)
		}
		// Resubscribe when the device's interval moved by half or more.
		if want := c.cfg.Adaptive.DeviceInterval(name); want*2 <= iv || want >= iv+iv/2 {
			return errResubscribe
		}
		return nil
	})
}

func (c *Collector) samples(name string) (n uint64) {
	c.bump(name, func(s *DeviceStats) { n = s.Samples })
	return n
}

func (c *Collector) setInterval(name string, iv time.Duration) {
	c.bump(name, func(s *DeviceStats) { s.Interval = iv })
}

func (c *Collector) bump(name string, f func(*DeviceStats)) {
	c.mu.Lock()
	ds := c.stats[name]
	if ds == nil {
		ds = &deviceStats{s: DeviceStats{Device: name}}
		c.stats[name] = ds
	}
	c.mu.Unlock()
	ds.mu.Lock()
	f(&ds.s)
	ds.mu.Unlock()
}

// Stats returns a copy of every device's statistics.
func (c *Collector) Stats() []DeviceStats {
	c.mu.Lock()
	dss := make([]*deviceStats, 0, len(c.cfg.Names))
	for _, n := range c.cfg.Names {
		if ds := c.stats[n]; ds != nil {
			dss = append(dss, ds)
		}
	}
	c.mu.Unlock()
	out := make([]DeviceStats, 0, len(dss))
	for _, ds := range dss {
		ds.mu.Lock()
		s := ds.s
		ds.mu.Unlock()
		s.DropReasons = s.ByReason.Map()
		out = append(out, s)
	}
	return out
}

// DevicesFunc adapts a function (a pool's Device method, say) to Devices.
type DevicesFunc func(ctx context.Context, name string) (Monitorer, error)

// Device implements Devices.
func (f DevicesFunc) Device(ctx context.Context, name string) (Monitorer, error) { return f(ctx, name) }

// Knows reports whether the collector collects from device name.
func (c *Collector) Knows(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.stats[name]
	return ok
}
