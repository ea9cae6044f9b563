package benchops

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/netagent/netagent/internal/ncframe"
	"github.com/netagent/netagent/yang"
)

// Wire is a bare NETCONF session on what the netconf adapter runs on:
// x/crypto/ssh (strict known_hosts), the netconf subsystem and the RFC
// 6242 framer, with none of the adapter (no pool, no typed errors, no
// reader goroutine: each RPC is written and its reply read in turn).
type Wire struct {
	client *ssh.Client
	fr     *ncframe.Framer
	id     int
}

// NetconfWire opens a bare session and exchanges hellos (base:1.1).
func NetconfWire(tb testing.TB, host string, port int, user, password, knownHosts string) *Wire {
	tb.Helper()
	hk, err := knownhosts.New(knownHosts)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.Password(password)}, HostKeyCallback: hk, Timeout: 10 * time.Second}
	c, err := ssh.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := c.NewSession()
	if err != nil {
		tb.Fatal(err)
	}
	w, _ := s.StdinPipe()
	r, _ := s.StdoutPipe()
	if err := s.RequestSubsystem("netconf"); err != nil {
		tb.Fatal(err)
	}
	fr := ncframe.NewFramer(r, w)
	if err := fr.WriteMsg([]byte(`<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>` +
		`<capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>`)); err != nil {
		tb.Fatal(err)
	}
	hello, err := fr.ReadMsg()
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Contains(hello, []byte("urn:ietf:params:netconf:base:1.1")) {
		tb.Fatal("bare netconf: the server does not offer base:1.1")
	}
	fr.Chunked = true
	return &Wire{client: c, fr: fr}
}

// Close ends the session.
func (w *Wire) Close() { _ = w.client.Close() }

func (w *Wire) rpc(body string) error {
	w.id++
	if err := w.fr.WriteMsg([]byte(`<rpc message-id="` + strconv.Itoa(w.id) +
		`" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">` + body + `</rpc>`)); err != nil {
		return err
	}
	reply, err := w.fr.ReadMsg()
	if err != nil {
		return err
	}
	if bytes.Contains(reply, []byte("rpc-error>")) {
		return fmt.Errorf("rpc-error: %s", reply)
	}
	return nil
}

// Op is NetconfOp on the bare session: lock, edit-config, commit, unlock.
func (w *Wire) Op(changes []yang.Change) error {
	payload, err := yang.EncodeEditConfig(changes)
	if err != nil {
		return err
	}
	for _, step := range []struct{ name, body string }{
		{"lock", "<lock><target><candidate/></target></lock>"},
		{"edit-config", "<edit-config><target><candidate/></target>" + string(payload) + "</edit-config>"},
		{"commit", "<commit/>"},
		{"unlock", "<unlock><target><candidate/></target></unlock>"},
	} {
		if err := w.rpc(step.body); err != nil {
			return fmt.Errorf("bare netconf %s: %w", step.name, err)
		}
	}
	return nil
}
