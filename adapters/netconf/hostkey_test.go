package netconf

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
)

// TestHostKeyChanged: the device's key differs from known_hosts, so the
// connection is refused during the key exchange and no credential is sent.
func TestHostKeyChanged(t *testing.T) {
	_, inv := conformance.StartLab(t)
	tg := conformance.Target(t, inv, "nc", adapters.NETCONF)
	kh, err := os.ReadFile(inv.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	// Replace every recorded key with an impostor's.
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	fake, _ := ssh.NewPublicKey(pub)
	fakeLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(fake)))
	var out []string
	for _, line := range strings.Split(string(kh), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && !strings.HasPrefix(line, "#") {
			line = f[0] + " " + fakeLine
		}
		out = append(out, line)
	}
	if err := os.WriteFile(inv.KnownHosts, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, acceptNew := range []bool{false, true} {
		tg.HostKeys = adapters.NewHostKeys(inv.KnownHosts, acceptNew, nil)
		var authAttempts atomic.Int32
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := dial(ctx, tg, func() { authAttempts.Add(1) })
		cancel()
		if !errors.Is(err, adapters.ErrHostKey) {
			t.Fatalf("accept-new=%v: err = %v, want ErrHostKey", acceptNew, err)
		}
		var de *adapters.DeviceError
		if !errors.As(err, &de) || de.Device != "nc" || de.Phase != adapters.PhaseConnect || !adapters.Retryable(err) {
			t.Errorf("accept-new=%v: %#v", acceptNew, de)
		}
		if n := authAttempts.Load(); n != 0 {
			t.Fatalf("accept-new=%v: %d credentials sent to a device with a changed host key", acceptNew, n)
		}
	}
	// Wrong password: refused at auth, with a clear error.
	tg = conformance.Target(t, inv, "nc", adapters.NETCONF)
	tg.HostKeys = adapters.NewHostKeys(t.TempDir()+"/kh", true, nil)
	tg.Credentials.Password = "wrong"
	_, err = Open(context.Background(), tg)
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
