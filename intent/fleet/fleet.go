package fleet

import (
	"context"
	"maps"
	"sort"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
)

// Fleet is the adapters' inventory and pool, seen by the intent service.
type Fleet struct {
	pool  *adapters.Pool
	infos []intent.DeviceInfo
}

var (
	_ intent.Inventory = (*Fleet)(nil)
	_ intent.Devices   = (*Fleet)(nil)
)

// New returns the fleet of inv's devices, opened through pool.
func New(inv *adapters.Inventory, pool *adapters.Pool) *Fleet {
	f := &Fleet{pool: pool}
	for _, name := range inv.Names() {
		spec, _ := inv.Device(name)
		f.infos = append(f.infos, intent.DeviceInfo{Name: name, Labels: maps.Clone(spec.Labels)})
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
	return device{d}, nil
}

// device is a pooled device seen by the intent service.
type device struct {
	*adapters.Failover
}

var _ intent.Limiter = device{}

// Unsupported implements intent.Limiter.
func (d device) Unsupported() map[string]string { return d.Capabilities().Unsupported }
