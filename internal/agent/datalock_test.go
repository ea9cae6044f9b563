package agent

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/config"
)

// Two agents on one data directory would share the store, the audit chain
// and the admin token: the second is refused, naming the first, until the
// first has stopped.
func TestSecondAgentOnOneDataDirIsRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = dir
	first, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), cfg, nil)
	if err == nil {
		t.Fatal("a second agent started on the data dir the first holds")
	}
	for _, want := range []string{dir, "in use", fmt.Sprintf("pid %d", os.Getpid()), "data_dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not name %q", err, want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- first.Run(ctx) }()
	if _, err := first.Addr(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	// Stopped: the directory is free again.
	again, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("after the first agent stopped: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := again.Run(ctx2); err != nil {
		t.Fatalf("Run: %v", err)
	}
}
