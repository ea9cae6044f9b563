package adapters

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netagent/netagent/yang"
)

// streamProto streams an update every few milliseconds (or once, when
// silent) and can have its probes fail while the stream goes on: a
// protocol a loaded machine answers slowly in probes but whose
// subscription still delivers.
type streamProto struct {
	name       string
	silent     bool
	probesFail atomic.Bool
	pings      atomic.Int64
}

func (p *streamProto) Configure(context.Context, []yang.Change) error { return nil }

func (p *streamProto) Query(context.Context, []yang.Path) (*yang.Tree, error) {
	return yang.NewTree(), nil
}

func (p *streamProto) Monitor(ctx context.Context, sub Subscription, emit func(Update) error) error {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := emit(Update{Device: "r1", Path: p.name}); err != nil {
			return err
		}
		if p.silent {
			<-ctx.Done()
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (p *streamProto) Ping(ctx context.Context) error {
	p.pings.Add(1)
	if p.probesFail.Load() {
		return &DeviceError{Device: "r1", Protocol: p.name, Phase: PhaseConnect, Kind: ErrTimeout, NotApplied: true}
	}
	return nil
}

func (p *streamProto) Close() error { return nil }

func streamDevice(t *testing.T, preferred, other *streamProto) *Failover {
	t.Helper()
	reg := NewRegistry()
	for _, p := range []*streamProto{preferred, other} {
		if err := reg.Register(p.name, func(context.Context, Target) (Device, error) { return p, nil }); err != nil {
			t.Fatal(err)
		}
	}
	f, err := OpenDevice(context.Background(), reg, []Target{
		{Device: "r1", Protocol: ProtocolSpec{Name: preferred.name}}, {Device: "r1", Protocol: ProtocolSpec{Name: other.name}},
	}, FailoverOptions{Health: HealthConfig{Interval: 10 * time.Millisecond, ProbeTimeout: 50 * time.Millisecond, FailAfter: 2, RecoverAfter: 2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// A subscription whose stream delivers stays on its protocol while that
// protocol's probes fail (at 1,000 devices on a loaded machine probes
// time out while streams flow; moving every such stream to another
// protocol opened a second session per device and made them flap).
func TestFailoverMonitorStaysOnAStreamingProtocol(t *testing.T) {
	gnmi, netconf := &streamProto{name: GNMI}, &streamProto{name: NETCONF}
	f := streamDevice(t, gnmi, netconf)
	stop := errors.New("stop")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	served := map[string]int{}
	err := f.Monitor(ctx, Subscription{Paths: []string{"/interfaces"}, Interval: time.Hour}, func(u Update) error {
		mu.Lock()
		defer mu.Unlock()
		served[u.Path]++
		if served[u.Path] == 1 && u.Path == GNMI {
			// Streaming on gNMI, an operation on it times out (a healthy
			// streaming protocol is not probed at all: its stream
			// answers for it); from now on its probes fail.
			gnmi.probesFail.Store(true)
			f.failed(f.members[0], &DeviceError{Device: "r1", Protocol: GNMI, Kind: ErrTimeout, NotApplied: true})
		}
		// Ten failed probes: the protocol is down by its probes, and the
		// subscription's watcher looked at least as often.
		if gnmi.pings.Load() >= 10 || u.Path != GNMI {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Monitor = %v", err)
	}
	if st, _ := f.HealthOf(GNMI); st != Down {
		t.Errorf("gNMI is %s after failed probes, want down", st)
	}
	if served[NETCONF] != 0 {
		t.Errorf("the subscription moved to NETCONF while gNMI streamed: %v", served)
	}
}

// A stream that went silent on a protocol its probes say is down moves
// to the next protocol.
func TestFailoverMonitorLeavesASilentStream(t *testing.T) {
	gnmi, netconf := &streamProto{name: GNMI, silent: true}, &streamProto{name: NETCONF}
	f := streamDevice(t, gnmi, netconf)
	stop := errors.New("stop")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var served []string
	err := f.Monitor(ctx, Subscription{Paths: []string{"/interfaces"}, Interval: 10 * time.Millisecond}, func(u Update) error {
		served = append(served, u.Path)
		if u.Path == NETCONF {
			return stop
		}
		// One message on gNMI, then silence while it fails.
		gnmi.probesFail.Store(true)
		f.failed(f.members[0], &DeviceError{Device: "r1", Protocol: GNMI, Kind: ErrTimeout, NotApplied: true})
		return nil
	})
	if len(served) != 2 || served[0] != GNMI {
		t.Errorf("served by %v, want gNMI then NETCONF", served)
	}
	if !errors.Is(err, stop) {
		t.Fatalf("Monitor = %v; want it served by NETCONF once gNMI's stream went silent", err)
	}
}

// Session set-ups of a pool's devices share Setups: no more run at once.
func TestFailoverSetupsAreBounded(t *testing.T) {
	var inFlight, most, opened atomic.Int64
	reg := NewRegistry()
	if err := reg.Register(NETCONF, func(ctx context.Context, t Target) (Device, error) {
		n := inFlight.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond) // a handshake: let others overlap
		inFlight.Add(-1)
		opened.Add(1)
		return &streamProto{name: NETCONF}, nil
	}); err != nil {
		t.Fatal(err)
	}
	setups := NewSessionLimit(3)
	var wg sync.WaitGroup
	devs := make([]*Failover, 30)
	for i := range devs {
		wg.Go(func() {
			d, err := OpenDevice(context.Background(), reg, []Target{{Device: "r1", Protocol: ProtocolSpec{Name: NETCONF}}}, FailoverOptions{Setups: setups})
			if err != nil {
				t.Error(err)
				return
			}
			devs[i] = d
		})
	}
	wg.Wait()
	for _, d := range devs {
		if d != nil {
			_ = d.Close()
		}
	}
	if opened.Load() != 30 || most.Load() > 3 {
		t.Errorf("%d opened, at most %d at once; want 30, at most 3", opened.Load(), most.Load())
	}
}
