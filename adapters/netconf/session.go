package netconf

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/sshconn"
	"github.com/netagent/netagent/yang"
)

// Capability URNs the adapter looks for in the server's hello.
const (
	capCandidate = "urn:ietf:params:netconf:capability:candidate:1.0"
	capValidate  = "urn:ietf:params:netconf:capability:validate:1"
	capConfirmed = "urn:ietf:params:netconf:capability:confirmed-commit:1.1"
	capRunning   = "urn:ietf:params:netconf:capability:writable-running:1.0"
	nsIETFIf     = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
)

// Encodings of configuration on the wire.
const (
	EncodingOpenConfig = "openconfig"
	EncodingIETF       = "ietf"
)

// caps is what a server's hello offers.
type caps struct {
	candidate, validate, confirmed, running bool
	rollbackOnError                         bool
	encoding                                string
	// yuma: the server is yuma123's netconfd (its modules are in the
	// hello), whose quirks the session works around.
	yuma bool
}

func parseCaps(list []string, force string) (caps, error) {
	var c caps
	oc, ietf := false, false
	for _, s := range list {
		s = strings.TrimSpace(s)
		base, _, _ := strings.Cut(s, "?")
		switch {
		case strings.HasPrefix(base, capCandidate[:len(capCandidate)-4]):
			c.candidate = true
		case strings.HasPrefix(base, "urn:ietf:params:netconf:capability:validate:"):
			c.validate = true
		case base == capConfirmed:
			c.confirmed = true
		case strings.HasPrefix(base, "urn:ietf:params:netconf:capability:writable-running:"):
			c.running = true
		case strings.HasPrefix(base, "urn:ietf:params:netconf:capability:rollback-on-error:"):
			c.rollbackOnError = true
		case base == yang.NSInterfaces || strings.Contains(s, "module=openconfig-interfaces"):
			oc = true
		case base == nsIETFIf || strings.Contains(s, "module=ietf-interfaces"):
			ietf = true
		case strings.HasPrefix(base, "http://netconfcentral.org/ns/yuma"):
			c.yuma = true
		}
	}
	if c.yuma {
		// yuma123 answers ok to <validate> and then commits an empty
		// candidate: it validates on commit anyway, so skip the RPC.
		c.validate = false
	}
	switch {
	case force != "":
		c.encoding = force
	case oc:
		c.encoding = EncodingOpenConfig
	case ietf:
		c.encoding = EncodingIETF
	default:
		return c, errors.New("the hello lists neither openconfig-interfaces nor ietf-interfaces; set encoding in the inventory if the device supports one")
	}
	return c, nil
}

// session is one NETCONF session: netagent's own client (client.go) over
// its SSH transport. RPCs on it are serialised by mu.
type session struct {
	t  adapters.Target
	tr *sshconn.Transport
	c  *client
	caps
	mu        sync.Mutex // one RPC at a time; protects following fields
	broken    bool
	closeOnce sync.Once
}

// dial opens a session; its error is a *adapters.DeviceError.
func dial(ctx context.Context, t adapters.Target, onAuth func()) (*session, error) {
	to := t.Timeouts.WithDefaults()
	tr := sshconn.New(t, sshconn.Netconf)
	tr.Ctx = ctx
	tr.OnAuth = onAuth
	if err := tr.Open(nil); err != nil {
		return nil, tr.OpenError(ctx, err, "NETCONF hello", "NETCONF")
	}
	c, err := newClient(ctx, tr, adapters.Bound(ctx, to.RPC))
	if err != nil {
		return nil, tr.OpenError(ctx, err, "NETCONF hello", "NETCONF")
	}
	s := &session{t: t, tr: tr, c: c}
	cp, err := parseCaps(c.caps, t.Protocol.Encoding)
	if err != nil {
		s.Close()
		return nil, t.Err(adapters.PhaseConnect, adapters.ErrUnsupported, true, nil, err.Error())
	}
	s.caps = cp
	if cp.yuma {
		// yuma123 drops an RPC that arrives in the same read as the
		// client's hello: give it the hello alone.
		time.Sleep(50 * time.Millisecond)
	}
	return s, nil
}

// rpc runs one RPC (body is the content of <rpc>) with timeout d (bounded
// by ctx) and returns the <rpc-reply>. notApplied says whether a failure of
// this RPC certainly left the device unchanged. A transport failure or
// timeout marks the session broken: the caller drops it. An <rpc-error>
// of severity error is a *adapters.DeviceError; warnings alone are not.
func (s *session) rpc(ctx context.Context, phase adapters.Phase, d time.Duration, notApplied bool, body string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return nil, s.t.Err(phase, adapters.ErrClosed, true, nil, "session closed")
	}
	if err := ctx.Err(); err != nil {
		return nil, s.t.Err(phase, adapters.ErrTimeout, true, err, "")
	}
	// call kills the transport when ctx ends or d passes before the reply,
	// and on any error (a late reply must never be read as the next RPC's).
	r, err := s.c.call(ctx, adapters.Bound(ctx, d), body)
	if err := s.tr.ExchangeError(ctx, phase, notApplied, err, "no reply from the device"); err != nil {
		s.broken = true
		return nil, err
	}
	if bytes.Contains(r, []byte("rpc-error>")) {
		errs, _ := ParseRPCErrors(r)
		hard := false
		for _, e := range errs {
			hard = hard || e.Severity != "warning"
		}
		if hard || len(errs) == 0 {
			return r, deviceError(s.t, phase, true, errs, string(r))
		}
	}
	return r, nil
}

// Close ends the session (its transport and its watchdog timer).
func (s *session) Close() { s.closeOnce.Do(s.doClose) }

func (s *session) doClose() {
	s.mu.Lock()
	s.broken = true
	s.mu.Unlock()
	s.c.close()
}
