//go:build interop

package knowledge

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/netagent/netagent/internal/interop"
	"github.com/netagent/netagent/lab/netconfsrv"
)

var updateInterop = flag.Bool("update", false, "rewrite testdata/labelled/interop.jsonl with the messages captured")

// interopFile holds the error messages captured from real yuma123 and FRR.
const interopFile = "testdata/labelled/interop.jsonl"

// caseForTag is the seed case of each NETCONF error-tag.
var caseForTag = map[string]string{
	"lock-denied": "netconf-lock-denied", "in-use": "netconf-in-use", "invalid-value": "netconf-invalid-value",
	"unknown-element": "netconf-unknown-element", "unknown-namespace": "netconf-unknown-namespace",
	"data-missing": "netconf-data-missing", "data-exists": "netconf-data-exists", "bad-element": "netconf-bad-element",
	"missing-element": "netconf-missing-element", "operation-failed": "netconf-operation-failed",
	"malformed-message": "netconf-malformed-message", "access-denied": "netconf-access-denied",
}

var (
	reTag = regexp.MustCompile(`<(?:\w+:)?error-tag>([^<]+)</`)
	reMsg = regexp.MustCompile(`<(?:\w+:)?error-message[^>]*>([^<]*)</`)
)

// TestInteropMessages provokes errors on yuma123's netconfd and FRR's
// vtysh, checks that each real message matches the right case, and with
// -update stores them in the labelled set.
func TestInteropMessages(t *testing.T) {
	b := newBase(t, Options{})
	var captured []labelled
	check := func(o Observation, want string) {
		t.Helper()
		ms, err := b.Lookup(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if len(ms) > 0 {
			got = ms[0].Case.ID
		}
		if got != want {
			t.Errorf("%s %s %q: matched %q, want %s", o.Platform, o.Tag, o.Message, got, want)
		} else {
			t.Logf("%s %-18s %q -> %s (%.2f)", o.Platform, o.Tag, o.Message, got, ms[0].Score)
		}
		captured = append(captured, labelled{Observation: o, Want: want})
	}

	srv := interop.Netconfd(t)
	a := ncSession(t, srv)
	bs := ncSession(t, srv)
	if r := a(1, `<lock><target><candidate/></target></lock>`); !strings.Contains(r, "<ok/>") {
		t.Fatalf("lock: %s", r)
	}
	for i, rpc := range []string{
		`<lock><target><candidate/></target></lock>`,
		`<edit-config><target><candidate/></target><config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>eth1</name><colour>blue</colour></interface></interfaces></config></edit-config>`,
	} {
		if tag, msg, ok := rpcError(bs(i+1, rpc)); ok {
			check(Observation{Device: "yuma", Protocol: "netconf", Platform: "yuma123", Kind: kindOfTag(tag), Tag: tag, Message: msg}, caseForTag[tag])
		} else {
			t.Errorf("rpc %d gave no rpc-error", i+1)
		}
	}
	a(2, `<unlock><target><candidate/></target></unlock>`)
	for i, rpc := range []string{
		`<edit-config><target><candidate/></target><config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"><name>nope</name></interface></interfaces></config></edit-config>`,
		`<edit-config><target><candidate/></target><config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>eth1</name><enabled>maybe</enabled></interface></interfaces></config></edit-config>`,
		`<edit-config><target><candidate/></target><config><widgets xmlns="urn:example:widgets"><widget>1</widget></widgets></config></edit-config>`,
		`<get-config><source><nowhere/></source></get-config>`,
	} {
		if tag, msg, ok := rpcError(bs(10+i, rpc)); ok {
			want, known := caseForTag[tag]
			if !known {
				t.Errorf("yuma123 answered error-tag %q (%q): no seed case for it", tag, msg)
				continue
			}
			check(Observation{Device: "yuma", Protocol: "netconf", Platform: "yuma123", Kind: kindOfTag(tag), Tag: tag, Message: msg}, want)
		} else {
			t.Errorf("rpc %d gave no rpc-error", 10+i)
		}
	}

	interop.FRR(t)
	// The label is what FRR's own words say the error is.
	frrCase := func(line string) string {
		switch {
		case strings.HasPrefix(line, "% Unknown command"):
			return "cli-frr-unknown-command"
		case strings.HasPrefix(line, "% Command incomplete"):
			return "cli-incomplete"
		case strings.HasPrefix(line, "% Ambiguous command"):
			return "cli-frr-ambiguous"
		case strings.Contains(line, "alformed"), strings.Contains(line, "nconsistent"):
			return "cli-frr-malformed-address"
		}
		return ""
	}
	for _, tc := range []struct {
		cmds []string
	}{
		{[]string{"configure terminal", "frobnicate the router"}},
		{[]string{"configure terminal", "ip route 10.9.0.0/24"}},
		{[]string{"configure terminal", "i"}},
		{[]string{"configure terminal", "interface eth1", "mtu"}},
		{[]string{"sh ip"}},
	} {
		args := []string{}
		for _, c := range tc.cmds {
			args = append(args, "-c", c)
		}
		out, _ := exec.Command("vtysh", args...).CombinedOutput() // vtysh exits non-zero on the error
		line := ""
		for _, l := range interop.Lines(string(out)) {
			if strings.HasPrefix(l, "%") {
				line = l
				break
			}
		}
		if line == "" {
			t.Errorf("vtysh %v: no %% line in %q", tc.cmds, out)
			continue
		}
		check(Observation{Device: "frr", Protocol: "cli", Platform: "frr", Kind: "rejected", Tag: "%", Message: line}, frrCase(line))
	}

	if *updateInterop && !t.Failed() {
		f, err := os.Create(interopFile)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for _, l := range captured {
			b, _ := json.Marshal(l)
			w.Write(append(b, '\n'))
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func kindOfTag(tag string) string {
	switch tag {
	case "lock-denied", "in-use":
		return "locked"
	case "access-denied":
		return "auth"
	case "unknown-namespace", "operation-not-supported":
		return "unsupported"
	}
	return "rejected"
}

func rpcError(reply string) (tag, msg string, ok bool) {
	m := reTag.FindStringSubmatch(reply)
	if m == nil {
		return "", "", false
	}
	tag = strings.TrimSpace(m[1])
	if mm := reMsg.FindStringSubmatch(reply); mm != nil {
		msg = strings.TrimSpace(mm[1])
	}
	return tag, msg, true
}

// ncSession opens a raw NETCONF 1.0 session to srv and returns its rpc.
func ncSession(t *testing.T, srv interop.Server) func(id int, body string) string {
	t.Helper()
	hk, err := knownhosts.New(srv.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := ssh.Dial("tcp", srv.Addr, &ssh.ClientConfig{User: srv.User, Auth: []ssh.AuthMethod{ssh.Password(srv.Password)},
		HostKeyCallback: hk, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
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
	// netconfd may drop an rpc that arrives while it is still setting the
	// session up after the hello.
	time.Sleep(500 * time.Millisecond)
	return func(id int, body string) string {
		if err := fr.WriteMsg([]byte(fmt.Sprintf(`<rpc message-id="%d" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">%s</rpc>`, id, body))); err != nil {
			t.Fatal(err)
		}
		reply, err := fr.ReadMsg()
		if err != nil {
			t.Fatal(err)
		}
		return string(reply)
	}
}
