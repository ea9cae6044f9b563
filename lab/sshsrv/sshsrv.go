package sshsrv

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// Mode says which SSH channel requests a server honours.
type Mode int

// Modes.
const (
	// Subsystem serves the "netconf" subsystem only.
	Subsystem Mode = iota + 1
	// Shell serves an interactive shell (with or without a pty).
	Shell
)

// Session is one SSH channel handed to the Handler.
type Session struct {
	ID      uint32 // unique within the process, starting at 1
	User    string
	Remote  net.Addr
	Channel ssh.Channel
	PTY     bool // a pty was requested: the handler should echo input
	// Command is the command line of an "exec" request (Shell mode only);
	// "" for an interactive shell.
	Command string
	conn    *ssh.ServerConn
}

// Close drops the whole SSH connection (used to simulate a dropped session).
func (s *Session) Close() error { return s.conn.Close() }

// Handler serves one session; it returns when the session is over. ctx ends
// when the server closes or the session's transport does (the client closes
// the channel or the connection, or Session.Close drops it), even while the
// handler is busy and not reading: a handler blocked on a fault or a slow
// operation must return when ctx ends.
type Handler func(ctx context.Context, s *Session)

// Config is what every SSH front end of a device shares: the device's
// name, host key and login, its session id source and the log. The NETCONF
// and CLI servers embed it in their own configuration.
type Config struct {
	Device   string // for logs and errors
	HostKey  ssh.Signer
	Username string
	Password string
	Log      *slog.Logger // nil: discard
	// Sessions issues session ids; nil: a process-wide counter.
	Sessions *atomic.Uint32
}

var globalSessions atomic.Uint32

// WithDefaults returns c with a discarding Log and the process-wide session
// counter where c has none.
func (c Config) WithDefaults() Config {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Sessions == nil {
		c.Sessions = &globalSessions
	}
	return c
}

// Server is an SSH server for one device and one protocol. It is safe for
// concurrent use.
type Server struct {
	cfg     Config
	mode    Mode
	handler Handler
	ssh     *ssh.ServerConfig
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu    sync.Mutex // protects following fields
	conns map[*ssh.ServerConn]struct{}
	lns   []net.Listener
}

// New returns a server that hands every session of mode to h; call Serve
// to accept connections.
func New(cfg Config, mode Mode, h Handler) (*Server, error) {
	if cfg.HostKey == nil || h == nil || mode == 0 {
		return nil, fmt.Errorf("sshsrv %s: host key, handler and mode are required", cfg.Device)
	}
	cfg = cfg.WithDefaults()
	sc := &ssh.ServerConfig{
		PasswordCallback: func(md ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			userOK := subtle.ConstantTimeCompare([]byte(md.User()), []byte(cfg.Username)) == 1
			pwOK := subtle.ConstantTimeCompare(pw, []byte(cfg.Password)) == 1
			if userOK && pwOK {
				return nil, nil
			}
			return nil, fmt.Errorf("sshsrv %s: authentication failed for %q", cfg.Device, md.User())
		},
		KeyboardInteractiveCallback: func(md ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			ans, err := client("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			if len(ans) == 1 && md.User() == cfg.Username && subtle.ConstantTimeCompare([]byte(ans[0]), []byte(cfg.Password)) == 1 {
				return nil, nil
			}
			return nil, fmt.Errorf("sshsrv %s: authentication failed for %q", cfg.Device, md.User())
		},
		ServerVersion: "SSH-2.0-netagent-lab",
	}
	sc.AddHostKey(cfg.HostKey)
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{cfg: cfg, mode: mode, handler: h, ssh: sc, ctx: ctx, cancel: cancel, conns: map[*ssh.ServerConn]struct{}{}}, nil
}

// Serve accepts connections on ln until Close; it returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return nil
	}
	s.lns = append(s.lns, ln)
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("sshsrv %s: accept: %w", s.cfg.Device, err)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(c)
		}()
	}
}

func (s *Server) serveConn(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(c, s.ssh)
	if err != nil {
		_ = c.Close()
		s.cfg.Log.Debug("ssh handshake failed", "device", s.cfg.Device, "err", err)
		return
	}
	_ = c.SetDeadline(time.Time{})
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		_ = sc.Close()
		return
	}
	s.conns[sc] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
		_ = sc.Close()
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveChannel(sc, ch, creqs)
		}()
	}
	wg.Wait()
}

func (s *Server) serveChannel(sc *ssh.ServerConn, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	// sctx ends with the server or when the channel's request stream closes,
	// which x/crypto/ssh does when the peer closes the channel or the
	// connection is lost (a half-close, EOF, leaves it open).
	sctx, scancel := context.WithCancel(s.ctx)
	defer scancel()
	pty := false
	command := ""
	started := make(chan struct{})
	done := make(chan struct{})
	var once sync.Once
	start := func() {
		once.Do(func() {
			close(started)
			go func() {
				defer close(done)
				sess := &Session{ID: s.cfg.Sessions.Add(1), User: sc.User(), Remote: sc.RemoteAddr(), Channel: ch, PTY: pty, Command: command, conn: sc}
				s.handler(sctx, sess)
				_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
				_ = ch.Close()
			}()
		})
	}
	for {
		select {
		case req, ok := <-reqs:
			if !ok {
				scancel()
				select {
				case <-started:
					<-done
				default:
				}
				return
			}
			switch req.Type {
			case "pty-req":
				pty = true
				_ = req.Reply(true, nil)
			case "env", "window-change":
				_ = req.Reply(true, nil)
			case "subsystem":
				var p struct{ Name string }
				ok := ssh.Unmarshal(req.Payload, &p) == nil && s.mode == Subsystem && p.Name == "netconf"
				_ = req.Reply(ok, nil)
				if ok {
					start()
				}
			case "shell":
				ok := s.mode == Shell
				_ = req.Reply(ok, nil)
				if ok {
					start()
				}
			case "exec":
				var p struct{ Command string }
				ok := ssh.Unmarshal(req.Payload, &p) == nil && s.mode == Shell && p.Command != ""
				_ = req.Reply(ok, nil)
				if ok {
					command = p.Command
					start()
				}
			default:
				_ = req.Reply(false, nil)
			}
		case <-done:
			// Drain remaining requests in the background until the channel closes.
			go func() {
				for req := range reqs {
					_ = req.Reply(false, nil)
				}
			}()
			return
		case <-s.ctx.Done():
			_ = ch.Close()
			select {
			case <-started:
				<-done
			default:
			}
			return
		}
	}
}

// Close stops accepting, drops every connection and waits for the handlers.
func (s *Server) Close() error {
	s.mu.Lock()
	s.cancel()
	for _, ln := range s.lns {
		_ = ln.Close()
	}
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// Sessions returns how many SSH connections are open.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
