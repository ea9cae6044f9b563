package netconf

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netagent/netagent/adapters/internal/sshconn"
	"github.com/netagent/netagent/internal/ncframe"
)

// NETCONF base capabilities and namespace.
const (
	capBase10 = "urn:ietf:params:netconf:base:1.0"
	capBase11 = "urn:ietf:params:netconf:base:1.1"
	nsBase    = "urn:ietf:params:xml:ns:netconf:base:1.0"
)

const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>`

// clientHello offers both framings; base:1.1 (chunked) is used when the
// server offers it too (RFC 6242 section 4.1).
const clientHello = xmlDecl + `<hello xmlns="` + nsBase + `"><capabilities>` +
	`<capability>` + capBase10 + `</capability><capability>` + capBase11 + `</capability>` +
	`</capabilities></hello>`

// errNoReply is an RPC whose reply did not come in time; it matches
// context.DeadlineExceeded, which sshconn classifies as a timeout.
var errNoReply = fmt.Errorf("no reply from the device in time: %w", context.DeadlineExceeded)

// stream is the byte stream a client runs on (an *sshconn.Transport).
type stream interface {
	Stream() io.ReadWriter
	Kill()
	Closed() bool
}

var _ stream = (*sshconn.Transport)(nil)

// client is one NETCONF session over an SSH channel: the hello exchange,
// then RPCs, one at a time, each reading its own reply. There is no reader
// goroutine: between RPCs nothing reads the channel (the SSH layer below
// buffers whatever arrives, and notices a dropped connection by itself), so
// an idle session costs no CPU, and an RPC's reply is read by the goroutine
// that waits for it, with no hand-off. Notifications and replies to other
// message-ids (one that timed out earlier) are skipped. It is safe for
// concurrent use; calls are serialised.
//
// An RPC costs what the exchange costs and little more: its request is
// built in a buffer the session reuses (without an XML declaration, which
// XML 1.0 makes optional and which every message would otherwise make the
// device parse), its timeout is the session's one watchdog timer rather
// than a timer per RPC, and a ctx that can never end (Done is nil) needs no
// callback.
type client struct {
	tr        stream
	fr        *ncframe.Framer
	caps      []string // the server's hello
	sessionID string
	wd        *watchdog

	mu   sync.Mutex // one RPC at a time; protects following fields and fr
	next uint64
	err  error  // why the session can carry no more RPCs
	buf  []byte // the request being sent
}

// maxKeptBuf bounds the request buffer a session keeps between RPCs.
const maxKeptBuf = 64 << 10

// newClient exchanges hellos on the open transport tr within d (and ctx).
// On error tr is killed.
func newClient(ctx context.Context, tr stream, d time.Duration) (*client, error) {
	rw := tr.Stream()
	c := &client{tr: tr, fr: ncframe.NewFramer(rw, rw), wd: newWatchdog(tr.Kill)}
	stop := context.AfterFunc(ctx, tr.Kill)
	defer stop()
	var late atomic.Bool
	timer := time.AfterFunc(d, func() { late.Store(true); tr.Kill() })
	defer timer.Stop()
	if err := c.hello(); err != nil {
		tr.Kill()
		if late.Load() {
			return nil, fmt.Errorf("no hello from the device in time: %w", context.DeadlineExceeded)
		}
		return nil, err
	}
	return c, nil
}

func (c *client) hello() error {
	// Both sides send their hello at once (RFC 6241 section 8.1): write
	// ours while reading theirs, so neither waits on the other.
	sent := make(chan error, 1)
	go func() { sent <- c.fr.WriteMsg([]byte(clientHello)) }()
	msg, err := c.fr.ReadMsg()
	if werr := <-sent; werr != nil {
		return fmt.Errorf("send hello: %w", werr)
	}
	if err != nil {
		return fmt.Errorf("read hello: %w", err)
	}
	var h struct {
		XMLName   xml.Name
		Caps      []string `xml:"capabilities>capability"`
		SessionID string   `xml:"session-id"`
	}
	if err := xml.Unmarshal(msg, &h); err != nil {
		return fmt.Errorf("decode the server's hello: %w", err)
	}
	if h.XMLName.Local != "hello" {
		return fmt.Errorf("the server's first message is <%s>, not <hello>", h.XMLName.Local)
	}
	base10, base11 := false, false
	for i, s := range h.Caps {
		h.Caps[i] = string(bytes.TrimSpace([]byte(s)))
		base10 = base10 || h.Caps[i] == capBase10
		base11 = base11 || h.Caps[i] == capBase11
	}
	if !base10 && !base11 {
		return errors.New("the server's hello offers neither base:1.0 nor base:1.1")
	}
	c.caps, c.sessionID = h.Caps, h.SessionID
	c.fr.Chunked = base11
	return nil
}

// call sends one RPC whose content is body and reads, at most d (and ctx)
// long, until its reply, which it returns whole (<rpc-reply>...). An error
// means no reply: the transport failed, the reply did not come in time
// (errNoReply), or ctx ended; the transport is then killed (a late reply
// must never be read as the next RPC's) and every later call fails.
func (c *client) call(ctx context.Context, d time.Duration, body string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, c.tr.Kill)
		defer stop()
	}
	c.wd.start(d)
	m, err := c.exchange(body)
	late := c.wd.stop()
	if err == nil {
		return m, nil
	}
	switch {
	case late:
		err = errNoReply
	case ctx.Err() != nil:
		err = ctx.Err()
	case c.tr.Closed():
		err = fmt.Errorf("session closed: %w", err)
	}
	c.err = err
	c.tr.Kill()
	return nil, err
}

// exchange writes the RPC and reads until its reply. The caller holds mu.
func (c *client) exchange(body string) ([]byte, error) {
	c.next++
	b := append(c.buf[:0], `<rpc message-id="`...)
	idStart := len(b)
	b = strconv.AppendUint(b, c.next, 10)
	idEnd := len(b)
	b = append(b, `" xmlns="`+nsBase+`">`...)
	b = append(b, body...)
	b = append(b, "</rpc>"...)
	err := c.fr.WriteMsg(b)
	id := b[idStart:idEnd]
	if cap(b) <= maxKeptBuf {
		c.buf = b
	} else {
		c.buf = nil
	}
	if err != nil {
		return nil, fmt.Errorf("send rpc: %w", err)
	}
	for {
		m, err := c.fr.ReadMsg()
		if err != nil {
			return nil, fmt.Errorf("read the reply: %w", err)
		}
		mid, root := messageIDBytes(m)
		if string(root) != "rpc-reply" || (len(mid) != 0 && !bytes.Equal(mid, id)) {
			continue // a notification, or the reply to an RPC that gave up
		}
		return trimDecl(m), nil
	}
}

