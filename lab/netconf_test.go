package lab

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/netconf"
	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/util"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/netconfsrv"
)

// ncOpen opens a scrapligo NETCONF session to dev with framing version
// ("1.0" or "1.1"), checking the host key against the lab's known_hosts.
func ncOpen(t *testing.T, l *Lab, dev, version string) *ncConn {
	t.Helper()
	d, _ := l.Device(dev)
	ep, ok := d.Endpoint(ProtoNETCONF)
	if !ok {
		t.Fatalf("%s has no netconf", dev)
	}
	c := l.Credentials()
	drv, err := netconf.NewDriver(ep.Host,
		options.WithPort(ep.Port),
		options.WithAuthUsername(c.Username),
		options.WithAuthPassword(c.Password),
		options.WithSSHKnownHostsFile(l.KnownHostsPath()),
		options.WithTransportType("standard"),
		options.WithNetconfPreferredVersion(version),
		options.WithTimeoutOps(10*time.Second),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Open(); err != nil {
		t.Fatalf("open netconf %s: %v", dev, err)
	}
	c2 := &ncConn{Driver: drv}
	t.Cleanup(c2.Close)
	return c2
}

// ncConn closes a scrapligo driver once and without waiting forever:
// scrapligo's Close blocks when the server already dropped the session.
type ncConn struct {
	*netconf.Driver
	once sync.Once
}

func (c *ncConn) Close() {
	c.once.Do(func() {
		done := make(chan struct{})
		go func() {
			_ = c.Driver.Close()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	})
}

const editDescr = `<config><interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>e1-1</name><config><description>%s</description></config></interface></interfaces></config>`

func descrOf(t *testing.T, l *Lab, dev string) string {
	t.Helper()
	tr, err := l.Running(dev)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := tr.GetPath("/interfaces/interface[name=e1-1]/config/description")
	s, _ := v.(string)
	return s
}

func TestNETCONFConformance(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"1.0", "1.1"} {
		t.Run("base"+version, func(t *testing.T) {
			t.Parallel()
			l := startLab(t, twoNode)
			nc := ncOpen(t, l, "r1", version)
			for _, c := range []string{"urn:ietf:params:netconf:capability:candidate:1.0", "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
				"urn:ietf:params:netconf:capability:validate:1.1", "urn:ietf:params:netconf:capability:rollback-on-error:1.0"} {
				if !nc.ServerHasCapability(c) {
					t.Errorf("server lacks %s", c)
				}
			}
			if caps := strings.Join(nc.ServerCapabilities(), " "); !strings.Contains(caps, "http://openconfig.net/yang/interfaces?module=openconfig-interfaces&") {
				t.Errorf("server lacks the openconfig-interfaces module capability: %v", nc.ServerCapabilities())
			}
			if nc.SessionID() == 0 {
				t.Error("no session id")
			}
			r, err := nc.Lock("candidate")
			if err != nil || r.Failed != nil {
				t.Fatalf("lock: %v %v", err, r)
			}
			r, err = nc.EditConfig("candidate", fmt.Sprintf(editDescr, "via netconf "+version))
			if err != nil || r.Failed != nil {
				t.Fatalf("edit-config: %v %v %s", err, r.Failed, r.Result)
			}
			if got := descrOf(t, l, "r1"); got != "to r2:eth1" {
				t.Errorf("running changed before commit: %q", got)
			}
			r, err = nc.GetConfig("candidate", opoptions.WithFilter(`<interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>e1-1</name><config><description/></config></interface></interfaces>`))
			if err != nil || r.Failed != nil || !strings.Contains(r.Result, "via netconf "+version) || strings.Contains(r.Result, "<mtu>") {
				t.Fatalf("get-config candidate with filter: %v %v %s", err, r.Failed, r.Result)
			}
			r, err = nc.Validate("candidate")
			if err != nil || r.Failed != nil {
				t.Fatalf("validate: %v %v %s", err, r.Failed, r.Result)
			}
			r, err = nc.Commit()
			if err != nil || r.Failed != nil {
				t.Fatalf("commit: %v %v %s", err, r.Failed, r.Result)
			}
			if got := descrOf(t, l, "r1"); got != "via netconf "+version {
				t.Errorf("running after commit: %q", got)
			}
			r, err = nc.Unlock("candidate")
			if err != nil || r.Failed != nil {
				t.Fatalf("unlock: %v %v %s", err, r.Failed, r.Result)
			}
			// get returns configuration and state.
			r, err = nc.Get(`<interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>e1-1</name><state><oper-status/></state></interface></interfaces>`)
			if err != nil || r.Failed != nil || !strings.Contains(r.Result, "<oper-status>UP</oper-status>") {
				t.Fatalf("get oper-status: %v %v %s", err, r.Failed, r.Result)
			}
			// discard-changes drops candidate edits.
			r, _ = nc.EditConfig("candidate", fmt.Sprintf(editDescr, "discarded"))
			if r.Failed != nil {
				t.Fatal(r.Result)
			}
			r, err = nc.Discard()
			if err != nil || r.Failed != nil {
				t.Fatalf("discard: %v %s", err, r.Result)
			}
			r, _ = nc.GetConfig("candidate")
			if strings.Contains(r.Result, "discarded") {
				t.Errorf("candidate still holds the discarded edit: %s", r.Result)
			}
		})
	}
}

func TestNETCONFErrors(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	nc := ncOpen(t, l, "r1", "1.1")
	tests := []struct {
		name    string
		run     func() (string, error)
		wantTag string
		want    string
	}{
		{"invalid value", func() (string, error) {
			r, err := nc.EditConfig("candidate", `<config><interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>e1-1</name><config><mtu>not-a-number</mtu></config></interface></interfaces></config>`)
			return r.Result, err
		}, "invalid-value", "<error-path>/interfaces/interface[name='e1-1']/config/mtu</error-path>"},
		{"unknown element", func() (string, error) {
			r, err := nc.EditConfig("candidate", `<config><interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>e1-1</name><config><colour>red</colour></config></interface></interfaces></config>`)
			return r.Result, err
		}, "unknown-element", ""},
		{"delete missing", func() (string, error) {
			r, err := nc.EditConfig("candidate", `<config><interfaces xmlns="http://openconfig.net/yang/interfaces"><interface xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"><name>nope</name></interface></interfaces></config>`)
			return r.Result, err
		}, "data-missing", ""},
		{"mtu out of range at commit", func() (string, error) {
			r, err := nc.EditConfig("candidate", `<config><interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>e1-1</name><config><mtu>20</mtu></config></interface></interfaces></config>`)
			if err != nil || r.Failed != nil {
				return r.Result, err
			}
			r, err = nc.Commit()
			_, _ = nc.Discard()
			return r.Result, err
		}, "invalid-value", "<error-path>/interfaces/interface[name='e1-1']/config/mtu</error-path>"},
		{"unsupported operation", func() (string, error) {
			r, err := nc.RPC(opoptions.WithFilter(`<frobnicate/>`))
			return r.Result, err
		}, "operation-not-supported", ""},
		{"persist-id without a pending confirmed commit", func() (string, error) {
			if r, err := nc.EditConfig("candidate", fmt.Sprintf(editDescr, "not committed")); err != nil || r.Failed != nil {
				return r.Result, err
			}
			r, err := nc.Commit(opoptions.WithCommitConfirmedPersistID("X"))
			_, _ = nc.Discard()
			if got := descrOf(t, l, "r1"); got != "to r2:eth1" {
				return "running changed to " + got, err
			}
			return r.Result, err
		}, "invalid-value", "<bad-element>persist-id</bad-element>"},
		{"cancel without pending", func() (string, error) {
			r, err := nc.RPC(opoptions.WithFilter(`<cancel-commit/>`))
			return r.Result, err
		}, "operation-failed", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.run()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "<error-tag>"+tc.wantTag+"</error-tag>") || !strings.Contains(out, tc.want) {
				t.Errorf("want error-tag %s and %q, got %s", tc.wantTag, tc.want, out)
			}
		})
	}
}

