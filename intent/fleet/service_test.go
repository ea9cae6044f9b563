package fleet_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/fleet"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/lab/labtest"
)

// startService runs an intent service over the devices of the inventory
// at invPath (the lab's, or a variant of it), on a store of its own; all
// of it stops when t ends. log may be nil.
func startService(t *testing.T, invPath string, topt adapters.TargetOptions, log *slog.Logger) (*intent.Service, *fleet.Fleet) {
	t.Helper()
	ctx := context.Background()
	inv, err := adapters.LoadInventory(invPath, adapters.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := fleet.New(inv, labtest.Pool(t, inv, topt, adapters.FailoverOptions{}))
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: f, Devices: f, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(rctx) }()
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	return svc, f
}
