package netconf

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
)

// TestHostKeyChanged: the device's key differs from known_hosts, so the
// connection is refused during the key exchange and no credential is sent.
func TestHostKeyChanged(t *testing.T) {
	_, inv := conformance.StartLab(t)
	tg := conformance.Target(t, inv, "nc", adapters.NETCONF)
	conformance.HostKeyRefused(t, tg, func(ctx context.Context, tg adapters.Target, onAuth func()) error {
		_, err := dial(ctx, tg, onAuth)
		return err
	})
	// Wrong password: refused at auth, with a clear error.
	tg = conformance.Target(t, inv, "nc", adapters.NETCONF)
	tg.HostKeys = adapters.NewHostKeys(t.TempDir()+"/kh", true, nil)
	tg.Credentials.Password = "wrong"
	_, err := Open(context.Background(), tg)
	if !errors.Is(err, adapters.ErrAuth) || !strings.Contains(err.Error(), "nc") {
		t.Fatalf("wrong password: err = %v, want ErrAuth naming the device", err)
	}
	// Unreachable: nothing listens.
	tg.Protocol.Port = 1
	_, err = Open(context.Background(), tg)
	if !errors.Is(err, adapters.ErrUnreachable) {
		t.Fatalf("closed port: err = %v, want ErrUnreachable", err)
	}
}
