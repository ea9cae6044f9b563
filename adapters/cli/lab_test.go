package cli_test

import (
	"testing"

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
