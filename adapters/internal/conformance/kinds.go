package conformance

import (
	"sync"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/lab"
)

// RunKinds runs the suite on every device personality of the simulated
// lab (lab.KindsTopology: one node per personality, default labels) that
// claims protocol, one subtest per kind, and fails when fewer than min
// personalities claim it. The suite mostly waits (confirm timers), so
// every personality runs at once, whatever -parallel says.
func RunKinds(t *testing.T, protocol string, min int, confirmTimer bool, open adapters.Opener) {
	t.Helper()
	l, inv := startLab(t, lab.KindsTopology(), lab.Options{NoAdmin: true})
	var wg sync.WaitGroup
	n := 0
	for _, d := range l.Devices() {
		ep, ok := d.Endpoint(protocol)
		if !ok {
			continue
		}
		n++
		label := protocol + " " + d.Kind
		if ep.Platform != "" {
			label = protocol + " " + ep.Platform + " " + d.Kind
		}
		wg.Go(func() {
			t.Run(d.Kind, func(t *testing.T) {
				rs := Run(t, l, inv, Options{Device: d.Name, Protocol: protocol, Label: label, ConfirmTimer: confirmTimer}, open)
				WriteTable(t, rs)
			})
		})
	}
	wg.Wait()
	if n < min {
		t.Fatalf("only %d personalities claim %s, want at least %d", n, protocol, min)
	}
}
