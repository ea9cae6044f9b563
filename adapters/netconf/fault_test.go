package netconf_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/yang"
)

// TestFaults: how the adapter reports what the lab's fault injection does
// to a NETCONF session, and that it recovers by re-dialling.
func TestFaults(t *testing.T) {
	l, inv := conformance.StartLab(t)
	tg := conformance.Target(t, inv, "nc", adapters.NETCONF)
	tg.Timeouts.RPC, tg.Timeouts.Commit = time.Second, time.Second
	ctx := context.Background()
	a, err := netconf.Open(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	mtuPath := yang.InterfacePath("eth1").Leaf("config", "mtu")
	set := func(v uint64) []yang.Change {
		cur, err := l.Running("nc")
		if err != nil {
			t.Fatal(err)
		}
		old, _ := cur.Get(mtuPath)
		return []yang.Change{{Op: yang.OpUpdate, Path: mtuPath, Old: old, New: v}}
	}
	running := func() any {
		r, _ := l.Running("nc")
		v, _ := r.Get(mtuPath)
		return v
	}
	tests := []struct {
		name      string
		fault     fault.Fault
		mtu       uint64
		kind      error
		retryable bool
		applied   bool
		tag       string
	}{
		{"commit rejected", fault.Fault{Kind: fault.RejectCommit, Protocol: fault.NETCONF, ErrorTag: "operation-failed", Message: "injected"},
			2000, adapters.ErrRejected, true, false, "operation-failed"},
		{"reply lost after commit", fault.Fault{Kind: fault.DropCommit, Protocol: fault.NETCONF}, 2001, adapters.ErrUnreachable, false, true, ""},
		// A hang before anything was sent (at the lock) is certain: not applied.
		{"hung", fault.Fault{Kind: fault.Hang, Protocol: fault.NETCONF}, 2002, adapters.ErrTimeout, true, false, ""},
		// A commit that outlives its timeout is ambiguous.
		{"commit too slow", fault.Fault{Kind: fault.SlowCommit, Protocol: fault.NETCONF, Delay: 3 * time.Second}, 2003, adapters.ErrTimeout, false, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := l.InjectFault("nc", tc.fault); err != nil {
				t.Fatal(err)
			}
			err := a.Configure(ctx, set(tc.mtu))
			if _, err := l.ClearFaults("nc", fault.Any, ""); err != nil {
				t.Fatal(err)
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err = %v, want %v", err, tc.kind)
			}
			if got := adapters.Retryable(err); got != tc.retryable {
				t.Errorf("Retryable = %v, want %v (%v)", got, tc.retryable, err)
			}
			var de *adapters.DeviceError
			if !errors.As(err, &de) || de.Device != "nc" || de.Tag != tc.tag {
				t.Errorf("device error = %+v, want device nc tag %q", de, tc.tag)
			}
			if tc.fault.Kind == fault.SlowCommit {
				// Either outcome is allowed; the error must not claim one.
			} else if got := running() == tc.mtu; got != tc.applied {
				t.Errorf("applied = %v, want %v", got, tc.applied)
			}
			// The adapter re-dials and works again (once the device has
			// released the dead session's lock).
			deadline := time.Now().Add(10 * time.Second)
			for {
				err := a.Configure(ctx, set(3000+tc.mtu))
				if err == nil {
					break
				}
				if !errors.Is(err, adapters.ErrLocked) || time.Now().After(deadline) {
					t.Fatalf("after the fault: %v", err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if running() != 3000+tc.mtu {
				t.Fatalf("after the fault: mtu = %v", running())
			}
		})
	}
}
