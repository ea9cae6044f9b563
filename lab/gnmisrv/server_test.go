package gnmisrv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/yang"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	elem := func(name string, kv ...string) *gpb.PathElem {
		e := &gpb.PathElem{Name: name}
		if len(kv) > 0 {
			e.Key = map[string]string{kv[0]: kv[1]}
		}
		return e
	}
	const point = "/interfaces/interface[name=eth1]/state/counters/in-octets"
	tests := []struct {
		name    string
		pattern []*gpb.PathElem
		want    bool
	}{
		{"root", nil, true},
		{"prefix", []*gpb.PathElem{elem("interfaces")}, true},
		{"exact", []*gpb.PathElem{elem("interfaces"), elem("interface", "name", "eth1"), elem("state"), elem("counters"), elem("in-octets")}, true},
		{"other key", []*gpb.PathElem{elem("interfaces"), elem("interface", "name", "eth2")}, false},
		{"wildcard key", []*gpb.PathElem{elem("interfaces"), elem("interface", "name", "*"), elem("state")}, true},
		{"no key means all", []*gpb.PathElem{elem("interfaces"), elem("interface"), elem("state")}, true},
		{"wildcard name", []*gpb.PathElem{elem("interfaces"), elem("*"), elem("state")}, true},
		{"any depth", []*gpb.PathElem{elem("..."), elem("in-octets")}, true},
		{"any depth miss", []*gpb.PathElem{elem("..."), elem("out-octets")}, false},
		{"module prefix", []*gpb.PathElem{elem("openconfig-interfaces:interfaces")}, true},
		{"longer than point", []*gpb.PathElem{elem("interfaces"), elem("interface"), elem("state"), elem("counters"), elem("in-octets"), elem("x")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, got := match(&gpb.Path{Elem: tc.pattern}, point)
			if got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTyped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want *gpb.TypedValue
	}{
		{uint64(7), &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: 7}}},
		{1.5, &gpb.TypedValue{Value: &gpb.TypedValue_DoubleVal{DoubleVal: 1.5}}},
		{true, &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: true}}},
		{"UP", &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: "UP"}}},
	}
	for _, tc := range tests {
		if d := cmp.Diff(tc.want, typed(tc.in), protocmp.Transform()); d != "" {
			t.Errorf("typed(%v) (-want +got):\n%s", tc.in, d)
		}
	}
}

func TestSetCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"lock conflict", fmt.Errorf("set: %w", &datastore.LockError{Target: datastore.Running, Holder: 7}), codes.Aborted},
		{"confirmed commit pending", fmt.Errorf("x: %w", datastore.ErrPending), codes.AlreadyExists},
		{"nothing pending", datastore.ErrNoPending, codes.FailedPrecondition},
		{"wrong id", datastore.ErrPersistID, codes.FailedPrecondition},
		{"invalid", errors.New("mtu out of range"), codes.InvalidArgument},
	}
	for _, tc := range tests {
		if got := setCode(tc.err); got != tc.want {
			t.Errorf("%s: setCode = %v, want %v", tc.name, got, tc.want)
		}
	}
	for tag, want := range map[string]codes.Code{"": codes.FailedPrecondition, "operation-failed": codes.FailedPrecondition,
		"resource-denied": codes.FailedPrecondition, "lock-denied": codes.Aborted, "invalid-value": codes.InvalidArgument,
		"operation-not-supported": codes.Unimplemented, "Unimplemented": codes.Unimplemented, "NotFound": codes.NotFound} {
		if got := rejectCode(tag); got != want {
			t.Errorf("rejectCode(%q) = %v, want %v", tag, got, want)
		}
	}
}

// A Set that has started lands even when its client gives up while it
// waits under the slow-commit fault (here the client's deadline expires):
// a device does not abort a commit it has begun because the caller went
// away, and a client that timed out must find the change in effect when it
// reads back. Before: the wait ended with the RPC's context and the Set
// was lost.
func TestSlowSetLandsAfterTheClientGivesUp(t *testing.T) {
	t.Parallel()
	tr := yang.NewTree()
	_ = tr.Set(yang.InterfacePath("eth1").Leaf("config", "name"), "eth1")
	st := datastore.New("r1", tr)
	defer st.Close()
	faults := fault.NewSet()
	if err := faults.Inject(fault.Fault{Kind: fault.SlowCommit, Protocol: fault.GNMI, Delay: time.Second}); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Device: "r1", Store: st, Faults: faults, Username: "admin", Password: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Close()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mtu := yang.InterfacePath("eth1").Leaf("config", "mtu")
	req, err := yang.EncodeSetRequest([]yang.Change{{Op: yang.OpCreate, Path: mtu, New: uint64(9000)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := metadata.AppendToOutgoingContext(context.Background(), "username", "admin", "password", "lab")
	ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := gpb.NewGNMIClient(conn).Set(ctx, req); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("Set under a slow commit: %v, want DeadlineExceeded", err)
	}
	if v, ok := st.Running().Get(mtu); ok {
		t.Fatalf("mtu %v before the slow commit's delay", v)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v, _ := st.Running().Get(mtu); v == uint64(9000) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Set never landed after its client gave up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ev := st.LastEvent(); ev.Source != "gnmi" {
		t.Errorf("the change landed through %q, want gnmi", ev.Source)
	}
}
