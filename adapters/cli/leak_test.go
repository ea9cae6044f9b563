package cli_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/yang"
)

// TestNoLeaks: sessions closed normally, and sessions killed by a
// cancelled context in the middle of a hung RPC, leave no goroutines
// behind (scrapligo's reader is stopped too).
func TestNoLeaks(t *testing.T) {
	l, inv := conformance.StartLab(t)
	tg := conformance.Target(t, inv, "frr", adapters.CLI)
	settle := func() int {
		time.Sleep(300 * time.Millisecond)
		return runtime.NumGoroutine()
	}
	// Warm up the lab's own goroutines for one session.
	a, err := cli.Open(t.Context(), tg)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	base := settle()
	for i := 0; i < 5; i++ {
		a, err := cli.Open(t.Context(), tg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Query(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var hung []*cli.Adapter
	for i := 0; i < 3; i++ {
		a, err := cli.Open(t.Context(), tg)
		if err != nil {
			t.Fatal(err)
		}
		hung = append(hung, a)
	}
	if err := l.InjectFault("frr", fault.Fault{Kind: fault.Hang, Protocol: fault.CLI}); err != nil {
		t.Fatal(err)
	}
	for _, a := range hung {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		start := time.Now()
		err = a.Configure(ctx, []yang.Change{{Op: yang.OpUpdate, Path: yang.InterfacePath("eth1").Leaf("config", "mtu"), Old: uint64(1500), New: uint64(1600)}})
		cancel()
		if err == nil || time.Since(start) > 5*time.Second {
			t.Fatalf("hung Configure: err %v after %v", err, time.Since(start))
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.ClearFaults("frr", fault.Any, ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for n := settle(); n > base; n = settle() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
		}
	}
}
