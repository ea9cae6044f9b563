package netconf

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/ncframe"
)

// pipeStream is one end of an in-memory connection, as a client's stream.
type pipeStream struct {
	c      net.Conn
	killed atomic.Bool
}

func (p *pipeStream) Stream() io.ReadWriter { return p.c }
func (p *pipeStream) Kill()                 { p.killed.Store(true); _ = p.c.Close() }
func (p *pipeStream) Closed() bool          { return p.killed.Load() }

// fakeServer answers the client's hello with caps, then runs serve on
// every RPC it reads (in its own goroutine, stopped by the test's end).
func fakeServer(t *testing.T, caps []string, serve func(fr *ncframe.Framer, rpc string)) *client {
	t.Helper()
	a, b := net.Pipe()
	go func() {
		fr := ncframe.NewFramer(b, b)
		hello := `<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>`
		for _, c := range caps {
			hello += "<capability>" + c + "</capability>"
		}
		hello += "</capabilities><session-id>7</session-id></hello>"
		if err := fr.WriteMsg([]byte(hello)); err != nil {
			return
		}
		if _, err := fr.ReadMsg(); err != nil {
			return
		}
		for _, c := range caps {
			fr.Chunked = fr.Chunked || c == capBase11
		}
		for {
			m, err := fr.ReadMsg()
			if err != nil {
				return
			}
			serve(fr, string(m))
		}
	}()
	c, err := newClient(context.Background(), &pipeStream{c: a}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.close(); _ = b.Close() })
	return c
}

func msgID(rpc string) string {
	id, _ := messageID([]byte(rpc))
	return id
}

func TestClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		caps  []string
		reply func(id string) []string // the messages the server sends for one RPC
		want  string
	}{
		{"base 1.1 chunked", []string{capBase10, capBase11}, func(id string) []string {
			return []string{`<rpc-reply message-id="` + id + `" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><ok/></rpc-reply>`}
		}, `<rpc-reply message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><ok/></rpc-reply>`},
		{"base 1.0 end-of-message", []string{capBase10}, func(id string) []string {
			return []string{`<?xml version="1.0"?><rpc-reply message-id='` + id + `'><ok/></rpc-reply>`}
		}, `<rpc-reply message-id='1'><ok/></rpc-reply>`},
		{"notification and stale reply skipped", []string{capBase11}, func(id string) []string {
			return []string{
				`<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><eventTime>x</eventTime></notification>`,
				`<rpc-reply message-id="999"><ok/></rpc-reply>`,
				`<rpc-reply message-id="` + id + `"><data/></rpc-reply>`,
			}
		}, `<rpc-reply message-id="1"><data/></rpc-reply>`},
		{"reply without message-id", []string{capBase11}, func(string) []string {
			return []string{`<rpc-reply><ok/></rpc-reply>`}
		}, `<rpc-reply><ok/></rpc-reply>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := fakeServer(t, tc.caps, func(fr *ncframe.Framer, rpc string) {
				if !strings.Contains(rpc, "<get-config>") {
					return
				}
				for _, m := range tc.reply(msgID(rpc)) {
					_ = fr.WriteMsg([]byte(m))
				}
			})
			got, err := c.call(context.Background(), 2*time.Second, getConfigRPC(""))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("reply = %s, want %s", got, tc.want)
			}
			if c.sessionID != "7" {
				t.Errorf("session-id = %q, want 7", c.sessionID)
			}
		})
	}
}

// TestClientNoReply: an RPC the server never answers times out with an
// error matching context.DeadlineExceeded, and the session is done: the
// next call fails at once.
func TestClientNoReply(t *testing.T) {
	t.Parallel()
	c := fakeServer(t, []string{capBase11}, func(*ncframe.Framer, string) {})
	_, err := c.call(context.Background(), 50*time.Millisecond, commitRPC)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if _, err := c.call(context.Background(), time.Second, commitRPC); err == nil {
		t.Fatal("call on a closed session succeeded")
	}
}

func TestClientBadHello(t *testing.T) {
	t.Parallel()
	for _, hello := range []string{`<rpc-reply/>`, `<hello><capabilities><capability>urn:x</capability></capabilities></hello>`, `<hello`} {
		a, b := net.Pipe()
		go func() {
			fr := ncframe.NewFramer(b, b)
			_ = fr.WriteMsg([]byte(hello))
			_, _ = fr.ReadMsg()
		}()
		ps := &pipeStream{c: a}
		if _, err := newClient(context.Background(), ps, time.Second); err == nil {
			t.Errorf("hello %s accepted", hello)
		}
		if !ps.Closed() {
			t.Errorf("hello %s: stream not killed", hello)
		}
		_ = b.Close()
	}
}

// FuzzMessageID: the reply decoding never panics and finds the id it was given.
func FuzzMessageID(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><rpc-reply message-id="12"><ok/></rpc-reply>`))
	f.Add([]byte(`<rpc-reply><ok/></rpc-reply>`))
	f.Add([]byte(`<notification/>`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, _ = messageID(msg)
		_ = trimDecl(msg)
	})
}

