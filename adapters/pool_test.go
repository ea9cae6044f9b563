package adapters

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

func TestPoolOpensOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "inv.yml")
	writeTestFile(t, path, `credentials: {c: {username: u, password_env: NETAGENT_TEST_POOL_PW}}
devices:
  - {name: r1, address: 127.0.0.1, credentials: c, protocols: [{name: gnmi, port: 1}]}
  - {name: r2, address: 127.0.0.1, credentials: c, protocols: [{name: gnmi, port: 2}]}
`)
	t.Setenv("NETAGENT_TEST_POOL_PW", "pw")
	inv, err := LoadInventory(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var opens atomic.Int32
	st := &store{tree: nil}
	reg := NewRegistry()
	if err := reg.Register(GNMI, func(ctx context.Context, tg Target) (Device, error) {
		opens.Add(1)
		if tg.Device == "r2" {
			return nil, &DeviceError{Device: "r2", Protocol: GNMI, Phase: PhaseAuth, Kind: ErrAuth, NotApplied: true}
		}
		return &fakeProto{name: GNMI, st: st}, nil
	}); err != nil {
		t.Fatal(err)
	}
	p := NewPool(inv, reg, TargetOptions{}, FailoverOptions{})
	var wg sync.WaitGroup
	devs := make([]*Failover, 8)
	for i := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := p.Device(context.Background(), "r1")
			if err != nil {
				t.Error(err)
			}
			devs[i] = d
		}()
	}
	wg.Wait()
	if n := opens.Load(); n != 1 {
		t.Errorf("r1 opened %d times, want once", n)
	}
	for _, d := range devs[1:] {
		if d != devs[0] {
			t.Fatal("callers got different devices")
		}
	}
	if _, err := p.Device(context.Background(), "r2"); !errors.Is(err, ErrAuth) {
		t.Errorf("r2: err = %v, want ErrAuth", err)
	}
	if _, err := p.Device(context.Background(), "nope"); !errors.Is(err, ErrInventory) {
		t.Errorf("unknown device: err = %v, want ErrInventory", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Device(context.Background(), "r1"); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: err = %v, want ErrClosed", err)
	}
}
