package netconfsrv

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/sshsrv"
	"github.com/netagent/netagent/yang"
)

// FuzzDispatch feeds arbitrary messages to the RPC handler: it never
// panics, always answers with one rpc-reply, and leaves running valid.
func FuzzDispatch(f *testing.F) {
	for _, seed := range []string{
		`<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source></get-config></rpc>`,
		`<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><edit-config><target><candidate/></target><config><interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>x</name><config><mtu>9000</mtu></config></interface></interfaces></config></edit-config></rpc>`,
		`<rpc message-id="3" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><commit><confirmed/><confirm-timeout>5</confirm-timeout></commit></rpc>`,
		`<rpc message-id="4" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get><filter type="subtree"><interfaces xmlns="http://openconfig.net/yang/interfaces"/></filter></get></rpc>`,
		`<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><lock><target><candidate/></target></lock></rpc>`,
		`<rpc message-id="6" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><edit-config><target><running/></target><config><interfaces xmlns="http://openconfig.net/yang/interfaces"><interface xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"><name>e1</name></interface></interfaces></config></edit-config></rpc>`,
		`<rpc message-id="7"`, `<x/>`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		tr := yang.NewTree()
		_ = tr.Set(yang.InterfacePath("e1").Leaf("config", "mtu"), uint64(1500))
		st := datastore.New("fuzz", tr)
		defer st.Close()
		srv := &Server{cfg: Config{Config: sshsrv.Config{Device: "fuzz"}, Store: st, Faults: fault.NewSet()}, sessions: map[uint32]*session{}}
		var out bytes.Buffer
		s := &session{id: 1, srv: srv, fr: NewFramer(nil, &out)}
		_, err := s.dispatch(context.Background(), msg)
		if s.stopNotify != nil {
			s.stopNotify()
			<-s.notifyDone
		}
		if err != nil {
			t.Fatalf("dispatch: %v", err)
		}
		reply := out.String()
		if strings.Count(reply, "]]>]]>") != 1 || !strings.Contains(reply, "<rpc-reply") {
			t.Fatalf("reply to %q: %q", msg, reply)
		}
		if err := yang.Validate(st.Running()); err != nil {
			t.Fatalf("running invalid after %q: %v", msg, err)
		}
	})
}
