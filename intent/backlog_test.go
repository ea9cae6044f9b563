package intent_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/internal/store"
)

// TestBacklogBeyondTheWorkQueue: more pending intents than the work queue
// holds (there: 4 places, 12 intents, submitted before Run) are all
// applied; the rescan that finds them reads the store a queue's worth at
// a time, and only a queue's worth of accept-time plans stays in memory.
func TestBacklogBeyondTheWorkQueue(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	net := intenttest.Lab()
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net})
	if err != nil {
		t.Fatal(err)
	}
	intent.SetWorkQueue(svc, 4)
	var ids []string
	for _, dev := range []string{"leaf1", "leaf2", "spine1"} {
		for i := 1; i <= 4; i++ {
			id := fmt.Sprintf("%s-eth%d", dev, i)
			body := fmt.Sprintf(`{"id":%q,"kind":"interface","targets":{"devices":[%q]},"spec":{"name":"eth%d","mtu":%d}}`, id, dev, i, 9000+i)
			if _, err := svc.Submit(ctx, []byte(body), intent.Source{Channel: "test"}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
	}
	// The accept-time plans kept for the workers: a queue's worth; the
	// others are planned again when their turn comes.
	if n := intent.HandOffPlans(svc); n != 4 {
		t.Errorf("%d hand-off plans held for 12 intents and a queue of 4, want 4", n)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	// A generous cap: each rescan (one a second) queues up to 4.
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer wcancel()
	for _, id := range ids {
		rec, err := svc.Wait(wctx, id)
		if err != nil || rec.State != intent.StateApplied {
			t.Fatalf("%s: %v, %v; want applied", id, rec, err)
		}
	}
	for _, dev := range []string{"leaf1", "leaf2", "spine1"} {
		if n, _ := net.Applied(dev); n != 4 {
			t.Errorf("%s: %d configurations applied, want 4", dev, n)
		}
	}
}
