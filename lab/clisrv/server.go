package clisrv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/sshsrv"
)

// Config configures the SSH CLI of one device.
type Config struct {
	// Host key, login, session id source and log; Device defaults to
	// Env.Hostname.
	sshsrv.Config
	Env Env
}

// Server serves the CLI over SSH (shell channels, with or without a pty).
// It is safe for concurrent use. Serve accepts connections on a listener
// until Close; Close drops every session and waits for them.
type Server struct {
	*sshsrv.Server
	cfg Config
	// life ends at Close: a commit that has started runs until it is done
	// or life ends, whatever becomes of its session.
	life    context.Context
	endLife context.CancelFunc
}

// New returns a server; Serve starts it.
func New(cfg Config) (*Server, error) {
	switch cfg.Env.Platform {
	case FRR, EOS, SRL:
	default:
		return nil, fmt.Errorf("cli %s: unknown platform %q (frr, eos, srl)", cfg.Env.Hostname, cfg.Env.Platform)
	}
	if cfg.Env.Store == nil {
		return nil, fmt.Errorf("cli %s: no datastore", cfg.Env.Hostname)
	}
	if cfg.Env.Faults == nil {
		cfg.Env.Faults = fault.NewSet()
	}
	if cfg.Device == "" {
		cfg.Device = cfg.Env.Hostname
	}
	s := &Server{cfg: cfg}
	var err error
	if s.Server, err = sshsrv.New(cfg.Config, sshsrv.Shell, s.handle); err != nil {
		return nil, err
	}
	s.life, s.endLife = context.WithCancel(context.Background())
	return s, nil
}

// Close aborts every commit still in progress, drops every session and
// waits for them.
func (s *Server) Close() error {
	s.endLife()
	return s.Server.Close()
}

func (s *Server) banner() string {
	switch s.cfg.Env.Platform {
	case EOS:
		return "Last login: from netagent lab\n"
	case SRL:
		return "Using configuration file(s): []\nWelcome to the srl CLI.\nType 'help' (and press <ENTER>) if you need any help using this.\n"
	}
	return "\nHello, this is FRRouting (version 10.2.1).\nCopyright 1996-2005 Kunihiro Ishiguro, et al.\n\n"
}

// handle runs one interactive session: a line discipline (echo, backspace,
// Ctrl-C, Ctrl-D) around a Session. ctx ends with the session's transport:
// it ends a hang or latency fault at once; the Session's commits are bound
// to the server's life instead, so a commit that has started completes
// (then the session ends) when the client goes away meanwhile.
func (s *Server) handle(ctx context.Context, ss *sshsrv.Session) {
	env := s.cfg.Env
	sess := NewSession(s.life, &env)
	ch := ss.Channel
	nl := "\n"
	if ss.PTY {
		nl = "\r\n"
	}
	write := func(text string) bool {
		if ss.PTY {
			text = strings.ReplaceAll(text, "\n", "\r\n")
		}
		_, err := io.WriteString(ch, text)
		return err == nil
	}
	if ss.Command != "" {
		// ssh host "show ip route": one command, its output, no prompt.
		if err := env.Faults.HangWhile(ctx, fault.CLI); err != nil {
			return
		}
		if err := env.Faults.Delay(ctx, fault.CLI); err != nil {
			return
		}
		out, _ := sess.Exec(ss.Command)
		write(out)
		return
	}
	if !write(s.banner() + sess.Prompt()) {
		return
	}
	r := bufio.NewReader(ch)
	var line []byte
	prevCR := false
	for {
		c, err := r.ReadByte()
		if err != nil {
			return
		}
		switch {
		case c == '\n' && prevCR:
			prevCR = false
			continue
		case c == '\r' || c == '\n':
			prevCR = c == '\r'
			if ss.PTY {
				_, _ = io.WriteString(ch, nl)
			}
			if err := env.Faults.HangWhile(ctx, fault.CLI); err != nil {
				return
			}
			if err := env.Faults.Delay(ctx, fault.CLI); err != nil {
				return
			}
			out, quit := sess.Exec(string(line))
			line = line[:0]
			if sess.Dropped() {
				_ = ss.Close()
				return
			}
			if quit {
				return
			}
			if !write(out + sess.Prompt()) {
				return
			}
			continue
		case c == 0x03: // Ctrl-C
			line = line[:0]
			if !write("^C\n" + sess.Prompt()) {
				return
			}
		case c == 0x04: // Ctrl-D
			if len(line) == 0 {
				return
			}
		case c == 0x7f || c == 0x08:
			if len(line) > 0 {
				line = line[:len(line)-1]
				if ss.PTY {
					_, _ = io.WriteString(ch, "\b \b")
				}
			}
		case c == 0x1b: // escape sequences (arrow keys) are ignored
			if b, err := r.ReadByte(); err == nil && b == '[' {
				_, _ = r.ReadByte()
			}
		case c == '\t' || c >= 0x20:
			if len(line) < 4096 {
				line = append(line, c)
				if ss.PTY {
					_, _ = ch.Write([]byte{c})
				}
			}
		}
		prevCR = false
	}
}