// watchdog is a session's RPC timeout: one timer for the session's life
// instead of one created and stopped per RPC. An RPC sets its deadline
// (start) and clears it (stop); the timer is armed only when no earlier
// firing is due, and when it fires it kills the transport if the RPC
// running then is past its deadline, re-arms for that RPC's deadline if
// not, and stays unarmed if none runs. A busy session's timer so fires
// about once per timeout, an idle session's once at most after its last
// RPC, then never.
type watchdog struct {
	kill  func()
	timer *time.Timer

	mu       sync.Mutex // protects following fields
	fireAt   time.Time  // when timer fires; zero when unarmed
	deadline time.Time  // the running RPC's; zero when none runs
	late     bool       // the watchdog killed the transport
}

func newWatchdog(kill func()) *watchdog {
	w := &watchdog{kill: kill}
	w.timer = time.AfterFunc(time.Hour, w.fire)
	w.timer.Stop()
	return w
}

// start sets the running RPC's deadline, d from now.
func (w *watchdog) start(d time.Duration) {
	now := time.Now()
	w.mu.Lock()
	w.deadline = now.Add(d)
	if w.fireAt.IsZero() || w.deadline.Before(w.fireAt) {
		w.fireAt = w.deadline
		w.timer.Reset(d)
	}
	w.mu.Unlock()
}

// stop ends the running RPC and reports whether its deadline passed
// (the watchdog killed the transport).
func (w *watchdog) stop() (late bool) {
	w.mu.Lock()
	w.deadline = time.Time{}
	late = w.late
	w.mu.Unlock()
	return late
}

func (w *watchdog) fire() {
	w.mu.Lock()
	now := time.Now()
	kill := false
	switch {
	case w.deadline.IsZero():
		w.fireAt = time.Time{}
	case now.Before(w.deadline):
		w.fireAt = w.deadline
		w.timer.Reset(w.deadline.Sub(now))
	default:
		w.fireAt = time.Time{}
		w.late, kill = true, true
	}
	w.mu.Unlock()
	if kill {
		w.kill()
	}
}

