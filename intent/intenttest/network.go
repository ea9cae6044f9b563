package intenttest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"sync"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/yang"
)

// ErrNoDevice is returned for a name the network does not hold.
var ErrNoDevice = errors.New("intenttest: no such device")

// Network is an in-memory set of devices.
type Network struct {
	mu      sync.Mutex // protects following fields
	devices map[string]*device
	infos   []intent.DeviceInfo
}

type device struct {
	name   string
	labels map[string]string
	tree   *yang.Tree
	// applied counts Configure calls that changed something; log keeps them.
	applied int
	log     [][]yang.Change
	failErr error // returned by the next Configure, then cleared
	// views caches Query answers for paths until the next change, as a
	// device serves reads from its datastore without rebuilding it.
	views map[string]*yang.Tree
}

// NewNetwork returns an empty network.
func NewNetwork() *Network { return &Network{devices: map[string]*device{}} }

// Add adds (or replaces) a device with labels and an initial configuration
// (copied; nil means empty).
func (n *Network) Add(name string, labels map[string]string, config *yang.Tree) {
	if config == nil {
		config = yang.NewTree()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.devices[name] = &device{name: name, labels: maps.Clone(labels), tree: config.Clone()}
	n.infos = nil
}

// Devices lists the devices sorted by name (intent.Inventory).
func (n *Network) Devices() []intent.DeviceInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.infos == nil {
		for _, d := range n.devices {
			n.infos = append(n.infos, intent.DeviceInfo{Name: d.name, Labels: maps.Clone(d.labels)})
		}
		sort.Slice(n.infos, func(i, j int) bool { return n.infos[i].Name < n.infos[j].Name })
	}
	return n.infos
}

// Device returns access to one device (intent.Devices).
func (n *Network) Device(ctx context.Context, name string) (intent.Device, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	d, ok := n.devices[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoDevice, name)
	}
	return &handle{n: n, d: d}, nil
}

// Config returns a copy of a device's configuration.
func (n *Network) Config(name string) *yang.Tree {
	n.mu.Lock()
	defer n.mu.Unlock()
	d, ok := n.devices[name]
	if !ok {
		return nil
	}
	return d.tree.Clone()
}

// Applied returns how many Configure calls changed a device, and the
// change sets in order.
func (n *Network) Applied(name string) (int, [][]yang.Change) {
	n.mu.Lock()
	defer n.mu.Unlock()
	d, ok := n.devices[name]
	if !ok {
		return 0, nil
	}
	return d.applied, append([][]yang.Change(nil), d.log...)
}

// FailNextConfigure makes the device's next Configure fail with err,
// changing nothing.
func (n *Network) FailNextConfigure(name string, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if d, ok := n.devices[name]; ok {
		d.failErr = err
	}
}

type handle struct {
	n *Network
	d *device
}

var _ intent.Device = (*handle)(nil)

// Query returns the configuration at or below paths (no paths, or the
// root path: all of it). A query of paths is answered from a snapshot
// shared until the next change, which callers must not modify.
func (h *handle) Query(ctx context.Context, paths []yang.Path) (*yang.Tree, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.n.mu.Lock()
	defer h.n.mu.Unlock()
	if len(paths) == 0 {
		return h.d.tree.Clone(), nil
	}
	for _, p := range paths {
		if len(p) == 0 {
			return h.d.tree.Clone(), nil
		}
	}
	key := ""
	for _, p := range paths {
		key += p.String() + "\x00"
	}
	if v, ok := h.d.views[key]; ok {
		return v, nil // a shared snapshot: callers do not modify it
	}
	out := yang.NewTree()
	for _, p := range paths {
		for _, l := range h.d.tree.Subtree(p) {
			if err := out.Set(l.Path, l.Value); err != nil {
				return nil, fmt.Errorf("query %s: %w", h.d.name, err)
			}
		}
	}
	if h.d.views == nil {
		h.d.views = map[string]*yang.Tree{}
	}
	out.Leaves() // sort once now, so that concurrent readers only read
	h.d.views[key] = out
	return out, nil
}

// Configure applies changes all or nothing: the result must pass
// yang.Validate, as a device validates its candidate before commit.
func (h *handle) Configure(ctx context.Context, changes []yang.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h.n.mu.Lock()
	defer h.n.mu.Unlock()
	if err := h.d.failErr; err != nil {
		h.d.failErr = nil
		return fmt.Errorf("configure %s: %w", h.d.name, err)
	}
	next := h.d.tree.Clone()
	if err := yang.Apply(next, changes); err != nil {
		return fmt.Errorf("configure %s: %w", h.d.name, err)
	}
	if err := yang.Validate(next); err != nil {
		return fmt.Errorf("configure %s: %w", h.d.name, err)
	}
	if len(changes) > 0 {
		h.d.applied++
		h.d.log = append(h.d.log, append([]yang.Change(nil), changes...))
	}
	h.d.tree = next
	h.d.views = nil
	return nil
}

// Lab returns a small network like the simulated lab's default topology:
// leaf1 and leaf2 (role leaf) and spine1 (role spine), each with eth1..eth4
// and a loopback, point-to-point addresses on eth1, and BGP AS 6500x.
func Lab() *Network {
	n := NewNetwork()
	for i, name := range []string{"leaf1", "leaf2", "spine1"} {
		role := "leaf"
		if name == "spine1" {
			role = "spine"
		}
		t := yang.NewTree()
		must := func(err error) {
			if err != nil {
				panic(err)
			}
		}
		for _, ifn := range []string{"eth1", "eth2", "eth3", "eth4"} {
			p := yang.InterfacePath(ifn)
			must(t.Set(p.Leaf("config", "type"), "ethernetCsmacd"))
			must(t.Set(p.Leaf("config", "mtu"), uint64(1500)))
			must(t.Set(p.Leaf("config", "enabled"), true))
		}
		lo := yang.InterfacePath("lo0")
		must(t.Set(lo.Leaf("config", "type"), "softwareLoopback"))
		lo0 := fmt.Sprintf("10.255.0.%d", i+1)
		must(t.Set(yang.AddressPath("lo0", 0, lo0).Leaf("config", "prefix-length"), uint64(32)))
		ip := fmt.Sprintf("10.0.%d.1", i)
		must(t.Set(yang.AddressPath("eth1", 0, ip).Leaf("config", "prefix-length"), uint64(31)))
		must(t.Set(yang.BGPPath().Leaf("global", "config", "as"), uint64(65001+i)))
		must(t.Set(yang.BGPPath().Leaf("global", "config", "router-id"), lo0))
		n.Add(name, map[string]string{"role": role, "pod": "1"}, t)
	}
	return n
}
