package fleet_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/fleet"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/yang"
)

// TestOutOfBandChangeBetweenAcceptAndApply: an intent is accepted and
// planned; before the worker applies it, someone else (an operator's own
// session, a second client of the device) changes what the intent
// concerns. The configuration cache would answer from its read at accept
// time for an hour here; the worker's fresh read of the intent's subtree
// sees the change and plans again, so what is applied and recorded
// follows the device as it is, not as it was.
func TestOutOfBandChangeBetweenAcceptAndApply(t *testing.T) {
	mtu := yang.InterfacePath("e1-1").Leaf("config", "mtu")
	for _, tc := range []struct {
		name string
		// oob is the mtu set out of band, 0 for none.
		oob uint64
		// wantReason is in the history's applied transition; wantUndo is
		// the mtu the stored plan's undo restores (0: no undo).
		wantReason string
		wantUndo   uint64
	}{
		// Nothing changed: the accept-time plan runs as it is.
		{name: "unchanged", oob: 0, wantReason: "applied 1 change", wantUndo: 1500},
		// The device now holds what the intent asks: nothing to do.
		{name: "already satisfied", oob: 9000, wantReason: "nothing to change"},
		// Another value: applied, and withdrawing restores that value,
		// not the one read at accept time.
		{name: "changed", oob: 1400, wantReason: "applied 1 change", wantUndo: 1400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			inv, pool := labPool(t)
			fl := fleet.NewWithTTL(inv, pool, time.Hour)
			db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: fl, Devices: fl})
			if err != nil {
				t.Fatal(err)
			}
			// Accepted and planned; no worker runs yet.
			body := `{"id":"oob","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":9000}}`
			rec, err := svc.Submit(ctx, []byte(body), intent.Source{Channel: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if rec.State != intent.StatePlanned || rec.Plan.Len() != 1 {
				t.Fatalf("accepted as %s with %d changes, want planned with 1", rec.State, rec.Plan.Len())
			}
			if tc.oob != 0 {
				// Out of band: a second pool, as another client of r1.
				other := adapters.NewPool(inv, otherRegistry(t), adapters.TargetOptions{}, adapters.FailoverOptions{})
				defer other.Close()
				dev, err := other.Device(ctx, "r1")
				if err != nil {
					t.Fatal(err)
				}
				if err := dev.Configure(ctx, []yang.Change{{Op: yang.OpUpdate, Path: mtu, New: tc.oob}}); err != nil {
					t.Fatal(err)
				}
			}
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); _ = svc.Run(rctx) }()
			defer func() { cancel(); <-done }()
			wctx, wcancel := context.WithTimeout(ctx, time.Minute)
			defer wcancel()
			rec, err = svc.Wait(wctx, "oob", intent.StateApplied, intent.StateFailed, intent.StateRolledBack)
			if err != nil {
				t.Fatal(err)
			}
			if rec.State != intent.StateApplied {
				t.Fatalf("intent ended %s (%s)", rec.State, rec.Error)
			}
			last := rec.History[len(rec.History)-1]
			if !strings.Contains(last.Reason, tc.wantReason) {
				t.Errorf("applied because %q, want it to say %q", last.Reason, tc.wantReason)
			}
			var undo uint64
			for _, dp := range rec.Plan.Devices {
				for _, c := range dp.Undo {
					if c.Path.String() == mtu.String() {
						undo = toUint(t, c.New)
					}
				}
			}
			if undo != tc.wantUndo {
				t.Errorf("stored plan undoes mtu to %d, want %d (plan %+v)", undo, tc.wantUndo, rec.Plan.Devices)
			}
			running := fmt.Sprint(leafOf(t, pool, mtu))
			if running != "9000" {
				t.Errorf("r1 mtu after apply = %s, want 9000", running)
			}
		})
	}
}

func otherRegistry(t *testing.T) *adapters.Registry {
	t.Helper()
	reg := adapters.NewRegistry()
	for n, o := range map[string]adapters.Opener{adapters.NETCONF: netconf.Opener, adapters.GNMI: gnmi.Opener, adapters.CLI: cli.Opener} {
		if err := reg.Register(n, o); err != nil {
			t.Fatal(err)
		}
	}
	return reg
}

// leafOf reads a leaf of r1 through pool (not through any cache).
func leafOf(t *testing.T, pool *adapters.Pool, p yang.Path) any {
	t.Helper()
	dev, err := pool.Device(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := dev.Query(context.Background(), []yang.Path{yang.InterfacePath("e1-1")})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := tr.Get(p)
	return v
}

func toUint(t *testing.T, v any) uint64 {
	t.Helper()
	switch n := v.(type) {
	case uint64:
		return n
	case float64:
		return uint64(n)
	case int:
		return uint64(n)
	case int64:
		return uint64(n)
	case nil:
		return 0
	}
	t.Fatalf("mtu value %v is a %T", v, v)
	return 0
}