// close ends the transport and the watchdog.
func (c *client) close() {
	c.tr.Kill()
	c.wd.timer.Stop()
}

// messageID returns the message-id attribute of msg's root element ("" if
// none) and the root's local name ("" if msg has no element). It scans
// the root's start tag only (the reply's content is not parsed here).
func messageID(msg []byte) (id, root string) {
	i, r := messageIDBytes(msg)
	return string(i), string(r)
}

// messageIDBytes is messageID returning parts of msg.
func messageIDBytes(msg []byte) (id, root []byte) {
	m := msg
	for {
		i := bytes.IndexByte(m, '<')
		if i < 0 || i+1 >= len(m) {
			return nil, nil
		}
		m = m[i+1:]
		switch m[0] {
		case '?', '!': // declaration, comment
			continue
		}
		break
	}
	end := bytes.IndexByte(m, '>')
	if end < 0 {
		return nil, nil
	}
	tag := m[:end]
	n := -1
	for k, ch := range tag {
		if ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '/' {
			n = k
			break
		}
	}
	name := tag
	if n >= 0 {
		name = tag[:n]
	}
	if k := bytes.IndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	root = name
	var rest []byte // the attributes
	if n >= 0 {
		rest = tag[n:]
	}
	for len(rest) > 0 {
		k := bytes.Index(rest, []byte("message-id"))
		if k < 0 {
			return nil, root
		}
		before := byte(' ')
		if k > 0 {
			before = rest[k-1]
		}
		rest = rest[k+len("message-id"):]
		if before != ' ' && before != '\t' && before != '\n' && before != '\r' && before != ':' {
			continue // part of another attribute's name
		}
		v := bytes.TrimLeft(rest, " \t\r\n")
		if len(v) == 0 || v[0] != '=' {
			continue
		}
		v = bytes.TrimLeft(v[1:], " \t\r\n")
		if len(v) == 0 || (v[0] != '"' && v[0] != '\'') {
			return nil, root
		}
		q := v[0]
		j := bytes.IndexByte(v[1:], q)
		if j < 0 {
			return nil, root
		}
		return v[1 : 1+j], root
	}
	return nil, root
}

func trimDecl(m []byte) []byte {
	m = bytes.TrimSpace(m)
	if bytes.HasPrefix(m, []byte("<?xml")) {
		if i := bytes.Index(m, []byte("?>")); i > 0 {
			m = bytes.TrimSpace(m[i+2:])
		}
	}
	return m
}

// RPC bodies.

func datastore(name string) string { return "<" + name + "/>" }

func lockRPC(target string) string { return "<lock><target>" + datastore(target) + "</target></lock>" }
func unlockRPC(target string) string {
	return "<unlock><target>" + datastore(target) + "</target></unlock>"
}

func getConfigRPC(filter string) string {
	if filter == "" {
		return "<get-config><source><running/></source></get-config>"
	}
	return `<get-config><source><running/></source><filter type="subtree">` + filter + `</filter></get-config>`
}

func getRPC(filter string) string {
	if filter == "" {
		return "<get/>"
	}
	return `<get><filter type="subtree">` + filter + `</filter></get>`
}

func editConfigRPC(target, payload string) string {
	return "<edit-config><target>" + datastore(target) + "</target>" + payload + "</edit-config>"
}

const (
	commitRPC   = "<commit/>"
	discardRPC  = "<discard-changes/>"
	validateRPC = "<validate><source><candidate/></source></validate>"
)

func confirmedCommitRPC(timeout time.Duration, persist string) string {
	secs := int64((timeout + time.Second - 1) / time.Second)
	return "<commit><confirmed/><confirm-timeout>" + strconv.FormatInt(secs, 10) + "</confirm-timeout><persist>" +
		xmlEscape(persist) + "</persist></commit>"
}

func confirmRPC(persistID string) string {
	return "<commit><persist-id>" + xmlEscape(persistID) + "</persist-id></commit>"
}

func cancelCommitRPC(persistID string) string {
	return "<cancel-commit><persist-id>" + xmlEscape(persistID) + "</persist-id></cancel-commit>"
}
