package cli_test

import (
	"context"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/internal/conformance"
)

func TestConformance(t *testing.T) {
	l, inv := conformance.StartLab(t)
	for _, dev := range []string{"frr", "eos"} {
		t.Run(dev, func(t *testing.T) {
			rs := conformance.Run(t, l, inv, conformance.Options{Device: dev, Protocol: adapters.CLI, Label: "cli " + dev}, cli.Opener)
			conformance.WriteTable(t, rs)
		})
	}
}

// TestMonitorState: interface counters from show interfaces, both dialects.
func TestMonitorState(t *testing.T) {
	_, inv := conformance.StartLab(t)
	for _, dev := range []string{"frr", "eos"} {
		t.Run(dev, func(t *testing.T) {
			a, err := cli.Open(t.Context(), conformance.Target(t, inv, dev, adapters.CLI))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			got := map[string]any{}
			err = a.Monitor(ctx, adapters.Subscription{Paths: []string{"/interfaces/interface[name=eth1]/state"}, Interval: 50 * time.Millisecond},
				func(u adapters.Update) error {
					if u.Sync {
						cancel()
					} else {
						got[u.Path] = u.Value
					}
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			for _, leaf := range []string{"oper-status", "counters/in-octets", "counters/out-pkts"} {
				if _, ok := got["/interfaces/interface[name=eth1]/state/"+leaf]; !ok {
					t.Errorf("no %s in %v", leaf, got)
				}
			}
		})
	}
}
