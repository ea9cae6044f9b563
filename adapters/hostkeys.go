package adapters

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyError says why a device's SSH host key was refused. It matches
// ErrHostKey with errors.Is. The SSH handshake stops at the host key, so no
// credential was sent to the device.
type HostKeyError struct {
	Device      string
	Host        string // host:port as dialled
	Fingerprint string // SHA256 fingerprint of the key the device offered
	// Expected are the fingerprints known_hosts records for the host when
	// the key differs from them (a changed key); empty otherwise.
	Expected []string
	Reason   string
	Fix      string
}

// Error names the address and the key, not the device: the DeviceError
// that carries it names the device already.
func (e *HostKeyError) Error() string {
	return fmt.Sprintf("SSH host key %s of %s refused: %s; %s", e.Fingerprint, e.Host, e.Reason, e.Fix)
}

// Is makes errors.Is(err, ErrHostKey) true.
func (e *HostKeyError) Is(target error) bool { return target == ErrHostKey }

// HostKeyAccepted is reported when an unknown host key was trusted on first
// use and recorded.
type HostKeyAccepted struct {
	Time        time.Time
	Device      string
	Host        string
	KeyType     string
	Fingerprint string
	File        string
}

// HostKeyRefused is reported when a device's host key was refused: a
// changed key, a revoked one, an unknown host without accept-new, or a
// known_hosts file that cannot be used.
type HostKeyRefused struct {
	Time        time.Time
	Device      string
	Host        string // host:port as dialled
	Remote      string // the address connected to
	KeyType     string
	Fingerprint string   // the key the device presented
	Expected    []string // the fingerprints recorded for it, if the key changed
	Reason      string
	File        string
}

// HostKeys checks SSH host keys against a known_hosts file and fails
// closed: an unknown host or a changed key is refused. With AcceptNew, an
// unknown host (never a changed key) is trusted on first use: its key is
// appended to the file and reported to OnAccept and the log.
//
// HostKeys is safe for concurrent use.
type HostKeys struct {
	File      string
	AcceptNew bool
	// OnAccept is called (synchronously) for every key accepted on first
	// use, e.g. to write an audit record. May be nil.
	OnAccept func(HostKeyAccepted)
	// OnRefuse is called (synchronously) for every key refused, e.g. to
	// write an audit record; the connection fails either way. May be nil.
	OnRefuse func(HostKeyRefused)
	Logger   *slog.Logger

	mu sync.Mutex // protects the file while keys are appended
}

// NewHostKeys returns a checker for the known_hosts file at path.
func NewHostKeys(path string, acceptNew bool, log *slog.Logger) *HostKeys {
	return &HostKeys{File: path, AcceptNew: acceptNew, Logger: log}
}

// Callback returns the ssh.HostKeyCallback for device. The file is
// checked on every connection and read again whenever it changed, so keys
// recorded by an operator (or on first use) take effect without a restart.
func (h *HostKeys) Callback(device string) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := h.check(device, hostname, remote, key)
		var he *HostKeyError
		if errors.As(err, &he) && h != nil && h.OnRefuse != nil {
			ev := HostKeyRefused{Time: time.Now(), Device: device, Host: hostname, KeyType: key.Type(),
				Fingerprint: he.Fingerprint, Expected: he.Expected, Reason: he.Reason, File: h.File}
			if remote != nil {
				ev.Remote = remote.String()
			}
			h.OnRefuse(ev)
		}
		return err
	}
}

