package netconf_test

import (
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/adapters/netconf"
)

// TestNoLeaks: sessions closed normally, and sessions killed by a
// cancelled context in the middle of a hung RPC, leave no goroutines
// behind (the session's reader is stopped too).
func TestNoLeaks(t *testing.T) { conformance.NoLeaks(t, "nc", adapters.NETCONF, netconf.Opener) }
