package gnmi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/yang"
)

func TestConformance(t *testing.T) {
	l, inv := conformance.StartLab(t)
	gn := conformance.Target(t, inv, "gn", adapters.GNMI)
	a, err := gnmi.Open(t.Context(), gn)
	if err != nil {
		t.Fatal(err)
	}
	timer := a.Capabilities().ConfirmTimer
	_ = a.Close()
	if !timer {
		t.Fatal("the lab's gNMI target announces the commit-confirmed extension, but the adapter did not see it")
	}
	rs := conformance.Run(t, l, inv, conformance.Options{Device: "gn", Protocol: adapters.GNMI, ConfirmTimer: timer}, gnmi.Opener)
	conformance.WriteTable(t, rs)
}

// TestMonitorCounters: a STREAM subscription to interface counters on the
// lab's gNMI target delivers values, then the sync marker.
func TestMonitorCounters(t *testing.T) {
	_, inv := conformance.StartLab(t)
	a := conformance.Open(t, inv, "gn", adapters.GNMI, gnmi.Open)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	counters := 0
	err := a.Monitor(ctx, adapters.Subscription{Paths: []string{"/interfaces/interface[name=eth1]/state/counters"}, Interval: 100 * time.Millisecond},
		func(u adapters.Update) error {
			if u.Sync {
				cancel()
				return nil
			}
			if strings.HasPrefix(u.Path, "/interfaces/interface[name=eth1]/state/counters/") {
				counters++
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if counters == 0 {
		t.Fatal("no counters before the sync marker")
	}
}

// TestKindConformance runs the conformance suite on every device
// personality of the simulated lab (one node per personality, default
// labels) that claims gnmi.
func TestKindConformance(t *testing.T) {
	conformance.RunKinds(t, adapters.GNMI, 10, true, gnmi.Opener)
}

// TestQueryOfMissingPathIsEmpty: reading a path that holds nothing (an
// interface not yet created) answers an empty tree, as NETCONF and CLI
// do, not an error; with other paths beside it, their configuration still
// comes back.
func TestQueryOfMissingPathIsEmpty(t *testing.T) {
	_, inv := conformance.StartLab(t)
	a := conformance.Open(t, inv, "gn", adapters.GNMI, gnmi.Open)
	got, err := a.Query(t.Context(), []yang.Path{yang.InterfacePath("lo99")})
	if err != nil {
		t.Fatalf("Query of a missing interface: %v", err)
	}
	if got.Len() != 0 {
		t.Errorf("Query of a missing interface = %s, want empty", got)
	}
	got, err = a.Query(t.Context(), []yang.Path{yang.InterfacePath("lo99"), yang.InterfacePath("eth1")})
	if err != nil {
		t.Fatalf("Query of a missing and a present interface: %v", err)
	}
	if _, ok := got.Get(yang.InterfacePath("eth1").Leaf("name")); !ok || len(got.Subtree(yang.InterfacePath("lo99"))) != 0 {
		t.Errorf("Query of lo99 and eth1 = %s, want eth1 only", got)
	}
}

// TestResume: a restarted coordinator confirms or cancels a
// commit-confirmed Set by its id over a connection of its own.
func TestResume(t *testing.T) {
	l, inv := conformance.StartLab(t)
	conformance.Resume(t, l, inv, "gn", adapters.GNMI, gnmi.Opener)
}