func TestNETCONFLockDenied(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	a := ncOpen(t, l, "r1", "1.1")
	b := ncOpen(t, l, "r1", "1.0")
	if r, err := a.Lock("candidate"); err != nil || r.Failed != nil {
		t.Fatalf("lock a: %v %v", err, r.Result)
	}
	r, err := b.Lock("candidate")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("<session-id>%d</session-id>", a.SessionID())
	if r.Failed == nil || !strings.Contains(r.Result, "<error-tag>lock-denied</error-tag>") || !strings.Contains(r.Result, want) {
		t.Fatalf("second lock: want lock-denied naming %s, got %s", want, r.Result)
	}
	r, _ = b.EditConfig("candidate", fmt.Sprintf(editDescr, "b"))
	if r.Failed == nil || !strings.Contains(r.Result, "lock-denied") {
		t.Errorf("edit under another session's lock: %s", r.Result)
	}
	// kill-session releases the lock.
	r, err = b.RPC(opoptions.WithFilter(fmt.Sprintf("<kill-session><session-id>%d</session-id></kill-session>", a.SessionID())))
	if err != nil || r.Failed != nil {
		t.Fatalf("kill-session: %v %s", err, r.Result)
	}
	if r, _ := b.Lock("candidate"); r.Failed != nil {
		t.Errorf("lock after kill-session: %s", r.Result)
	}
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// confirmedCommit starts a lab, opens a NETCONF session to r1 with framing
// version, sets the description in the candidate and commits it as a
// confirmed commit with the timeout (seconds) and opts.
func confirmedCommit(t *testing.T, version, descr string, timeout uint, opts ...util.Option) (*Lab, *ncConn) {
	t.Helper()
	l := startLab(t, twoNode)
	nc := ncOpen(t, l, "r1", version)
	if r, err := nc.EditConfig("candidate", fmt.Sprintf(editDescr, descr)); err != nil || r.Failed != nil {
		t.Fatalf("edit-config: %v %s", err, r.Result)
	}
	opts = append([]util.Option{opoptions.WithCommitConfirmed(), opoptions.WithCommitConfirmTimeout(timeout)}, opts...)
	if r, err := nc.Commit(opts...); err != nil || r.Failed != nil {
		t.Fatalf("confirmed commit: %v %s", err, r.Result)
	}
	if got := descrOf(t, l, "r1"); got != descr {
		t.Fatalf("running after confirmed commit: %q", got)
	}
	return l, nc
}

func TestNETCONFConfirmedCommit(t *testing.T) {
	t.Parallel()
	t.Run("reverts on its own", func(t *testing.T) {
		t.Parallel()
		l, _ := confirmedCommit(t, "1.1", "provisional", 1)
		waitFor(t, "the revert", 5*time.Second, func() bool { return descrOf(t, l, "r1") == "to r2:eth1" })
		st, _ := l.Store("r1")
		if st.Reverts() != 1 {
			t.Errorf("reverts: %d", st.Reverts())
		}
	})
	t.Run("confirmed by a later commit", func(t *testing.T) {
		t.Parallel()
		l, nc := confirmedCommit(t, "1.0", "kept", 1)
		if r, _ := nc.Commit(); r.Failed != nil {
			t.Fatal(r.Result)
		}
		time.Sleep(1500 * time.Millisecond)
		if got := descrOf(t, l, "r1"); got != "kept" {
			t.Errorf("confirmed commit reverted anyway: %q", got)
		}
	})
	t.Run("persist survives the session, persist-id confirms", func(t *testing.T) {
		t.Parallel()
		l, a := confirmedCommit(t, "1.1", "persistent", 60, opoptions.WithCommitConfirmedPersist("tx42"))
		a.Close()
		b := ncOpen(t, l, "r1", "1.1")
		if r, _ := b.Commit(); r.Failed == nil {
			t.Errorf("commit without persist-id confirmed a persistent confirmed commit: %s", r.Result)
		}
		if r, _ := b.Commit(opoptions.WithCommitConfirmedPersistID("tx42")); r.Failed != nil {
			t.Fatalf("confirm with persist-id: %s", r.Result)
		}
		if p, _ := mustStore(t, l, "r1").Pending(); p || descrOf(t, l, "r1") != "persistent" {
			t.Errorf("after confirm: pending %v, descr %q", p, descrOf(t, l, "r1"))
		}
	})
	t.Run("cancel-commit reverts now", func(t *testing.T) {
		t.Parallel()
		l, nc := confirmedCommit(t, "1.1", "cancelled", 60)
		if r, _ := nc.RPC(opoptions.WithFilter("<cancel-commit/>")); r.Failed != nil {
			t.Fatal(r.Result)
		}
		if got := descrOf(t, l, "r1"); got != "to r2:eth1" {
			t.Errorf("after cancel-commit: %q", got)
		}
	})
	t.Run("session end reverts a non-persistent one", func(t *testing.T) {
		t.Parallel()
		l, nc := confirmedCommit(t, "1.1", "gone with the session", 60)
		nc.Close()
		waitFor(t, "the revert at session end", 5*time.Second, func() bool { return descrOf(t, l, "r1") == "to r2:eth1" })
	})
}

func mustStore(t *testing.T, l *Lab, dev string) interface{ Pending() (bool, string) } {
	t.Helper()
	s, err := l.Store(dev)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sshDial opens an SSH connection to dev's proto port with the lab's
// credentials, checking the host key against the lab's known_hosts.
func sshDial(t *testing.T, l *Lab, dev, proto string) *ssh.Client {
	t.Helper()
	d, _ := l.Device(dev)
	ep, ok := d.Endpoint(proto)
	if !ok {
		t.Fatalf("%s has no %s", dev, proto)
	}
	hk, err := knownhosts.New(l.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	c := l.Credentials()
	cl, err := ssh.Dial("tcp", ep.Addr(), &ssh.ClientConfig{User: c.Username, Auth: []ssh.AuthMethod{ssh.Password(c.Password)}, HostKeyCallback: hk, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// rawSession opens an SSH netconf subsystem without a NETCONF library, to
// send what no library would.
func rawSession(t *testing.T, l *Lab, dev string) (*netconfsrv.Framer, func()) {
	t.Helper()
	cl := sshDial(t, l, dev, ProtoNETCONF)
	s, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	w, _ := s.StdinPipe()
	r, _ := s.StdoutPipe()
	if err := s.RequestSubsystem("netconf"); err != nil {
		t.Fatal(err)
	}
	fr := netconfsrv.NewFramer(r, w)
	if _, err := fr.ReadMsg(); err != nil {
		t.Fatal(err)
	}
	if err := fr.WriteMsg([]byte(`<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>`)); err != nil {
		t.Fatal(err)
	}
	return fr, func() { _ = s.Close(); _ = cl.Close() }
}

func TestNETCONFMalformedMessage(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	fr, done := rawSession(t, l, "r1")
	defer done()
	for _, bad := range []string{`<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get>`, `not xml at all`, `<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get/></rpc>`} {
		if err := fr.WriteMsg([]byte(bad)); err != nil {
			t.Fatal(err)
		}
		reply, err := fr.ReadMsg()
		if err != nil {
			t.Fatalf("after %q the session ended: %v", bad, err)
		}
		if !strings.Contains(string(reply), "<rpc-error>") {
			t.Errorf("after %q: want an rpc-error, got %s", bad, reply)
		}
	}
	// The session goes on.
	if err := fr.WriteMsg([]byte(`<rpc message-id="7" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source></get-config></rpc>`)); err != nil {
		t.Fatal(err)
	}
	reply, err := fr.ReadMsg()
	if err != nil || !strings.Contains(string(reply), `message-id="7"`) || !strings.Contains(string(reply), "<data>") {
		t.Fatalf("get-config after errors: %v %s", err, reply)
	}
}

func TestNETCONFFaults(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	nc := ncOpen(t, l, "r1", "1.1")
	if err := l.InjectFault("r1", fault.Fault{Kind: fault.RejectCommit, Protocol: fault.NETCONF, ErrorTag: "resource-denied", Message: "out of TCAM"}); err != nil {
		t.Fatal(err)
	}
	_, _ = nc.EditConfig("candidate", fmt.Sprintf(editDescr, "x"))
	r, _ := nc.Commit()
	if r.Failed == nil || !strings.Contains(r.Result, "<error-tag>resource-denied</error-tag>") || !strings.Contains(r.Result, "out of TCAM") {
		t.Fatalf("commit under reject-commit: %s", r.Result)
	}
	if r, _ := nc.Commit(); r.Failed != nil {
		t.Fatalf("second commit (fault used up): %s", r.Result)
	}
	hits, _ := l.FaultHits("r1")
	if hits["netconf/reject-commit"] != 1 {
		t.Errorf("hits: %v", hits)
	}
	// Down refuses new sessions; clearing it brings the port back.
	if err := l.InjectFault("r1", fault.Fault{Kind: fault.Down, Protocol: fault.NETCONF}); err != nil {
		t.Fatal(err)
	}
	d, _ := l.Device("r1")
	ep, _ := d.Endpoint(ProtoNETCONF)
	if c, err := dialTCP(ep.Addr()); err == nil {
		c.Close()
		t.Error("dial under down: connected")
	}
	if _, err := l.ClearFaults("r1", fault.NETCONF, fault.Down); err != nil {
		t.Fatal(err)
	}
	nc2 := ncOpen(t, l, "r1", "1.0")
	if r, _ := nc2.GetConfig("running"); r.Failed != nil {
		t.Fatal(r.Result)
	}
}

func withFilter(s string) util.Option { return opoptions.WithFilter(s) }

// rawRPC sends one rpc with body over a raw session and returns the reply.
func rawRPC(t *testing.T, fr *netconfsrv.Framer, id int, body string) string {
	t.Helper()
	if err := fr.WriteMsg([]byte(fmt.Sprintf(`<rpc message-id="%d" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">%s</rpc>`, id, body))); err != nil {
		t.Fatal(err)
	}
	reply, err := fr.ReadMsg()
	if err != nil {
		t.Fatalf("rpc %s: %v", body, err)
	}
	return string(reply)
}

// A session whose transport closes while a request hangs (the device
// never answers) is torn down at once: its locks are released and its
// non-persistent confirmed commit reverts, while the fault is still active.
// A commit that has started (waiting under the slow-commit fault) is not
// aborted by the client going away, as on a real device: it completes, and
// the session is torn down after it, so the locks are held until it is done.
// Here that commit confirms the session's confirmed commit, so the change
// stays; had the session been torn down first, it would have reverted.
func TestNETCONFDisconnectWhileHanging(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault fault.Fault
		rpc   string // the request that hangs
		want  string // the description once the session is gone
	}{
		{"hang", fault.Fault{Kind: fault.Hang, Protocol: fault.NETCONF}, `<get-config><source><running/></source></get-config>`, "to r2:eth1"},
		{"slow commit", fault.Fault{Kind: fault.SlowCommit, Protocol: fault.NETCONF, Delay: 2 * time.Second}, `<commit/>`, "provisional"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := startLab(t, twoNode)
			st, err := l.Store("r1")
			if err != nil {
				t.Fatal(err)
			}
			fr, done := rawSession(t, l, "r1")
			defer done()
			for i, body := range []string{
				`<lock><target><running/></target></lock>`,
				`<lock><target><candidate/></target></lock>`,
				`<edit-config><target><candidate/></target>` + fmt.Sprintf(editDescr, "provisional") + `</edit-config>`,
				`<commit><confirmed/><confirm-timeout>600</confirm-timeout></commit>`,
			} {
				if r := rawRPC(t, fr, i+1, body); !strings.Contains(r, "<ok/>") {
					t.Fatalf("%s: %s", body, r)
				}
			}
			if got := descrOf(t, l, "r1"); got != "provisional" {
				t.Fatalf("running after confirmed commit: %q", got)
			}
			if err := l.InjectFault("r1", tc.fault); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = l.ClearFaults("r1", fault.NETCONF, "") })
			if err := fr.WriteMsg([]byte(`<rpc message-id="9" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">` + tc.rpc + `</rpc>`)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the request to hang", 5*time.Second, func() bool { return faultHit(l, "r1", tc.fault) })
			done()
			waitFor(t, "the session's teardown", 5*time.Second, func() bool {
				return st.LockHolder(datastore.Running) == 0 && st.LockHolder(datastore.Candidate) == 0
			})
			if p, _ := st.Pending(); p || descrOf(t, l, "r1") != tc.want {
				t.Errorf("after the session ended: pending %v, description %q, want no pending commit and %q", p, descrOf(t, l, "r1"), tc.want)
			}
		})
	}
}

// faultHit reports whether f has fired on dev.
func faultHit(l *Lab, dev string, f fault.Fault) bool {
	hits, _ := l.FaultHits(dev)
	return hits[string(f.Protocol)+"/"+string(f.Kind)] > 0
}

// kill-session aborts the victim's operations in progress (RFC 6241 7.9),
// a commit waiting under the slow-commit fault included, unlike the
// victim's client going away: its lock goes at once and the commit never
// lands. (The candidate holds the killer's edit, which outlives the victim,
// so a commit that went on would apply it.)
func TestNETCONFKillSessionAbortsSlowCommit(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	st, err := l.Store("r1")
	if err != nil {
		t.Fatal(err)
	}
	victim, doneVictim := rawSession(t, l, "r1")
	defer doneVictim()
	killer, doneKiller := rawSession(t, l, "r1")
	defer doneKiller()
	if r := rawRPC(t, victim, 1, `<lock><target><running/></target></lock>`); !strings.Contains(r, "<ok/>") {
		t.Fatalf("lock: %s", r)
	}
	sid := st.LockHolder(datastore.Running)
	if r := rawRPC(t, killer, 1, `<edit-config><target><candidate/></target>`+fmt.Sprintf(editDescr, "committed by the killed session")+`</edit-config>`); !strings.Contains(r, "<ok/>") {
		t.Fatalf("edit-config: %s", r)
	}
	const delay = time.Second
	slow := fault.Fault{Kind: fault.SlowCommit, Protocol: fault.NETCONF, Delay: delay}
	if err := l.InjectFault("r1", slow); err != nil {
		t.Fatal(err)
	}
	if err := victim.WriteMsg([]byte(`<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><commit/></rpc>`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the commit to wait under the fault", 5*time.Second, func() bool { return faultHit(l, "r1", slow) })
	if r := rawRPC(t, killer, 2, fmt.Sprintf(`<kill-session><session-id>%d</session-id></kill-session>`, sid)); !strings.Contains(r, "<ok/>") {
		t.Fatalf("kill-session: %s", r)
	}
	if h := st.LockHolder(datastore.Running); h != 0 {
		t.Errorf("running still locked by session %d after kill-session", h)
	}
	// Give a commit that was not aborted the time to land.
	time.Sleep(2 * delay)
	if got := descrOf(t, l, "r1"); got != "to r2:eth1" {
		t.Errorf("description %q: the killed session's commit landed", got)
	}
}
