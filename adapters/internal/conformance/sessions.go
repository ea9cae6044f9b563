package conformance

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/yang"
)

// Dialer opens a session to tg and calls onAuth when it is about to send a
// credential (sshconn.Transport.OnAuth); the SSH adapters' dial.
type Dialer func(ctx context.Context, tg adapters.Target, onAuth func()) error

// HostKeyRefused checks that a session to tg, whose known_hosts entry is
// an impostor's key, is refused in the key exchange, before any credential
// is sent: with and without accepting new keys, dial fails with a
// retryable ErrHostKey naming the device in the connect phase, and onAuth
// is never called.
func HostKeyRefused(t *testing.T, tg adapters.Target, dial Dialer) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fake, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	line := "[" + tg.Address + "]:" + strconv.Itoa(tg.Protocol.Port) + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(fake))) + "\n"
	if err := os.WriteFile(kh, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, acceptNew := range []bool{false, true} {
		tg.HostKeys = adapters.NewHostKeys(kh, acceptNew, nil)
		var auths atomic.Int32
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := dial(ctx, tg, func() { auths.Add(1) })
		cancel()
		if !errors.Is(err, adapters.ErrHostKey) {
			t.Fatalf("accept-new=%v: err = %v, want ErrHostKey", acceptNew, err)
		}
		var de *adapters.DeviceError
		if !errors.As(err, &de) || de.Device != tg.Device || de.Phase != adapters.PhaseConnect || !adapters.Retryable(err) {
			t.Errorf("accept-new=%v: %#v, want a retryable connect-phase error naming %s", acceptNew, de, tg.Device)
		}
		if n := auths.Load(); n != 0 {
			t.Fatalf("accept-new=%v: %d credentials sent to a device whose host key changed", acceptNew, n)
		}
	}
}

// NoLeaks checks that sessions of open's adapter to the lab's device over
// protocol leave no goroutines behind: sessions closed normally, and
// sessions killed by a cancelled context in the middle of an operation the
// device hangs on (the driver's reader is stopped too).
func NoLeaks(t *testing.T, device, protocol string, open adapters.Opener) {
	l, inv := StartLab(t)
	tg := Target(t, inv, device, protocol)
	settle := func() int {
		time.Sleep(300 * time.Millisecond)
		return runtime.NumGoroutine()
	}
	// Warm up the lab's own goroutines for one session.
	a, err := open(t.Context(), tg)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	base := settle()
	for range 5 {
		a, err := open(t.Context(), tg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Query(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var hung []adapters.Device
	for range 3 {
		a, err := open(t.Context(), tg)
		if err != nil {
			t.Fatal(err)
		}
		hung = append(hung, a)
	}
	if err := l.InjectFault(device, fault.Fault{Kind: fault.Hang, Protocol: fault.Protocol(protocol)}); err != nil {
		t.Fatal(err)
	}
	for _, a := range hung {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		start := time.Now()
		err = a.Configure(ctx, []yang.Change{{Op: yang.OpUpdate, Path: yang.InterfacePath("eth1").Leaf("config", "mtu"), Old: uint64(1500), New: uint64(1600)}})
		cancel()
		if err == nil || time.Since(start) > 5*time.Second {
			t.Fatalf("hung Configure: err %v after %v", err, time.Since(start))
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.ClearFaults(device, fault.Any, ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for n := settle(); n > base; n = settle() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
		}
	}
}
