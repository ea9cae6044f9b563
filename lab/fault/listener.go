package fault

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Listener is a TCP listener on a fixed address that obeys a device's
// faults for one protocol: under Down it closes the socket (connections
// are refused) and drops the connections it accepted; under Hang it
// accepts connections and holds them without handing them to the server.
// It implements net.Listener, so SSH and gRPC servers serve it unchanged.
type Listener struct {
	addr  string
	set   *Set
	proto Protocol

	mu       sync.Mutex // protects following fields
	ln       net.Listener
	down     bool
	closed   bool
	upCh     chan struct{} // closed when the listener comes back up
	conns    map[net.Conn]struct{}
	parked   []net.Conn
	closeErr error
}

// Listen listens on addr for protocol p and starts obeying set.
func Listen(addr string, set *Set, p Protocol) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return Wrap(ln, set, p), nil
}

// Wrap makes a fault-obeying Listener of ln.
func Wrap(ln net.Listener, set *Set, p Protocol) *Listener {
	l := &Listener{addr: ln.Addr().String(), set: set, proto: p, ln: ln, upCh: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	set.OnChange(l.sync)
	l.sync()
	return l
}

// sync brings the socket in line with the Down fault.
func (l *Listener) sync() {
	_, down := l.set.Active(l.proto, Down)
	_, hang := l.set.Active(l.proto, Hang)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if !hang {
		for _, c := range l.parked {
			_ = c.Close()
		}
		l.parked = nil
	}
	switch {
	case down && !l.down:
		l.down = true
		_ = l.ln.Close()
		for c := range l.conns {
			_ = c.(*trackedConn).Conn.Close()
			delete(l.conns, c)
		}
	case !down && l.down:
		// Re-listen on the same address; retry briefly if the kernel has not
		// released it yet.
		var ln net.Listener
		var err error
		for i := 0; i < 50; i++ {
			ln, err = net.Listen("tcp", l.addr)
			if err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			l.closeErr = err
			return
		}
		l.ln = ln
		l.down = false
		close(l.upCh)
		l.upCh = make(chan struct{})
	}
}

// Accept waits for the next connection the server should see.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		if l.down {
			up := l.upCh
			l.mu.Unlock()
			<-up
			continue
		}
		ln := l.ln
		l.mu.Unlock()
		c, err := ln.Accept()
		if err != nil {
			l.mu.Lock()
			again := l.down && !l.closed
			l.mu.Unlock()
			if again || errors.Is(err, net.ErrClosed) && !l.isClosed() {
				continue
			}
			return nil, err
		}
		if _, hang := l.set.Active(l.proto, Hang); hang {
			l.set.Hit(l.proto, Hang)
			l.mu.Lock()
			l.parked = append(l.parked, c)
			l.mu.Unlock()
			continue
		}
		tc := &trackedConn{Conn: c, l: l}
		l.mu.Lock()
		l.conns[tc] = struct{}{}
		l.mu.Unlock()
		return tc, nil
	}
}

func (l *Listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Close closes the socket, the parked connections and makes Accept return.
func (l *Listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	err := l.ln.Close()
	if l.down {
		err = nil
		close(l.upCh)
	}
	for _, c := range l.parked {
		_ = c.Close()
	}
	l.parked = nil
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// Addr is the listening address.
func (l *Listener) Addr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ln.Addr()
}

type trackedConn struct {
	net.Conn
	l    *Listener
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
