package fleet_test

import (
	"context"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/fleet"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/labtest"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/yang"
)

func labPool(t *testing.T) (*adapters.Inventory, *adapters.Pool) {
	t.Helper()
	_, inv := labtest.Start(t, topologies.TwoNode, lab.Options{})
	return inv, labtest.Pool(t, inv, adapters.TargetOptions{}, adapters.FailoverOptions{})
}

func mtuChange(v uint64) []yang.Change {
	return []yang.Change{{Op: yang.OpUpdate, Path: yang.InterfacePath("e1-1").Leaf("config", "mtu"), New: v}}
}

// TestConfigCache: repeated reads are served from the cache under one
// version; the agent's own write and Invalidate (an out-of-band change
// seen) give a new version and a fresh read; with a short TTL a re-read
// that finds the device changed gives a new version too.
func TestConfigCache(t *testing.T) {
	inv, pool := labPool(t)
	ctx := context.Background()
	fl := fleet.NewWithTTL(inv, pool, time.Hour)
	dev, err := fl.Device(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	d := dev.(intent.VersionedDevice)
	if _, ok := dev.(adapters.Transactional); !ok {
		t.Error("the cached device hides the failover's transaction phases")
	}
	paths := []yang.Path{yang.InterfacePath("e1-1")}
	mtuPath := yang.InterfacePath("e1-1").Leaf("config", "mtu")
	read := func() (*yang.Tree, uint64) {
		t.Helper()
		tr, v, err := d.QueryVersion(ctx, paths)
		if err != nil {
			t.Fatal(err)
		}
		return tr, v
	}
	t1, v1 := read()
	t2, v2 := read()
	if t1 != t2 || v1 != v2 || v1 == 0 {
		t.Fatalf("second read: same tree %v, versions %d %d: want it from the cache", t1 == t2, v1, v2)
	}
	if err := d.Configure(ctx, mtuChange(9000)); err != nil {
		t.Fatal(err)
	}
	t3, v3 := read()
	if v3 == v2 {
		t.Error("our own write kept the version")
	}
	if got, _ := t3.Get(mtuPath); got != uint64(9000) {
		t.Errorf("after our write mtu = %v, want 9000", got)
	}
	// Out of band (the failover device itself, not through the fleet).
	raw, err := pool.Device(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Configure(ctx, mtuChange(1400)); err != nil {
		t.Fatal(err)
	}
	fl.Invalidate("r1")
	t4, v4 := read()
	if v4 == v3 {
		t.Error("Invalidate kept the version")
	}
	if got, _ := t4.Get(mtuPath); got != uint64(1400) {
		t.Errorf("after Invalidate mtu = %v, want 1400", got)
	}

	short := fleet.NewWithTTL(inv, pool, time.Nanosecond)
	sd, _ := short.Device(ctx, "r1")
	s := sd.(intent.VersionedDevice)
	_, a, _ := s.QueryVersion(ctx, paths)
	_, b, _ := s.QueryVersion(ctx, paths)
	if a != b {
		t.Error("an unchanged re-read gave a new version")
	}
	if err := raw.Configure(ctx, mtuChange(1500)); err != nil {
		t.Fatal(err)
	}
	if _, c, _ := s.QueryVersion(ctx, paths); c == b {
		t.Error("a re-read that found the device changed kept the version")
	}
}
