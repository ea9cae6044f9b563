package adapters

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func newKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestHostKeys(t *testing.T) {
	known, other := newKey(t), newKey(t)
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222}
	const host = "127.0.0.1:2222"
	tests := []struct {
		name      string
		file      string // known_hosts content; "-" for no file
		acceptNew bool
		key       ssh.PublicKey
		wantErr   string // substring; "" means accepted
		recorded  bool   // the key must be in the file afterwards
	}{
		{"known key", knownhosts.Line([]string{"[127.0.0.1]:2222"}, known), false, known, "", false},
		{"unknown host refused", knownhosts.Line([]string{"[127.0.0.1]:9999"}, known), false, known, "not in", false},
		{"no file refused", "-", false, known, "does not exist", false},
		{"changed key refused", knownhosts.Line([]string{"[127.0.0.1]:2222"}, known), false, other, "differs", false},
		{"changed key refused even with accept-new", knownhosts.Line([]string{"[127.0.0.1]:2222"}, known), true, other, "differs", false},
		{"accept-new records unknown host", "", true, other, "", true},
		{"accept-new creates the file", "-", true, other, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kh", "known_hosts")
			if tc.file != "-" {
				writeTestFile(t, path, tc.file+"\n")
			}
			var accepted []HostKeyAccepted
			h := NewHostKeys(path, tc.acceptNew, nil)
			h.OnAccept = func(a HostKeyAccepted) { accepted = append(accepted, a) }
			err := h.Callback("r1")(host, remote, tc.key)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
			} else {
				if !errors.Is(err, ErrHostKey) {
					t.Fatalf("err = %v, want ErrHostKey", err)
				}
				var he *HostKeyError
				if !errors.As(err, &he) || he.Device != "r1" || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a HostKeyError for r1 containing %q", err, tc.wantErr)
				}
			}
			if tc.recorded {
				if len(accepted) != 1 || accepted[0].Fingerprint != ssh.FingerprintSHA256(tc.key) {
					t.Fatalf("OnAccept calls = %+v", accepted)
				}
				// The recorded key is now known: a fail-closed checker accepts it.
				if err := NewHostKeys(path, false, nil).Callback("r1")(host, remote, tc.key); err != nil {
					t.Fatalf("recorded key not accepted afterwards: %v", err)
				}
			} else if len(accepted) != 0 {
				t.Fatalf("unexpected acceptance %+v", accepted)
			}
			if b, err := os.ReadFile(path); err == nil && !tc.recorded && tc.wantErr != "" && strings.Contains(string(b), string(ssh.MarshalAuthorizedKey(other))[:40]) {
				t.Fatalf("a refused key was recorded")
			}
		})
	}
}

// TestHostKeysOnRefuse: every refusal is reported to OnRefuse with what was
// presented, and a changed key with the fingerprint recorded for the host.
func TestHostKeysOnRefuse(t *testing.T) {
	known, other := newKey(t), newKey(t)
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222}
	path := filepath.Join(t.TempDir(), "known_hosts")
	writeTestFile(t, path, knownhosts.Line([]string{"[127.0.0.1]:2222"}, known)+"\n")
	var got []HostKeyRefused
	h := NewHostKeys(path, false, nil)
	h.OnRefuse = func(r HostKeyRefused) { got = append(got, r) }
	if err := h.Callback("r1")("127.0.0.1:2222", remote, known); err != nil {
		t.Fatal(err)
	}
	err := h.Callback("r1")("127.0.0.1:2222", remote, other)
	var he *HostKeyError
	if !errors.As(err, &he) || len(he.Expected) != 1 || he.Expected[0] != ssh.FingerprintSHA256(known) {
		t.Fatalf("changed key: err %v, want a HostKeyError expecting the recorded key", err)
	}
	if err := h.Callback("r9")("127.0.0.1:9999", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9999}, other); err == nil {
		t.Fatal("unknown host accepted")
	}
	if len(got) != 2 {
		t.Fatalf("OnRefuse called %d times, want 2 (the accepted key is no refusal)", len(got))
	}
	c := got[0]
	if c.Device != "r1" || c.Host != "127.0.0.1:2222" || c.Remote != "127.0.0.1:2222" || c.Fingerprint != ssh.FingerprintSHA256(other) ||
		len(c.Expected) != 1 || c.Expected[0] != ssh.FingerprintSHA256(known) || !strings.Contains(c.Reason, "differs") || c.File != path || c.Time.IsZero() {
		t.Errorf("changed key reported as %+v", c)
	}
	if u := got[1]; u.Device != "r9" || len(u.Expected) != 0 || !strings.Contains(u.Reason, "not in") {
		t.Errorf("unknown host reported as %+v", u)
	}
}

// TestHostKeysFileChanged: the parsed file is kept while it is unchanged,
// and a change of the file (a re-keyed device recorded by the operator,
// the same size as the line it replaces) takes effect at the next
// connection, whether or not it was just written.
func TestHostKeysFileChanged(t *testing.T) {
	oldKey, newKey := newKey(t), newKey(t)
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222}
	const host = "127.0.0.1:2222"
	path := filepath.Join(t.TempDir(), "known_hosts")
	write := func(k ssh.PublicKey, age time.Duration) {
		writeTestFile(t, path, knownhosts.Line([]string{"[127.0.0.1]:2222"}, k)+"\n")
		if age > 0 {
			at := time.Now().Add(-age)
			if err := os.Chtimes(path, at, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(k ssh.PublicKey) error { return NewHostKeys(path, false, nil).Callback("r1")(host, remote, k) }
	for _, age := range []time.Duration{0, time.Hour} {
		write(oldKey, 2*age)
		for range 3 { // kept parsed (age > 0) or parsed each time
			if err := check(oldKey); err != nil {
				t.Fatalf("age %v: recorded key refused: %v", age, err)
			}
		}
		write(newKey, age)
		if err := check(oldKey); !errors.Is(err, ErrHostKey) {
			t.Fatalf("age %v: the replaced key is still accepted (err %v)", age, err)
		}
		if err := check(newKey); err != nil {
			t.Fatalf("age %v: the new key is refused: %v", age, err)
		}
	}
}
