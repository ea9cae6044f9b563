package gnmisrv

import (
	"errors"
	"fmt"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/lab/datastore"
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
		"resource-denied": codes.FailedPrecondition, "lock-denied": codes.Aborted, "invalid-value": codes.InvalidArgument} {
		if got := rejectCode(tag); got != want {
			t.Errorf("rejectCode(%q) = %v, want %v", tag, got, want)
		}
	}
}