// check decides on key; refusals are *HostKeyError.
func (h *HostKeys) check(device, hostname string, remote net.Addr, key ssh.PublicKey) error {
	fp := ssh.FingerprintSHA256(key)
	refuse := func(reason, fix string) error {
		return &HostKeyError{Device: device, Host: hostname, Fingerprint: fp, Reason: reason, Fix: fix}
	}
	if h == nil || h.File == "" {
		return refuse("no known_hosts file is configured", "set known_hosts in the inventory")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	cb, err := knownHosts(h.File)
	if errors.Is(err, fs.ErrNotExist) {
		if !h.AcceptNew {
			return refuse("known_hosts file "+h.File+" does not exist",
				"create it with the device's key (ssh-keyscan) or connect once with --ssh-accept-new")
		}
		return h.accept(device, hostname, remote, key)
	}
	if err != nil {
		return refuse("known_hosts file "+h.File+" is unreadable: "+err.Error(), "fix or recreate the file")
	}
	err = cb(hostname, remote, key)
	if err == nil {
		return nil
	}
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		return refuse("the key is revoked in "+h.File, "the device must present another key")
	case errors.As(err, &ke) && len(ke.Want) > 0:
		var want []string
		for _, k := range ke.Want {
			want = append(want, ssh.FingerprintSHA256(k.Key))
		}
		e := &HostKeyError{Device: device, Host: hostname, Fingerprint: fp, Expected: want,
			Reason: fmt.Sprintf("it differs from the key recorded in %s line %d (possible man-in-the-middle)", ke.Want[0].Filename, ke.Want[0].Line),
			Fix:    "if the device was legitimately re-keyed, remove the old line and record the new key; --ssh-accept-new never replaces a changed key"}
		return e
	case errors.As(err, &ke):
		if !h.AcceptNew {
			return refuse("the host is not in "+h.File,
				"record its key (ssh-keyscan -p PORT HOST >> known_hosts) or connect once with --ssh-accept-new")
		}
		return h.accept(device, hostname, remote, key)
	}
	return refuse(err.Error(), "check the known_hosts file")
}

// accept records key for hostname; h.mu is held.
func (h *HostKeys) accept(device, hostname string, remote net.Addr, key ssh.PublicKey) error {
	addrs := []string{knownhosts.Normalize(hostname)}
	if remote != nil {
		if ra := knownhosts.Normalize(remote.String()); ra != addrs[0] {
			addrs = append(addrs, ra)
		}
	}
	if dir := filepath.Dir(h.File); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return &HostKeyError{Device: device, Host: hostname, Fingerprint: ssh.FingerprintSHA256(key),
				Reason: "cannot record the accepted key: " + err.Error(), Fix: "make the known_hosts directory writable"}
		}
	}
	f, err := os.OpenFile(h.File, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err == nil {
		_, err = f.WriteString(knownhosts.Line(addrs, key) + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return &HostKeyError{Device: device, Host: hostname, Fingerprint: ssh.FingerprintSHA256(key),
			Reason: "cannot record the accepted key: " + err.Error(), Fix: "make the known_hosts file writable"}
	}
	ev := HostKeyAccepted{Time: time.Now(), Device: device, Host: hostname, KeyType: key.Type(),
		Fingerprint: ssh.FingerprintSHA256(key), File: h.File}
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log.Warn("SSH host key accepted on first use", "device", device, "host", hostname,
		"key_type", ev.KeyType, "fingerprint", ev.Fingerprint, "file", h.File)
	if h.OnAccept != nil {
		h.OnAccept(ev)
	}
	return nil
}

// parsedHosts keeps each known_hosts file parsed while it stays as it was
// (same size and modification time): a fan-out that opens a
// thousand sessions parses a thousand-line file once, not once a session.
var parsedHosts struct {
	mu    sync.Mutex // protects files
	files map[string]parsedFile
}

type parsedFile struct {
	size int64
	mod  time.Time
	cb   ssh.HostKeyCallback
}

// racyWindow: a file modified this recently when it was parsed is parsed
// again next time, since a second write within the file system's clock
// tick could keep its size and modification time.
const racyWindow = 2 * time.Second

// knownHosts returns the host key callback of the known_hosts file at
// path, parsed again only when the file changed.
func knownHosts(path string) (ssh.HostKeyCallback, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	key := parsedFile{size: fi.Size(), mod: fi.ModTime()}
	parsedHosts.mu.Lock()
	f, ok := parsedHosts.files[path]
	parsedHosts.mu.Unlock()
	if ok && f.size == key.size && f.mod.Equal(key.mod) {
		return f.cb, nil
	}
	cb, err := knownhosts.New(path)
	if err != nil {
		return nil, err
	}
	if time.Since(key.mod) > racyWindow {
		key.cb = cb
		parsedHosts.mu.Lock()
		if parsedHosts.files == nil {
			parsedHosts.files = map[string]parsedFile{}
		}
		parsedHosts.files[path] = key
		parsedHosts.mu.Unlock()
	}
	return cb, nil
}
