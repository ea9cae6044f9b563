package cli_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/yang"
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
			a := conformance.Open(t, inv, dev, adapters.CLI, cli.Open)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			got := map[string]any{}
			err := a.Monitor(ctx, adapters.Subscription{Paths: []string{"/interfaces/interface[name=eth1]/state"}, Interval: 50 * time.Millisecond},
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

// TestRefusedLine: a change whose second line the device refuses leaves
// the device as it was (EOS: the configuration session is aborted; FRR: the
// accepted line is undone), and the error carries the device's "% ..." line
// and is Retryable.
func TestRefusedLine(t *testing.T) {
	l, inv := conformance.StartLab(t)
	for _, dev := range []string{"frr", "eos"} {
		t.Run(dev, func(t *testing.T) {
			a := conformance.Open(t, inv, dev, adapters.CLI, cli.Open)
			before, err := l.Running(dev)
			if err != nil {
				t.Fatal(err)
			}
			p := yang.InterfacePath("eth1")
			oldDesc, _ := before.Get(p.Leaf("config", "description"))
			oldMTU, _ := before.Get(p.Leaf("config", "mtu"))
			err = a.Configure(t.Context(), []yang.Change{
				{Op: yang.OpUpdate, Path: p.Leaf("config", "description"), Old: oldDesc, New: "half applied?"},
				{Op: yang.OpUpdate, Path: p.Leaf("config", "mtu"), Old: oldMTU, New: uint64(20)},
			})
			var de *adapters.DeviceError
			if !errors.As(err, &de) || !errors.Is(err, adapters.ErrRejected) || de.Tag != "%" || !strings.HasPrefix(de.Message, "%") {
				t.Fatalf("err = %v, want a rejection with the device's %% line", err)
			}
			if !adapters.Retryable(err) {
				t.Errorf("not retryable: %v", err)
			}
			after, _ := l.Running(dev)
			if !after.Equal(before) {
				t.Errorf("the refused change left something behind:\n%s", yang.Render(yang.Diff(before, after)))
			}
		})
	}
}

// TestPrepareValidates: the CLI has no candidate, so Prepare checks the
// change against the model before anything is sent.
func TestPrepareValidates(t *testing.T) {
	l, inv := conformance.StartLab(t)
	a := conformance.Open(t, inv, "frr", adapters.CLI, cli.Open)
	before, _ := l.Running("frr")
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	old, _ := before.Get(mtu)
	err := a.Prepare(t.Context(), "bad", []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: old, New: uint64(20)}})
	var de *adapters.DeviceError
	if !errors.As(err, &de) || de.Phase != adapters.PhaseValidate || !errors.Is(err, adapters.ErrRejected) || !adapters.Retryable(err) {
		t.Fatalf("err = %v, want a retryable validation rejection", err)
	}
	if after, _ := l.Running("frr"); !after.Equal(before) {
		t.Fatal("Prepare changed the device")
	}
	// The writer slot was given back.
	if err := a.Configure(t.Context(), []yang.Change{{Op: yang.OpUpdate, Path: mtu, Old: old, New: uint64(1400)}}); err != nil {
		t.Fatal(err)
	}
}

// TestKindConformance runs the conformance suite on every device
// personality of the simulated lab (one node per personality, default
// labels) that claims cli.
func TestKindConformance(t *testing.T) {
	conformance.RunKinds(t, adapters.CLI, 4, false, cli.Opener)
}
