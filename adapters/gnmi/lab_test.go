package gnmi_test

import (
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/adapters/internal/conformance"
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
	rs := conformance.Run(t, l, inv, conformance.Options{Device: "gn", Protocol: adapters.GNMI, ConfirmTimer: timer}, gnmi.Opener)
	conformance.WriteTable(t, rs)
}
