package fleet

import (
	"context"
	"maps"
	"sort"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
)

// Fleet is the adapters' inventory and pool, seen by the intent service,
// with a configuration cache per device (cache.go).
type Fleet struct {
	pool   *adapters.Pool
	infos  []intent.DeviceInfo
	caches map[string]*cache // one per inventory device, fixed at New
}

var (
	_ intent.Inventory = (*Fleet)(nil)
	_ intent.Devices   = (*Fleet)(nil)
)

// New returns the fleet of inv's devices, opened through pool.
// Reads of a device's configuration stay fresh for DefaultCacheTTL (see
// NewWithTTL).
func New(inv *adapters.Inventory, pool *adapters.Pool) *Fleet {
	return NewWithTTL(inv, pool, DefaultCacheTTL)
}

// NewWithTTL is New with reads fresh for ttl (0: DefaultCacheTTL; < 0: no
// cache, every read goes to the device).
func NewWithTTL(inv *adapters.Inventory, pool *adapters.Pool, ttl time.Duration) *Fleet {
	if ttl == 0 {
		ttl = DefaultCacheTTL
	}
	f := &Fleet{pool: pool, caches: map[string]*cache{}}
	for _, name := range inv.Names() {
		spec, _ := inv.Device(name)
		f.infos = append(f.infos, intent.DeviceInfo{Name: name, Labels: maps.Clone(spec.Labels)})
		f.caches[name] = newCache(max(ttl, 0))
	}
	sort.Slice(f.infos, func(i, j int) bool { return f.infos[i].Name < f.infos[j].Name })
	return f
}

// Devices lists the inventory's devices, sorted by name.
func (f *Fleet) Devices() []intent.DeviceInfo { return f.infos }

// Device returns the pooled device called name, opening it on first use.
// It is an intent.Limiter: the leaves its serving protocol's platform
// cannot set come from the adapters' capabilities.
func (f *Fleet) Device(ctx context.Context, name string) (intent.Device, error) {
	d, err := f.pool.Device(ctx, name)
	if err != nil {
		return nil, err
	}
	c, ok := f.caches[name]
	if !ok {
		return d, nil
	}
	return device{Failover: d, c: c}, nil
}

// Invalidate forgets what the agent read of device's configuration and
// gives it a new version: call it on any out-of-band change seen (a
// notification, drift found by telemetry). Plans computed before it are
// computed again before they run.
func (f *Fleet) Invalidate(device string) {
	if c, ok := f.caches[device]; ok {
		c.invalidate()
	}
}

var _ intent.Limiter = device{}

// Unsupported implements intent.Limiter.
func (d device) Unsupported() map[string]string { return d.Capabilities().Unsupported }
