package adapters

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/netagent/netagent/yang"
)

func TestDeviceError(t *testing.T) {
	cause := errors.New("connection reset")
	tests := []struct {
		name      string
		err       error
		is        error
		retryable bool
		failed    bool
	}{
		{"locked before anything was sent", &DeviceError{Device: "r1", Kind: ErrLocked, NotApplied: true}, ErrLocked, true, false},
		{"timeout after send", fmt.Errorf("netconf commit r1: %w", &DeviceError{Device: "r1", Kind: ErrTimeout, Err: cause}), ErrTimeout, false, true},
		{"rejected and kept nothing", &DeviceError{Device: "r1", Kind: ErrRejected, Tag: "invalid-value", NotApplied: true}, ErrRejected, true, false},
		{"outer not-applied cannot hide inner ambiguity", &DeviceError{Device: "r1", Kind: ErrRejected, NotApplied: true,
			Err: &DeviceError{Device: "r1", Kind: ErrTimeout}}, ErrTimeout, false, true},
		{"unreachable", &DeviceError{Device: "r1", Kind: ErrUnreachable, NotApplied: true, Err: cause}, ErrUnreachable, true, true},
		{"plain error", cause, cause, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.is)
			}
			if got := Retryable(tc.err); got != tc.retryable {
				t.Errorf("Retryable = %v, want %v", got, tc.retryable)
			}
			if got := Failed(tc.err); got != tc.failed {
				t.Errorf("Failed = %v, want %v", got, tc.failed)
			}
		})
	}
	de := &DeviceError{Device: "leaf1", Protocol: NETCONF, Phase: PhaseStage, Kind: ErrRejected, Tag: "invalid-value",
		Path: "/interfaces/interface[name=eth1]/config/mtu", Message: "mtu out of range"}
	want := "netconf stage leaf1: rejected by device (invalid-value) at /interfaces/interface[name=eth1]/config/mtu: mtu out of range"
	if de.Error() != want {
		t.Errorf("Error() = %q, want %q", de.Error(), want)
	}
	var got *DeviceError
	if !errors.As(fmt.Errorf("wrap: %w", de), &got) || got.Tag != "invalid-value" {
		t.Errorf("errors.As failed")
	}
}

func TestInEffectAndRestrict(t *testing.T) {
	before := yang.NewTree()
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	_ = before.Set(mtu, uint64(1500))
	_ = before.Set(yang.InterfacePath("eth2").Leaf("config", "mtu"), uint64(1500))
	after := before.Clone()
	_ = after.Set(mtu, uint64(9000))
	after.Delete(yang.InterfacePath("eth2"))
	_ = after.Set(yang.StaticRoutePath("10.1.0.0/16").Leaf("config", "prefix"), "10.1.0.0/16")
	changes := yang.Diff(before, after)
	for _, c := range changes {
		if InEffect(before, c) {
			t.Errorf("%v in effect before it was applied", c)
		}
		if !InEffect(after, c) {
			t.Errorf("%v not in effect after it was applied", c)
		}
	}
	r := Restrict(after, []yang.Path{yang.InterfacePath("eth1")})
	for _, l := range r.Leaves() {
		if !l.Path.HasPrefix(yang.InterfacePath("eth1")) {
			t.Errorf("Restrict kept %s", l.Path)
		}
	}
	if v, ok := r.Get(mtu); !ok || v != uint64(9000) {
		t.Errorf("Restrict lost mtu: %v", v)
	}
	if got := len(ChangedPaths(changes)); got != 3 {
		t.Errorf("ChangedPaths = %d paths, want 3: %v", got, ChangedPaths(changes))
	}
}

func TestPollMonitorOnChange(t *testing.T) {
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	round := 0
	query := func(ctx context.Context, paths []yang.Path) (*yang.Tree, error) {
		round++
		tr := yang.NewTree()
		_ = tr.Set(mtu, uint64(1500+round/2)) // changes every other round
		return tr, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []Update
	sub := Subscription{Paths: []string{"/interfaces/interface[name=eth1]/config/mtu"}, Mode: ModeOnChange, Interval: 1}
	err := PollMonitor(ctx, Target{Device: "r1"}, sub, query, func(u Update) error {
		got = append(got, u)
		if u.Path == mtu.String() && u.Value == uint64(1502) {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// round1 1500 + sync, round2 1501, round3 1501 (suppressed), round4 1502.
	var vals []any
	for _, u := range got {
		if !u.Sync && u.Path == mtu.String() {
			vals = append(vals, u.Value)
		}
	}
	if len(vals) != 3 || vals[0] != uint64(1500) || vals[1] != uint64(1501) || vals[2] != uint64(1502) {
		t.Errorf("values = %v, want [1500 1501 1502]", vals)
	}
	err = PollMonitor(ctx, Target{Device: "r1", Protocol: ProtocolSpec{Name: CLI}}, Subscription{Paths: []string{"/interfaces/interface[name=eth1]/state/counters"}}, query, nil)
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("state path: err = %v, want ErrUnsupported", err)
	}
}

// TestPermanent: refused credentials and host keys are permanent (not to
// be retried), through any wrapping; transport and device refusals are not.
func TestPermanent(t *testing.T) {
	tests := []struct {
		kind error
		want bool
	}{
		{ErrAuth, true},
		{ErrHostKey, true},
		{ErrUnreachable, false},
		{ErrTimeout, false},
		{ErrRejected, false},
		{ErrLocked, false},
	}
	for _, tt := range tests {
		err := fmt.Errorf("open device r1: %w", &DeviceError{Device: "r1", Protocol: "cli", Kind: tt.kind})
		var p interface{ Permanent() bool }
		if got := errors.As(err, &p) && p.Permanent(); got != tt.want {
			t.Errorf("%v: permanent = %v, want %v", tt.kind, got, tt.want)
		}
	}
}
