package gnmi

import (
	"strings"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"
)

// TestParsePath: the conversion of a parsed path into a gNMI path (keys
// into the element's key map, escapes resolved).
func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want *gpb.Path
		err  bool
	}{
		{"/interfaces/interface[name=eth1]/state/counters", &gpb.Path{Elem: []*gpb.PathElem{
			{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "eth1"}}, {Name: "state"}, {Name: "counters"}}}, false},
		{`/a[k=x\]y][j=2]`, &gpb.Path{Elem: []*gpb.PathElem{{Name: "a", Key: map[string]string{"k": "x]y", "j": "2"}}}}, false},
		{"/", &gpb.Path{}, false},
		// The syntax itself is yang.ParseAnyPath's (tested there): its
		// errors come through.
		{"a/b", nil, true},
	}
	for _, tc := range tests {
		got, err := ParsePath(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%q: err = %v", tc.in, err)
			continue
		}
		if d := cmp.Diff(tc.want, got, protocmp.Transform()); d != "" && !tc.err {
			t.Errorf("%q (-want +got):\n%s", tc.in, d)
		}
	}
}

func TestScalar(t *testing.T) {
	tests := []struct {
		v    *gpb.TypedValue
		want any
	}{
		{&gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: 7}}, uint64(7)},
		{&gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(`"18446744073709551615"`)}}, uint64(18446744073709551615)},
		{&gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(`1500`)}}, uint64(1500)},
		{&gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(`"UP"`)}}, "UP"},
		{&gpb.TypedValue{Value: &gpb.TypedValue_DoubleVal{DoubleVal: 0.5}}, 0.5},
	}
	for _, tc := range tests {
		if got := Scalar(tc.v); got != tc.want {
			t.Errorf("Scalar(%v) = %#v, want %#v", tc.v, got, tc.want)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"/interfaces/interface[name=eth1]/state/counters", `/a[k=x\]y][j=2]`, "/", "/a[b=]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		for _, e := range p.GetElem() {
			if strings.Contains(e.GetName(), ":") {
				return // module prefixes are dropped on printing
			}
		}
		// print, parse again: the same path
		again, err := ParsePath(PathString(nil, p))
		if err != nil {
			t.Fatalf("%q -> %q: %v", s, PathString(nil, p), err)
		}
		if d := cmp.Diff(p, again, protocmp.Transform()); d != "" {
			t.Fatalf("%q round trip (-first +second):\n%s", s, d)
		}
	})
}
