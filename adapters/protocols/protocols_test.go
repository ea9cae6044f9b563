package protocols

import (
	"testing"

	"github.com/netagent/netagent/adapters"
)

func TestRegistryHoldsEveryProtocol(t *testing.T) {
	reg := Registry()
	for _, p := range []string{adapters.NETCONF, adapters.GNMI, adapters.CLI} {
		if _, ok := reg.Opener(p); !ok {
			t.Errorf("no adapter for %s", p)
		}
	}
}