func TestMessageID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ msg, id, root string }{
		{`<?xml version="1.0"?><rpc-reply message-id="12" xmlns="urn:x"><ok/></rpc-reply>`, "12", "rpc-reply"},
		{`<nc:rpc-reply xmlns:nc="urn:x" nc:message-id='7'><ok/></nc:rpc-reply>`, "7", "rpc-reply"},
		{"<!-- hi -->\n<rpc-reply\n  message-id = \"3\"><data/></rpc-reply>", "3", "rpc-reply"},
		{`<rpc-reply xmlns="urn:x" other-message-id="9"><ok/></rpc-reply>`, "", "rpc-reply"},
		{`<rpc-reply/>`, "", "rpc-reply"},
		{`<notification xmlns="urn:n"><eventTime>x</eventTime></notification>`, "", "notification"},
		{`no xml`, "", ""},
	} {
		id, root := messageID([]byte(tc.msg))
		if id != tc.id || root != tc.root {
			t.Errorf("messageID(%q) = %q, %q; want %q, %q", tc.msg, id, root, tc.id, tc.root)
		}
	}
}

// TestWatchdog: the session's one timer kills the transport when the
// running RPC passes its deadline, also when an earlier RPC armed it for
// later; it kills nothing when it fires between RPCs or before the running
// RPC's deadline (it re-arms then).
func TestWatchdog(t *testing.T) {
	t.Parallel()
	t.Run("earlier deadline than armed", func(t *testing.T) {
		t.Parallel()
		killed := make(chan struct{})
		w := newWatchdog(func() { close(killed) })
		defer w.timer.Stop()
		w.start(time.Hour)
		if w.stop() {
			t.Fatal("late right after start")
		}
		w.start(time.Millisecond)
		select {
		case <-killed:
		case <-time.After(time.Minute): // a cap only: the kill is due after 1ms
			t.Fatal("the RPC's deadline passed and the transport was not killed")
		}
		if !w.stop() {
			t.Error("stop after the kill does not report late")
		}
	})
	t.Run("fires while a later deadline runs", func(t *testing.T) {
		t.Parallel()
		var kills atomic.Int32
		w := newWatchdog(func() { kills.Add(1) })
		defer w.timer.Stop()
		w.start(time.Millisecond) // arms the timer for 1ms from now
		_ = w.stop()
		w.start(time.Hour)
		// Wait until the timer has fired and re-armed for the running RPC.
		for {
			w.mu.Lock()
			rearmed := w.fireAt.Equal(w.deadline)
			w.mu.Unlock()
			if rearmed {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if w.stop() || kills.Load() != 0 {
			t.Errorf("killed %d times before the running RPC's deadline", kills.Load())
		}
	})
	t.Run("fires between RPCs", func(t *testing.T) {
		t.Parallel()
		var kills atomic.Int32
		w := newWatchdog(func() { kills.Add(1) })
		defer w.timer.Stop()
		w.start(time.Millisecond)
		_ = w.stop()
		for { // until it fired and found nothing running
			w.mu.Lock()
			unarmed := w.fireAt.IsZero()
			w.mu.Unlock()
			if unarmed {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if kills.Load() != 0 {
			t.Error("the timer killed an idle session")
		}
		w.start(time.Hour)
		if w.stop() {
			t.Error("late after an idle firing")
		}
	})
}
