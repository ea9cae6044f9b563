package labtest

import (
	"context"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/protocols"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
)

// Start starts topology (containerlab YAML) with opts (Dir defaults to a
// temporary directory) and loads its inventory; the lab closes when t ends.
func Start(t testing.TB, topology []byte, opts lab.Options) (*lab.Lab, *adapters.Inventory) {
	t.Helper()
	tp, err := topo.Parse(topology)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	l, err := lab.Start(context.Background(), tp, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("lab close: %v", err)
		}
	})
	inv, err := adapters.LoadInventory(l.InventoryPath(), adapters.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l, inv
}

// Pool opens a session pool on inv over every adapter netagent ships; it
// closes when t ends.
func Pool(t testing.TB, inv *adapters.Inventory, topt adapters.TargetOptions, fopt adapters.FailoverOptions) *adapters.Pool {
	t.Helper()
	pool := adapters.NewPool(inv, protocols.Registry(), topt, fopt)
	t.Cleanup(func() { _ = pool.Close() })
	return pool
}
