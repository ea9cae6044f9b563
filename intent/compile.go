package intent

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/netagent/netagent/yang"
)

// DeviceInfo is one device of the inventory: its name and labels.
type DeviceInfo struct {
	Name   string
	Labels map[string]string
}

// Inventory lists the devices intents can target. The adapters' inventory
// satisfies it through a one-line wrapper; tests use intenttest.Network.
type Inventory interface {
	// Devices returns every device, sorted by name. Callers do not modify
	// the result.
	Devices() []DeviceInfo
}

// Device is what the intent service needs of one device: read its current
// configuration, and push changes. adapters.Device has these methods.
type Device interface {
	// Query returns the configuration at or below paths; no paths means
	// the whole configuration. The intent service never modifies the tree
	// it gets (it clones it to build the desired one), so a device may hand
	// out a shared snapshot, if concurrent reads of it are safe.
	Query(ctx context.Context, paths []yang.Path) (*yang.Tree, error)
	// Configure applies changes in order, all or nothing on the device.
	Configure(ctx context.Context, changes []yang.Change) error
}

// Limiter is an optional interface of Device: a device whose platform
// cannot set some leaves names them by schema path without keys
// ("/interfaces/interface/config/mtu") with the reason, and plans that
// would set them are refused. intent/fleet provides it from the adapters'
// capabilities.
type Limiter interface {
	Unsupported() map[string]string
}

// Devices opens devices by name.
type Devices interface {
	Device(ctx context.Context, name string) (Device, error)
}

// Compiler turns intents into plans against the devices' current
// configuration. It is safe for concurrent use if its Inventory and
// Devices are.
type Compiler struct {
	Inventory Inventory
	Devices   Devices
}

// Resolve returns the names of the devices an intent targets, sorted, or
// an *InvalidError (StageSemantic) naming each device that does not exist
// or a selector that matches none.
func (c *Compiler) Resolve(in *Intent) ([]string, error) {
	all := c.Inventory.Devices()
	if len(in.Targets.Devices) > 0 {
		var probs []Problem
		for i, name := range in.Targets.Devices {
			_, found := slices.BinarySearchFunc(all, name, func(d DeviceInfo, n string) int { return strings.Compare(d.Name, n) })
			if !found {
				probs = append(probs, Problem{Pointer: "/targets/devices/" + strconv.Itoa(i), Reason: fmt.Sprintf("no device named %q in the inventory", name)})
			}
		}
		if probs != nil {
			return nil, &InvalidError{Stage: StageSemantic, Problems: probs}
		}
		names := slices.Clone(in.Targets.Devices)
		sort.Strings(names)
		return names, nil
	}
	var names []string
	for _, d := range all {
		match := true
		for k, v := range in.Targets.Selector {
			if d.Labels[k] != v {
				match = false
				break
			}
		}
		if match {
			names = append(names, d.Name)
		}
	}
	if len(names) == 0 {
		return nil, invalid(StageSemantic, "/targets/selector", "matches no device in the inventory")
	}
	return names, nil
}

// Compile resolves the intent's targets, reads each device's current
// configuration, builds the desired one, checks it with yang.Validate
// (problems the intent introduces are refused; ones already on the device
// are not its concern) and returns the plan. A satisfied intent plans zero
// changes. Device errors are wrapped with the device's name; refusals are
// *InvalidError.
func (c *Compiler) Compile(ctx context.Context, in *Intent) (*Plan, error) {
	names, err := c.Resolve(in)
	if err != nil {
		return nil, err
	}
	return c.CompileFor(ctx, in, names)
}

