package netconf_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/yang"
)

func TestConformance(t *testing.T) {
	l, inv := conformance.StartLab(t)
	rs := conformance.Run(t, l, inv, conformance.Options{Device: "nc", Protocol: adapters.NETCONF, ConfirmTimer: true}, netconf.Opener)
	conformance.WriteTable(t, rs)
}

// TestMonitor: NETCONF has no configuration streaming; Monitor polls
// get-config and reports a change made by another session.
func TestMonitor(t *testing.T) {
	_, inv := conformance.StartLab(t)
	tg := conformance.Target(t, inv, "nc", adapters.NETCONF)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := netconf.Open(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	writer, err := netconf.Open(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	sub := adapters.Subscription{Paths: []string{mtu.String()}, Mode: adapters.ModeOnChange, Interval: 50 * time.Millisecond}
	var got []any
	errc := make(chan error, 1)
	go func() {
		errc <- a.Monitor(ctx, sub, func(u adapters.Update) error {
			if u.Path != mtu.String() {
				return nil
			}
			got = append(got, u.Value)
			if len(got) == 1 {
				// another session changes it while the subscription runs
				return writer.Configure(ctx, []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: uint64(1500), New: uint64(4000)}})
			}
			if len(got) == 2 {
				cancel()
			}
			return nil
		})
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != uint64(1500) || got[1] != uint64(4000) {
		t.Fatalf("updates = %v, want [1500 4000]", got)
	}
}

// TestMonitorState: counters and platform data come from <get> with a
// subtree filter, flattened into updates.
func TestMonitorState(t *testing.T) {
	_, inv := conformance.StartLab(t)
	a := conformance.Open(t, inv, "nc", adapters.NETCONF, netconf.Open)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got := map[string]any{}
	err := a.Monitor(ctx, adapters.Subscription{
		Paths:    []string{"/interfaces/interface[name=*]/state/counters", "/system/memory/state"},
		Interval: 50 * time.Millisecond,
	}, func(u adapters.Update) error {
		if u.Sync {
			cancel()
			return nil
		}
		got[u.Path] = u.Value
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var counters, memory int
	for p, v := range got {
		switch {
		case strings.HasPrefix(p, "/interfaces/interface[name=eth1]/state/counters/"):
			counters++
			if _, ok := v.(uint64); !ok {
				t.Errorf("%s = %#v, want a uint64 counter", p, v)
			}
		case strings.HasPrefix(p, "/system/memory/state/"):
			memory++
		}
	}
	if counters == 0 || memory == 0 {
		t.Fatalf("no counters (%d) or memory (%d) in %v", counters, memory, got)
	}
}

// TestKindConformance runs the conformance suite on every device
// personality of the simulated lab (one node per personality, default
// labels) that claims netconf.
func TestKindConformance(t *testing.T) {
	conformance.RunKinds(t, adapters.NETCONF, 10, true, netconf.Opener)
}

// TestResume: a restarted coordinator confirms or cancels a confirmed
// commit by its persist-id over a session of its own.
func TestResume(t *testing.T) {
	l, inv := conformance.StartLab(t)
	conformance.Resume(t, l, inv, "nc", adapters.NETCONF, netconf.Opener)
}
