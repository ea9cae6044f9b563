package sshconn

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scrapli/scrapligo/transport"
	"golang.org/x/crypto/ssh"

	"github.com/netagent/netagent/adapters"
)

// Mode is what the session runs after login.
type Mode uint8

// Session modes.
const (
	Netconf Mode = iota + 1 // the netconf subsystem
	Shell                   // a shell on a pty (CLI)
)

// Transport implements scrapligo's transport.Implementation.
type Transport struct {
	target adapters.Target
	mode   Mode
	// Ctx bounds the dial and handshake of Open; set before opening.
	Ctx context.Context
	// OnAuth, if set, is called when authentication starts (the host key
	// was accepted and a credential is about to be sent); tests count it.
	OnAuth func()

	mu      sync.Mutex // protects following fields
	conn    net.Conn
	client  *ssh.Client
	session *ssh.Session
	w       io.WriteCloser
	r       io.Reader

	closed atomic.Bool
	dead   atomic.Bool // the connection ended (the device dropped it, or Close)
}

// New returns a transport to t in mode m.
func New(t adapters.Target, m Mode) *Transport { return &Transport{target: t, mode: m} }

var _ transport.Implementation = (*Transport)(nil)

// Open dials, checks the host key, logs in and starts the session. Its
// error is a *adapters.DeviceError.
func (t *Transport) Open(_ *transport.Args) error {
	ctx := t.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	tg := t.target
	to := tg.Timeouts.WithDefaults()
	if tg.HostKeys == nil {
		return tg.Err(adapters.PhaseConnect, adapters.ErrHostKey, true, nil,
			"no known_hosts configured; SSH connections fail closed without one")
	}
	dctx, cancel := context.WithTimeout(ctx, to.Connect)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, "tcp", tg.Addr())
	if err != nil {
		return tg.Err(adapters.PhaseConnect, adapters.ErrUnreachable, true, err, "")
	}
	var hostKeyOK, authStarted atomic.Bool
	hk := tg.HostKeys.Callback(tg.Device)
	password := tg.Credentials.Password.Reveal()
	begin := func() {
		if !authStarted.Swap(true) && t.OnAuth != nil {
			t.OnAuth()
		}
	}
	cfg := &ssh.ClientConfig{
		User: tg.Credentials.Username,
		HostKeyCallback: func(host string, remote net.Addr, key ssh.PublicKey) error {
			if err := hk(host, remote, key); err != nil {
				return err
			}
			hostKeyOK.Store(true)
			return nil
		},
		Auth: []ssh.AuthMethod{
			ssh.PasswordCallback(func() (string, error) { begin(); return password, nil }),
			ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
				begin()
				out := make([]string, len(qs))
				for i := range out {
					out[i] = password
				}
				return out, nil
			}),
		},
		Timeout: to.Connect,
	}
	deadline := time.Now().Add(to.Auth)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	cc, chans, reqs, err := ssh.NewClientConn(conn, tg.Addr(), cfg)
	if err != nil {
		_ = conn.Close()
		var hke *adapters.HostKeyError
		switch {
		case errors.As(err, &hke):
			return tg.Err(adapters.PhaseConnect, adapters.ErrHostKey, true, err, "")
		case errors.Is(err, os.ErrDeadlineExceeded) || ctx.Err() != nil:
			phase := adapters.PhaseConnect
			if hostKeyOK.Load() {
				phase = adapters.PhaseAuth
			}
			return tg.Err(phase, adapters.ErrTimeout, true, err, "SSH handshake did not finish in time")
		case hostKeyOK.Load() && authStarted.Load():
			return tg.Err(adapters.PhaseAuth, adapters.ErrAuth, true, err,
				"the device refused user "+tg.Credentials.Username+"; check the username and the password file or variable")
		case hostKeyOK.Load():
			return tg.Err(adapters.PhaseAuth, adapters.ErrAuth, true, err, "no authentication method the device accepts (password or keyboard-interactive)")
		}
		return tg.Err(adapters.PhaseConnect, adapters.ErrUnreachable, true, err, "SSH handshake failed")
	}
	client := ssh.NewClient(cc, chans, reqs)
	sess, err := client.NewSession()
	var w io.WriteCloser
	var r io.Reader
	if err == nil {
		w, err = sess.StdinPipe()
	}
	if err == nil {
		r, err = sess.StdoutPipe()
	}
	if err == nil {
		if t.mode == Netconf {
			err = sess.RequestSubsystem("netconf")
		} else {
			modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 115200, ssh.TTY_OP_OSPEED: 115200}
			if err = sess.RequestPty("xterm", 255, 511, modes); err == nil {
				err = sess.Shell()
			}
		}
	}
	if err != nil {
		_ = client.Close()
		return tg.Err(adapters.PhaseConnect, adapters.ErrUnsupported, true, err, "the device refused the "+modeName(t.mode)+" session")
	}
	_ = conn.SetDeadline(time.Time{})
	t.mu.Lock()
	t.conn, t.client, t.session, t.w, t.r = conn, client, sess, w, r
	t.mu.Unlock()
	// The SSH layer reads the connection in its own goroutine; when the
	// device drops it, the session is dead even if nobody is reading.
	go func() {
		_ = client.Wait()
		t.dead.Store(true)
	}()
	return nil
}

