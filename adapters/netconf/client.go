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
// then RPCs matched to their replies by message-id. One goroutine reads
// messages, blocked on the SSH channel (an idle session costs no CPU), and
// hands each reply to the RPC waiting for it; notifications and replies
// nobody waits for are dropped. It is safe for concurrent use.
type client struct {
	tr        stream
	fr        *ncframe.Framer
	caps      []string // the server's hello
	sessionID string
	done      chan struct{} // closed when the reader stops

	wmu sync.Mutex // serialises writes

	mu      sync.Mutex // protects following fields
	next    uint64
	waiting map[string]chan []byte
	err     error // why the reader stopped
}

// newClient exchanges hellos on the open transport tr within d (and ctx),
// then starts the reader. On error tr is killed.
func newClient(ctx context.Context, tr stream, d time.Duration) (*client, error) {
	rw := tr.Stream()
	c := &client{tr: tr, fr: ncframe.NewFramer(rw, rw), waiting: map[string]chan []byte{}, done: make(chan struct{})}
	stop := context.AfterFunc(ctx, tr.Kill)
	defer stop()
	var late bool
	var lmu sync.Mutex
	timer := time.AfterFunc(d, func() { lmu.Lock(); late = true; lmu.Unlock(); tr.Kill() })
	defer timer.Stop()
	err := c.hello()
	if err != nil {
		tr.Kill()
		lmu.Lock()
		defer lmu.Unlock()
		if late {
			return nil, fmt.Errorf("no hello from the device in time: %w", context.DeadlineExceeded)
		}
		return nil, err
	}
	go c.read()
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

// read runs until the transport ends, delivering replies.
func (c *client) read() {
	defer close(c.done)
	for {
		msg, err := c.fr.ReadMsg()
		if err != nil {
			if c.tr.Closed() {
				err = errors.New("session closed")
			}
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		id, root := messageID(msg)
		if root != "rpc-reply" {
			continue // a notification
		}
		c.mu.Lock()
		ch := c.waiting[id]
		if id == "" && len(c.waiting) == 1 {
			// A reply without message-id answers the one RPC in flight.
			for k, w := range c.waiting {
				id, ch = k, w
			}
		}
		if ch != nil {
			delete(c.waiting, id)
		}
		c.mu.Unlock()
		if ch != nil {
			ch <- msg // buffered: never blocks
		}
	}
}

// call sends one RPC whose content is body and waits at most d (and ctx)
// for its reply, which it returns whole (<rpc-reply>...). An error means
// no reply: the transport failed, the reply did not come in time, or ctx
// ended.
func (c *client) call(ctx context.Context, d time.Duration, body string) ([]byte, error) {
	ch := make(chan []byte, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.next++
	id := strconv.FormatUint(c.next, 10)
	c.waiting[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiting, id)
		c.mu.Unlock()
	}()
	msg := xmlDecl + `<rpc message-id="` + id + `" xmlns="` + nsBase + `">` + body + `</rpc>`
	c.wmu.Lock()
	err := c.fr.WriteMsg([]byte(msg))
	c.wmu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("send rpc: %w", err)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case m := <-ch:
		return trimDecl(m), nil
	case <-c.done:
		select {
		case m := <-ch: // delivered just before the reader stopped
			return trimDecl(m), nil
		default:
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return nil, fmt.Errorf("session ended waiting for the reply: %w", c.err)
	case <-timer.C:
		return nil, errNoReply
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close ends the transport and waits for the reader.
func (c *client) close() {
	c.tr.Kill()
	<-c.done
}

// messageID returns the message-id attribute of msg's root element ("" if
// none) and the root's local name ("" if msg has no element).
func messageID(msg []byte) (id, root string) {
	d := xml.NewDecoder(bytes.NewReader(msg))
	for {
		tok, err := d.RawToken()
		if err != nil {
			return "", ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "message-id" {
					return a.Value, se.Name.Local
				}
			}
			return "", se.Name.Local
		}
	}
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
