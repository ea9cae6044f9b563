package cli_test

import (
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/internal/conformance"
)

// TestNoLeaks: sessions closed normally, and sessions killed by a
// cancelled context in the middle of a hung command, leave no goroutines
// behind (scrapligo's reader is stopped too).
func TestNoLeaks(t *testing.T) { conformance.NoLeaks(t, "frr", adapters.CLI, cli.Opener) }