func modeName(m Mode) string {
	if m == Netconf {
		return "netconf subsystem"
	}
	return "shell"
}

// Close closes the session and the connection; it is idempotent.
func (t *Transport) Close() error {
	if t.closed.Swap(true) {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	if t.session != nil {
		if err := t.session.Close(); err != nil && !errors.Is(err, io.EOF) {
			errs = append(errs, err)
		}
	}
	if t.client != nil {
		if err := t.client.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Kill drops the connection at once: what a cancelled or timed-out
// operation does so that nothing more is read from or sent to the device.
func (t *Transport) Kill() { _ = t.Close() }

// Closed reports whether Close or Kill was called, or the connection ended.
func (t *Transport) Closed() bool { return t.closed.Load() || t.dead.Load() }

// IsAlive reports whether the session is open.
func (t *Transport) IsAlive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.session != nil && !t.closed.Load()
}

// Read reads up to n bytes; after Close it returns io.EOF.
func (t *Transport) Read(n int) ([]byte, error) {
	t.mu.Lock()
	r := t.r
	t.mu.Unlock()
	if r == nil || t.closed.Load() {
		return nil, io.EOF
	}
	b := make([]byte, n)
	m, err := r.Read(b)
	if err != nil {
		if t.closed.Load() {
			return nil, io.EOF
		}
		return nil, err
	}
	return b[:m], nil
}

// Stream is the session's byte stream as an io.ReadWriter, for clients
// that frame messages themselves (NETCONF): Read blocks until the device
// sends something (no polling) and returns io.EOF after Close; Write
// fails after Close.
func (t *Transport) Stream() io.ReadWriter { return stream{t} }

type stream struct{ t *Transport }

func (s stream) Read(p []byte) (int, error) {
	s.t.mu.Lock()
	r := s.t.r
	s.t.mu.Unlock()
	if r == nil || s.t.closed.Load() {
		return 0, io.EOF
	}
	n, err := r.Read(p)
	if err != nil && s.t.closed.Load() {
		return n, io.EOF
	}
	return n, err
}

func (s stream) Write(p []byte) (int, error) {
	s.t.mu.Lock()
	w := s.t.w
	s.t.mu.Unlock()
	if w == nil || s.t.closed.Load() {
		return 0, net.ErrClosed
	}
	return w.Write(p)
}

// Write writes b. After Close it discards b and returns nil: scrapligo's
// NETCONF driver only notices a dead transport while waiting for a reply,
// and the adapter relies on that to stop the driver cleanly.
func (t *Transport) Write(b []byte) error {
	t.mu.Lock()
	w := t.w
	t.mu.Unlock()
	if t.closed.Load() || w == nil {
		return nil
	}
	_, err := w.Write(b)
	if err != nil && t.closed.Load() {
		return nil
	}
	return err
}
