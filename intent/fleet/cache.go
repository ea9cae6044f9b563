package fleet

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/yang"
)

// DefaultCacheTTL is how long a configuration read stays fresh when
// nothing the agent sees says it changed.
const DefaultCacheTTL = 5 * time.Second

// cache is one device's configuration as the agent last saw it: reads by
// path set, under the device's configuration version. Our own writes
// (Configure) and Invalidate give a new version and drop every read; a
// read that finds the device's configuration different from the last read
// of the same paths also gives a new version (an out-of-band change seen).
type cache struct {
	ttl time.Duration

	mu      sync.Mutex // protects following fields
	version uint64
	reads   map[string]cachedRead
}

type cachedRead struct {
	tree *yang.Tree
	at   time.Time
}

func newCache(ttl time.Duration) *cache {
	return &cache{ttl: ttl, version: intent.NextConfigVersion(), reads: map[string]cachedRead{}}
}

func pathsKey(paths []yang.Path) string {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// device is a pooled device seen through its cache. The failover device
// is embedded, so what else it offers (Monitor, the transaction phases,
// Capabilities) stays reachable by type assertion; every write, one-shot
// or transactional, gives a new version.
type device struct {
	*adapters.Failover
	c *cache
}

var (
	_ intent.VersionedDevice = device{}
	_ adapters.Transactional = device{}
)

// Query implements intent.Device.
func (d device) Query(ctx context.Context, paths []yang.Path) (*yang.Tree, error) {
	t, _, err := d.QueryVersion(ctx, paths)
	return t, err
}

// QueryVersion answers from the cache while the read is fresh, else reads
// the device. The tree is shared: callers must not modify it (the intent
// compiler clones what it changes).
func (d device) QueryVersion(ctx context.Context, paths []yang.Path) (*yang.Tree, uint64, error) {
	key := pathsKey(paths)
	c := d.c
	c.mu.Lock()
	r, ok := c.reads[key]
	v := c.version
	c.mu.Unlock()
	if ok && time.Since(r.at) < c.ttl && !intent.FreshReads(ctx) {
		return r.tree, v, nil
	}
	t, err := d.Failover.Query(ctx, paths)
	if err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != v {
		// Written or invalidated while we read: this read may predate it.
		return t, v, nil
	}
	if ok && !r.tree.Equal(t) {
		c.version = intent.NextConfigVersion()
		clear(c.reads)
	}
	c.reads[key] = cachedRead{tree: t, at: time.Now()}
	return t, c.version, nil
}

// ConfigVersion implements intent.VersionedDevice.
func (d device) ConfigVersion() uint64 {
	d.c.mu.Lock()
	defer d.c.mu.Unlock()
	return d.c.version
}

// Configure writes through and gives the device a new version (also when
// it fails: part of it may have applied).
func (d device) Configure(ctx context.Context, changes []yang.Change) error {
	err := d.Failover.Configure(ctx, changes)
	d.c.invalidate()
	return err
}

// Commit, Confirm, Abort and Rollback of a transaction change (or may
// change) the configuration: each gives a new version.

// Commit implements adapters.Committer.
func (d device) Commit(ctx context.Context, tx string, confirmTimeout time.Duration) error {
	defer d.c.invalidate()
	return d.Failover.Commit(ctx, tx, confirmTimeout)
}

// Confirm implements adapters.Confirmer.
func (d device) Confirm(ctx context.Context, tx string) error {
	defer d.c.invalidate()
	return d.Failover.Confirm(ctx, tx)
}

// Abort implements adapters.Aborter.
func (d device) Abort(ctx context.Context, tx string) error {
	defer d.c.invalidate()
	return d.Failover.Abort(ctx, tx)
}

// Rollback implements adapters.RollBacker.
func (d device) Rollback(ctx context.Context, tx string) error {
	defer d.c.invalidate()
	return d.Failover.Rollback(ctx, tx)
}

func (c *cache) invalidate() {
	c.mu.Lock()
	c.version = intent.NextConfigVersion()
	clear(c.reads)
	c.mu.Unlock()
}
