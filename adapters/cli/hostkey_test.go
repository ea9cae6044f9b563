package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
)

// TestHostKeyChanged: the CLI device's key differs from known_hosts; the
// session is refused in the key exchange, before any credential is sent.
func TestHostKeyChanged(t *testing.T) {
	_, inv := conformance.StartLab(t)
	tg := conformance.Target(t, inv, "frr", adapters.CLI)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	fake, _ := ssh.NewPublicKey(pub)
	kh := t.TempDir() + "/known_hosts"
	line := "[" + tg.Address + "]:" + strconv.Itoa(tg.Protocol.Port) + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(fake))) + "\n"
	if err := os.WriteFile(kh, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	tg.HostKeys = adapters.NewHostKeys(kh, true, nil)
	var auth atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := dial(ctx, tg, Platforms["frr"], func() { auth.Add(1) })
	if !errors.Is(err, adapters.ErrHostKey) {
		t.Fatalf("err = %v, want ErrHostKey", err)
	}
	if auth.Load() != 0 {
		t.Fatal("a credential was sent to a device whose host key changed")
	}
	// Unknown platform: a clear error naming the device.
	tg = conformance.Target(t, inv, "frr", adapters.CLI)
	tg.Protocol.Platform = "junos"
	if _, err := Open(ctx, tg); !errors.Is(err, adapters.ErrUnsupported) || !strings.Contains(err.Error(), "frr") || !strings.Contains(err.Error(), "junos") {
		t.Fatalf("unknown platform: err = %v", err)
	}
}
