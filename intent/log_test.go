package intent_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/internal/store"
)

type lockedBuffer struct {
	mu sync.Mutex // protects following fields
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRolledBackIsLogged: an intent that rolls back is logged as a warning
// with its reason, like one that fails.
func TestRolledBackIsLogged(t *testing.T) {
	ctx := context.Background()
	net := intenttest.Lab()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logs lockedBuffer
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(rctx) }()
	defer func() { cancel(); <-done }()
	net.FailNextConfigure("leaf2", errors.New("commit refused by the test"))
	if _, err := svc.Submit(ctx, []byte(`{"id":"rb","kind":"interface","targets":{"selector":{"role":"leaf"}},"spec":{"name":"eth3","description":"x"}}`), intent.Source{Channel: "test"}); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	rec, err := svc.Wait(wctx, "rb", intent.StateRolledBack, intent.StateFailed)
	if err != nil || rec.State != intent.StateRolledBack {
		t.Fatalf("rb: %v %v", err, rec)
	}
	// The reason names the device once per layer, without repeating itself.
	if strings.Contains(rec.Error, "configure leaf2: configure leaf2") {
		t.Errorf("the reason repeats itself: %s", rec.Error)
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "id=rb") && strings.Contains(l, "rolled back") {
			line = l
		}
	}
	if !strings.Contains(line, "level=WARN") || !strings.Contains(line, "commit refused by the test") {
		t.Errorf("no warning with the reason for the rolled-back intent in:\n%s", logs.String())
	}
}
