package mcp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/yang"
)

// PoolDevices is Devices over the adapters' inventory and pool: the same
// sessions the intent service uses.
type PoolDevices struct {
	Inventory *adapters.Inventory
	Pool      *adapters.Pool
	// StateTimeout bounds one State read; default 15s.
	StateTimeout time.Duration
}

var _ Devices = (*PoolDevices)(nil)

// List opens every device (first use connects) and reports each protocol's
// health; a device that cannot be opened is listed with its error.
func (d *PoolDevices) List(ctx context.Context) ([]DeviceStatus, error) {
	out := make([]DeviceStatus, 0, len(d.Inventory.Devices))
	for _, name := range d.Inventory.Names() {
		spec, _ := d.Inventory.Device(name)
		st := DeviceStatus{Name: name, Kind: spec.Kind, Address: spec.Address, Labels: spec.Labels, Protocols: []ProtocolHealth{}}
		f, err := d.Pool.Device(ctx, name)
		for _, p := range spec.Protocols {
			h := "unknown"
			if err == nil {
				if hs, ok := f.HealthOf(p.Name); ok {
					h = hs.String()
				}
			}
			st.Protocols = append(st.Protocols, ProtocolHealth{Name: p.Name, Health: h})
		}
		if err != nil {
			st.Error = err.Error()
		} else {
			st.Active = f.Active()
		}
		out = append(out, st)
	}
	return out, nil
}

func (d *PoolDevices) device(ctx context.Context, name string) (*adapters.Failover, error) {
	if _, ok := d.Inventory.Device(name); !ok {
		return nil, &adapters.InventoryError{File: d.Inventory.Source, Device: name, Reason: "not in the inventory", Fix: "list_devices names the devices"}
	}
	return d.Pool.Device(ctx, name)
}

// Config queries the device's configuration at or below path.
func (d *PoolDevices) Config(ctx context.Context, device string, path yang.Path) (*yang.Tree, error) {
	f, err := d.device(ctx, device)
	if err != nil {
		return nil, err
	}
	var paths []yang.Path
	if len(path) > 0 {
		paths = []yang.Path{path}
	}
	return f.Query(ctx, paths)
}

var errSnapshot = errors.New("mcp: snapshot complete")

// maxUpdates bounds one State answer; narrow the path for more.
const maxUpdates = 10000

// State subscribes to path once in sample mode and returns the initial
// snapshot: everything up to the first sync, or what arrived when the
// timeout ends.
func (d *PoolDevices) State(ctx context.Context, device, path string) ([]adapters.Update, error) {
	f, err := d.device(ctx, device)
	if err != nil {
		return nil, err
	}
	timeout := d.StateTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var got []adapters.Update
	err = f.Monitor(ctx, adapters.Subscription{Paths: []string{path}, Mode: adapters.ModeSample, Interval: time.Second}, func(u adapters.Update) error {
		if u.Sync || len(got) >= maxUpdates {
			return errSnapshot
		}
		got = append(got, u)
		return nil
	})
	switch {
	case errors.Is(err, errSnapshot), err == nil && len(got) > 0:
		return got, nil
	case err == nil && ctx.Err() != nil:
		return nil, fmt.Errorf("device %s: no values at %s within %s", device, path, timeout)
	}
	return got, err
}
