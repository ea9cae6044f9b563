package intent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/netagent/netagent/yang"
)

// VersionedDevice is a Device that keeps its configuration as the agent
// last saw it (its last read plus the agent's own writes) under a version.
// The compiler records in each DevicePlan the version it planned against;
// the worker executes the plan computed at accept time when the device's
// version is still that one, and plans again only when it changed. A
// version is never 0, and never repeats, even across restarts
// (NextConfigVersion).
type VersionedDevice interface {
	Device
	// QueryVersion is Query, also returning the version the tree is of.
	QueryVersion(ctx context.Context, paths []yang.Path) (*yang.Tree, uint64, error)
	// ConfigVersion is the current version.
	ConfigVersion() uint64
}

// versionClock hands out configuration versions: they start at the
// process start time in nanoseconds, so a version stored before a restart
// never matches one handed out after it.
var versionClock atomic.Uint64

func init() { versionClock.Store(uint64(time.Now().UnixNano())) }

// NextConfigVersion returns a new configuration version, greater than
// every one returned before in this process.
func NextConfigVersion() uint64 { return versionClock.Add(1) }

// stillValid reports whether plan, computed for in on names, can be
// executed as is: every device is a VersionedDevice whose version is the
// one the plan was computed against, and a fresh read of the part of its
// configuration the intent concerns (the nodes its configuration consists
// of, DevicePlan.Holds; else its query scope) still finds what the plan
// was computed from. The fresh
// read is what sees a change made on the device out of band between
// accept and apply: the cache would answer from its last read for up to
// its TTL (a read that differs also gives the device a new version).
// Devices are read 16 at a time.
func (c *Compiler) stillValid(ctx context.Context, plan *Plan, in *Intent, names []string) bool {
	if plan == nil || len(plan.Devices) != len(names) {
		return false
	}
	for i, dp := range plan.Devices {
		if dp.Device != names[i] || dp.Version == 0 || dp.Before == nil {
			return false
		}
	}
	scope := queryScope(in)
	fresh := WithFreshReads(ctx)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, dp := range plan.Devices {
		g.Go(func() error {
			dev, err := c.Devices.Device(gctx, dp.Device)
			if err != nil {
				return err
			}
			vd, ok := dev.(VersionedDevice)
			if !ok || vd.ConfigVersion() != dp.Version {
				return errStale
			}
			if len(dp.Holds) == 0 {
				cur, ver, err := vd.QueryVersion(fresh, scope)
				if err != nil {
					return err
				}
				if ver != dp.Version || !cur.Equal(dp.Before) {
					return errStale
				}
				return nil
			}
			// Only the nodes the intent's configuration consists of: a
			// static route's, not the whole configuration its planning
			// read (validation needs all of it; staleness only these).
			cur, ver, err := vd.QueryVersion(fresh, dp.Holds)
			if err != nil {
				return err
			}
			if ver != dp.Version {
				return errStale
			}
			for _, h := range dp.Holds {
				if leavesText(cur.Subtree(h)) != leavesText(dp.Before.Subtree(h)) {
					return errStale
				}
			}
			return nil
		})
	}
	return g.Wait() == nil
}

// errStale stops stillValid at the first device whose plan is out of date.
var errStale = errors.New("intent: plan out of date")

// leavesText renders leaves for comparison (path = value, one a line).
func leavesText(ls []yang.Leaf) string {
	var b strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&b, "%s = %v\n", l.Path, l.Value)
	}
	return b.String()
}
