package lab

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/netagent/netagent/lab/clisrv"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/gnmisrv"
	"github.com/netagent/netagent/lab/netconfsrv"
	"github.com/netagent/netagent/lab/sshsrv"
	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/yang"
)

// serving is a protocol server whose Serve goroutine the lab owns.
type serving struct {
	close func() error
	done  chan error
}

func (s *serving) Close() error {
	err := s.close()
	serr := <-s.done
	return errors.Join(err, serr)
}

func (l *Lab) serveOn(ln net.Listener, serve func(net.Listener) error, closeFn func() error) io.Closer {
	s := &serving{close: closeFn, done: make(chan error, 1)}
	go func() { s.done <- serve(ln) }()
	return s
}

func (l *Lab) stateFunc(d *device) func(time.Time) []synth.Point {
	return func(now time.Time) []synth.Point { return l.model.State(d.info.Name, d.store.Running(), now) }
}

// sshConfig is what d's SSH front ends share.
func (l *Lab) sshConfig(d *device) sshsrv.Config {
	return sshsrv.Config{Device: d.info.Name, HostKey: d.signer, Username: l.creds.Username, Password: l.creds.Password, Sessions: &l.sessions, Log: l.log}
}

// serve starts the front end for proto on ln.
func (l *Lab) serve(d *device, proto string, ln *fault.Listener) (io.Closer, error) {
	switch proto {
	case ProtoNETCONF:
		srv, err := netconfsrv.New(netconfsrv.Config{Config: l.sshConfig(d), Store: d.store, Faults: d.faults, State: l.stateFunc(d)})
		if err != nil {
			return nil, err
		}
		return l.serveOn(ln, srv.Serve, func() error { return errors.Join(srv.Close(), ln.Close()) }), nil
	case ProtoGNMI:
		cfg := gnmisrv.Config{
			Device: d.info.Name, Store: d.store, Faults: d.faults, State: l.stateFunc(d),
			Username: l.creds.Username, Password: l.creds.Password, Log: l.log,
		}
		if l.opts.GNMITLS {
			tc, err := l.tlsConfig()
			if err != nil {
				return nil, err
			}
			cfg.TLS = tc
		}
		srv, err := gnmisrv.New(cfg)
		if err != nil {
			return nil, err
		}
		return l.serveOn(ln, srv.Serve, func() error { return errors.Join(srv.Close(), ln.Close()) }), nil
	case ProtoCLI:
		env := clisrv.Env{
			Hostname: d.info.Name, Platform: d.platform, Store: d.store, Faults: d.faults,
			Telemetry: clisrv.Telemetry{
				Interfaces: func(t *yang.Tree, now time.Time) []synth.Interface { return l.model.Interfaces(d.info.Name, t, now) },
				Device:     func(now time.Time) synth.Device { return l.model.DeviceAt(d.info.Name, now) },
				Links:      func(now time.Time) []synth.Link { return l.model.Links(d.info.Name, now) },
			},
			Started: l.model.Epoch(),
		}
		srv, err := clisrv.New(clisrv.Config{Config: l.sshConfig(d), Env: env})
		if err != nil {
			return nil, err
		}
		return l.serveOn(ln, srv.Serve, func() error { return errors.Join(srv.Close(), ln.Close()) }), nil
	}
	return nil, fmt.Errorf("unknown protocol %q", proto)
}