// CompileFor is Compile for targets already resolved.
func (c *Compiler) CompileFor(ctx context.Context, in *Intent, names []string) (*Plan, error) {
	plan := &Plan{IntentID: in.ID, Devices: make([]DevicePlan, len(names))}
	probs := make([][]Problem, len(names))
	scope := queryScope(in)
	compileOne := func(ctx context.Context, i int) error {
		dev, err := c.Devices.Device(ctx, names[i])
		if err != nil {
			return &DeviceError{Device: names[i], Phase: PhaseOpen, Err: err}
		}
		cur, ver, err := readVersion(ctx, dev, scope)
		if err != nil {
			return &DeviceError{Device: names[i], Phase: PhaseRead, Err: err}
		}
		var limits map[string]string
		if l, ok := dev.(Limiter); ok {
			limits = l.Unsupported()
		}
		dp, pr := compileDevice(names[i], cur, in, limits)
		dp.Version = ver
		plan.Devices[i], probs[i] = dp, pr
		return nil
	}
	if len(names) == 1 {
		if err := compileOne(ctx, 0); err != nil {
			return nil, err
		}
	} else {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(16)
		for i := range names {
			g.Go(func() error { return compileOne(gctx, i) })
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	var all []Problem
	for _, p := range probs {
		all = append(all, p...)
	}
	if len(all) > 0 {
		return nil, &InvalidError{Stage: StageSemantic, Problems: all}
	}
	return plan, nil
}

// queryScope returns the part of the configuration an intent's compilation
// needs to read: an interface intent that sets no address concerns only its
// interface's subtree, because yang.Validate's cross-leaf rules involve only
// addresses, static routes and BGP neighbours; every other intent reads the
// whole configuration (nil) so those rules see everything.
func queryScope(in *Intent) []yang.Path {
	if s, ok := in.Spec.(*InterfaceSpec); ok && len(s.IPv4) == 0 {
		return []yang.Path{yang.InterfacePath(s.Name)}
	}
	return nil
}

func (c *Compiler) current(ctx context.Context, name string) (*yang.Tree, error) {
	return c.query(ctx, name, nil)
}

func (c *Compiler) query(ctx context.Context, name string, paths []yang.Path) (*yang.Tree, error) {
	cur, _, err := c.queryVersion(ctx, name, paths)
	return cur, err
}

// queryVersion reads the configuration and, from a VersionedDevice, its
// version (0 otherwise).
func (c *Compiler) queryVersion(ctx context.Context, name string, paths []yang.Path) (*yang.Tree, uint64, error) {
	dev, err := c.Devices.Device(ctx, name)
	if err != nil {
		return nil, 0, &DeviceError{Device: name, Phase: PhaseOpen, Err: err}
	}
	cur, ver, err := readVersion(ctx, dev, paths)
	if err != nil {
		return nil, 0, &DeviceError{Device: name, Phase: PhaseRead, Err: err}
	}
	return cur, ver, nil
}

// readVersion reads dev's configuration and, from a VersionedDevice, its
// version (0 otherwise).
func readVersion(ctx context.Context, dev Device, paths []yang.Path) (*yang.Tree, uint64, error) {
	if vd, ok := dev.(VersionedDevice); ok {
		return vd.QueryVersion(ctx, paths)
	}
	cur, err := dev.Query(ctx, paths)
	return cur, 0, err
}

// owner records which part of the intent set a path, to point problems
// found in the device model back at the intent.
type owner struct {
	path    yang.Path // formatted only when a problem needs pointing
	pointer string
}

// compileDevice plans in on one device whose configuration is cur;
// limits are the leaves its platform cannot set (Limiter).
func compileDevice(device string, cur *yang.Tree, in *Intent, limits map[string]string) (DevicePlan, []Problem) {
	if s, ok := in.Spec.(*InterfaceSpec); ok && len(limits) == 0 {
		if dp, ok := interfaceSettings(device, cur, s); ok {
			return dp, nil
		}
	}
	return compileGeneral(device, cur, in, limits)
}

// interfaceSettings plans, without building a desired tree, the common
// intent that only sets an existing interface's own settings (type, mtu,
// description, enabled): each is one leaf, compared with the device's. The
// JSON Schema already bounds these leaves at least as tightly as the model
// (mtu 68..9216, description up to 255 characters without control
// characters, type among the model's identities) and yang.Validate's
// cross-leaf rules do not involve them, so nothing here can make the
// configuration invalid. TestInterfaceSettingsMatchGeneral checks that the
// plans are identical to the general path's.
func interfaceSettings(device string, cur *yang.Tree, s *InterfaceSpec) (DevicePlan, bool) {
	if len(s.IPv4) > 0 {
		return DevicePlan{}, false
	}
	base := yang.InterfacePath(s.Name)
	if _, ok := cur.Get(base.Leaf("name")); !ok {
		return DevicePlan{}, false // creating it: the general path
	}
	// Leaves in schema order: the order yang.Diff lists them.
	type setting struct {
		leaf string
		v    any
	}
	var sets [4]setting
	n := 0
	if s.Type != "" {
		sets[n] = setting{"type", s.Type}
		n++
	}
	if s.MTU != nil {
		sets[n] = setting{"mtu", *s.MTU}
		n++
	}
	if s.Description != nil {
		sets[n] = setting{"description", *s.Description}
		n++
	}
	if s.Enabled != nil {
		sets[n] = setting{"enabled", *s.Enabled}
		n++
	}
	dp := DevicePlan{Device: device, Before: cur, Changes: make([]yang.Change, 0, n), Holds: make([]yang.Path, 0, n+1)}
	dp.Holds = append(dp.Holds, base)
	var undoDeletes, undoUpdates []yang.Change
	for _, st := range sets[:n] {
		p := base.Leaf("config", st.leaf)
		dp.Holds = append(dp.Holds, p)
		old, ok := cur.Get(p)
		switch {
		case ok && old == st.v:
		case ok:
			dp.Changes = append(dp.Changes, yang.Change{Op: yang.OpUpdate, Path: p, Old: old, New: st.v})
			undoUpdates = append(undoUpdates, yang.Change{Op: yang.OpUpdate, Path: p, Old: st.v, New: old})
		default:
			dp.Changes = append(dp.Changes, yang.Change{Op: yang.OpCreate, Path: p, New: st.v})
			undoDeletes = append(undoDeletes, yang.Change{Op: yang.OpDelete, Path: p, Old: st.v})
		}
	}
	if len(dp.Changes) > 0 {
		// yang.Diff order: deletions in reverse canonical order, then the rest.
		for i := len(undoDeletes) - 1; i >= 0; i-- {
			dp.Undo = append(dp.Undo, undoDeletes[i])
		}
		dp.Undo = append(dp.Undo, undoUpdates...)
	}
	return dp, true
}

// compileGeneral builds the desired tree, validates it and diffs it.
func compileGeneral(device string, cur *yang.Tree, in *Intent, limits map[string]string) (DevicePlan, []Problem) {
	desired := cur.Clone()
	b := &builder{device: device, cur: cur, t: desired}
	switch s := in.Spec.(type) {
	case *InterfaceSpec:
		b.iface(s)
	case *StaticRouteSpec:
		b.staticRoute(s)
	case *BGPNeighborSpec:
		b.bgpNeighbor(s)
	case *Objective:
		// An SLO configures nothing; assurance measures it.
	default:
		b.problem("/spec", "kind %s has no compiler", in.Kind)
	}
	if len(b.probs) == 0 {
		b.validate()
	}
	if len(b.probs) > 0 {
		return DevicePlan{Device: device}, b.probs
	}
	changes := yang.Diff(cur, desired)
	for _, c := range changes {
		if why, ok := limits[yang.SchemaPath(c.Path)]; ok && c.Op != yang.OpDelete {
			b.problem(b.pointerFor(c.Path.String()), "cannot set %s: %s", c.Path, why)
		}
	}
	if len(b.probs) > 0 {
		return DevicePlan{Device: device}, b.probs
	}
	dp := DevicePlan{Device: device, Changes: changes, Before: cur, Holds: make([]yang.Path, len(b.owners)), Notes: b.notes}
	for i, o := range b.owners {
		dp.Holds[i] = o.path
	}
	if len(changes) > 0 {
		dp.Undo = yang.Diff(desired, cur)
	}
	return dp, nil
}

type builder struct {
	device string
	cur, t *yang.Tree
	owners []owner
	probs  []Problem
	notes  []string
}

// remove deletes the entry at p for an ensure-absent intent, saying so.
func (b *builder) remove(ptr string, p yang.Path) {
	b.owners = append(b.owners, owner{path: p, pointer: ptr})
	if !b.t.Has(p) {
		return // already absent: nothing to do
	}
	b.t.Delete(p)
	b.notes = append(b.notes, fmt.Sprintf("ensure absent removes %s whoever configured it, even configuration netagent did not create", p))
}

func (b *builder) problem(ptr, format string, args ...any) {
	b.probs = append(b.probs, Problem{Pointer: ptr, Reason: fmt.Sprintf("on %s: ", b.device) + fmt.Sprintf(format, args...)})
}

func (b *builder) set(ptr string, p yang.Path, v any) {
	if old, ok := b.t.Get(p); ok && old == v {
		// Already so: nothing to set (the common case of re-submission).
		b.owners = append(b.owners, owner{path: p, pointer: ptr})
		return
	}
	if err := b.t.Set(p, v); err != nil {
		b.problem(ptr, "%v", err)
		return
	}
	b.owners = append(b.owners, owner{path: p, pointer: ptr})
}

func (b *builder) iface(s *InterfaceSpec) {
	base := yang.InterfacePath(s.Name)
	if s.Ensure == EnsureAbsent {
		// Only the addresses go; the interface itself stays.
		for i, a := range s.IPv4 {
			ptr := "/spec/ipv4/" + strconv.Itoa(i)
			pfx, err := netip.ParsePrefix(a)
			if err != nil || !pfx.Addr().Is4() {
				b.problem(ptr, "%q is not an IPv4 address with a prefix length", a)
				continue
			}
			ap := yang.AddressPath(s.Name, s.Subinterface, pfx.Addr().String())
			if pl, ok := b.cur.Get(ap.Leaf("config", "prefix-length")); ok && pl != uint64(pfx.Bits()) {
				b.problem(ptr, "%s is configured on %s as /%v, not /%d", pfx.Addr(), s.Name, pl, pfx.Bits())
				continue
			}
			b.remove(ptr, ap)
		}
		return
	}
	if !b.cur.Has(base) && s.Type == "" {
		b.problem("/spec/name", "interface %s does not exist; give its type to create it", s.Name)
		return
	}
	b.owners = append(b.owners, owner{path: base, pointer: "/spec/name"})
	if s.Type != "" {
		b.set("/spec/type", base.Leaf("config", "type"), s.Type)
	}
	if s.Enabled != nil {
		b.set("/spec/enabled", base.Leaf("config", "enabled"), *s.Enabled)
	}
	if s.Description != nil {
		b.set("/spec/description", base.Leaf("config", "description"), *s.Description)
	}
	if s.MTU != nil {
		b.set("/spec/mtu", base.Leaf("config", "mtu"), *s.MTU)
	}
	for i, a := range s.IPv4 {
		ptr := "/spec/ipv4/" + strconv.Itoa(i)
		pfx, err := netip.ParsePrefix(a)
		if err != nil || !pfx.Addr().Is4() {
			b.problem(ptr, "%q is not an IPv4 address with a prefix length", a)
			continue
		}
		ap := yang.AddressPath(s.Name, s.Subinterface, pfx.Addr().String())
		b.owners = append(b.owners, owner{path: ap, pointer: ptr})
		b.set(ptr, ap.Leaf("config", "ip"), pfx.Addr().String())
		b.set(ptr, ap.Leaf("config", "prefix-length"), uint64(pfx.Bits()))
	}
}

func (b *builder) staticRoute(s *StaticRouteSpec) {
	route := yang.StaticRoutePath(s.Prefix)
	if s.Ensure == EnsureAbsent {
		b.remove("/spec/prefix", route)
		return
	}
	b.owners = append(b.owners, owner{path: route, pointer: "/spec/prefix"})
	// The intent's next hops replace the route's.
	b.t.Delete(route.Leaf("next-hops"))
	// Setting a next hop's leaves creates the route, the next hop and their
	// key leaves (config/prefix, config/index) on the way.
	seen := map[string]int{}
	for i, h := range s.NextHops {
		ptr := "/spec/next_hops/" + strconv.Itoa(i)
		idx := h.Index
		if idx == "" {
			idx = strconv.Itoa(i)
		}
		if j, dup := seen[idx]; dup {
			b.problem(ptr+"/index", "index %s is already used by next hop %d", idx, j)
			continue
		}
		seen[idx] = i
		hop := yang.NextHopPath(s.Prefix, idx)
		b.owners = append(b.owners, owner{path: hop, pointer: ptr})
		if h.NextHop == "" && h.Interface == "" {
			b.set(ptr, hop.Leaf("config", "index"), idx)
		}
		if h.NextHop != "" {
			b.set(ptr+"/next_hop", hop.Leaf("config", "next-hop"), h.NextHop)
		}
		if h.Interface != "" {
			if !b.t.Has(yang.InterfacePath(h.Interface)) {
				b.problem(ptr+"/interface", "interface %s does not exist", h.Interface)
				continue
			}
			b.set(ptr+"/interface", hop.Leaf("interface-ref", "config", "interface"), h.Interface)
		}
	}
}

func (b *builder) bgpNeighbor(s *BGPNeighborSpec) {
	nbr := yang.NeighborPath(s.Address)
	if s.Ensure == EnsureAbsent {
		if as, ok := b.cur.Get(nbr.Leaf("config", "peer-as")); ok && s.PeerAS != 0 && as != s.PeerAS {
			b.problem("/spec/peer_as", "neighbour %s has peer AS %v, not %d: not removed", s.Address, as, s.PeerAS)
			return
		}
		b.remove("/spec/address", nbr)
		return
	}
	b.owners = append(b.owners, owner{path: nbr, pointer: "/spec/address"})
	global := yang.BGPPath().Leaf("global", "config")
	if s.LocalAS != 0 {
		b.set("/spec/local_as", global.Leaf("as"), s.LocalAS)
	} else {
		b.owners = append(b.owners, owner{path: global.Leaf("as"), pointer: "/spec/local_as"})
	}
	if s.RouterID != "" {
		b.set("/spec/router_id", global.Leaf("router-id"), s.RouterID)
	}
	b.set("/spec/peer_as", nbr.Leaf("config", "peer-as"), s.PeerAS)
	if s.Enabled != nil {
		b.set("/spec/enabled", nbr.Leaf("config", "enabled"), *s.Enabled)
	}
	if s.Description != nil {
		b.set("/spec/description", nbr.Leaf("config", "description"), *s.Description)
	}
}

// validate runs the model's checks on the desired tree and keeps the
// problems the intent introduced, pointed at the member that caused them.
func (b *builder) validate() {
	err := yang.Validate(b.t)
	if err == nil {
		return
	}
	var ve *yang.ValidationError
	if !errors.As(err, &ve) {
		b.problem("/spec", "%v", err)
		return
	}
	before := map[yang.FieldError]bool{}
	var ce *yang.ValidationError
	if errors.As(yang.Validate(b.cur), &ce) {
		for _, f := range ce.Errors {
			before[f] = true
		}
	}
	seen := map[[2]string]bool{}
	for _, f := range ve.Errors {
		if before[f] {
			continue
		}
		ptr := b.pointerFor(f.Path)
		if seen[[2]string{ptr, f.Reason}] {
			continue
		}
		seen[[2]string{ptr, f.Reason}] = true
		b.problem(ptr, "%s (at %s)", f.Reason, f.Path)
	}
}

// pointerFor finds the intent member whose path is closest to p: the
// longest owned path that is p, an ancestor of p or a descendant of p.
func (b *builder) pointerFor(p string) string {
	best, bestLen := "/spec", -1
	for _, o := range b.owners {
		op := o.path.String()
		if op == p || strings.HasPrefix(p, op+"/") || strings.HasPrefix(op, p+"/") {
			if n := commonLen(op, p); n > bestLen {
				best, bestLen = o.pointer, n
			}
		}
	}
	return best
}

func commonLen(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
