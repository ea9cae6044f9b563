package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
)

// TestHostKeyChanged: the CLI device's key differs from known_hosts; the
// session is refused in the key exchange, before any credential is sent.
func TestHostKeyChanged(t *testing.T) {
	_, inv := conformance.StartLab(t)
	tg := conformance.Target(t, inv, "frr", adapters.CLI)
	conformance.HostKeyRefused(t, tg, func(ctx context.Context, tg adapters.Target, onAuth func()) error {
		_, err := dial(ctx, tg, Platforms["frr"], onAuth)
		return err
	})
	// Unknown platform: a clear error naming the device.
	tg.Protocol.Platform = "junos"
	if _, err := Open(t.Context(), tg); !errors.Is(err, adapters.ErrUnsupported) || !strings.Contains(err.Error(), "frr") || !strings.Contains(err.Error(), "junos") {
		t.Fatalf("unknown platform: err = %v", err)
	}
}
