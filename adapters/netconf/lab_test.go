package netconf_test

import (
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/adapters/netconf"
)

func TestConformance(t *testing.T) {
	l, inv := conformance.StartLab(t)
	rs := conformance.Run(t, l, inv, conformance.Options{Device: "nc", Protocol: adapters.NETCONF, ConfirmTimer: true}, netconf.Opener)
	conformance.WriteTable(t, rs)
}
