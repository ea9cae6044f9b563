package netconf

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/yang"
)

const getReply = `<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="7"><data>
<interfaces xmlns="http://openconfig.net/yang/interfaces">
  <interface><name>eth1</name>
    <state><counters><in-octets>1234</in-octets><out-octets>99</out-octets></counters><oper-status>UP</oper-status></state>
  </interface>
  <interface><name>eth2</name><state><counters><in-octets>5</in-octets></counters></state></interface>
</interfaces>
<system xmlns="http://openconfig.net/yang/system"><cpus><cpu><index>ALL</index><state><total><instant>12.5</instant></total></state></cpu></cpus></system>
</data></rpc-reply>`

func TestFlatten(t *testing.T) {
	subs := []yang.Path{
		mustAny("/interfaces/interface[name=*]/state"),
		mustAny("/system/cpus/cpu[index=ALL]/state"),
	}
	got, err := Flatten([]byte(getReply), subs)
	if err != nil {
		t.Fatal(err)
	}
	want := []adapters.Update{
		{Path: "/interfaces/interface[name=eth1]/state/counters/in-octets", Value: uint64(1234)},
		{Path: "/interfaces/interface[name=eth1]/state/counters/out-octets", Value: uint64(99)},
		{Path: "/interfaces/interface[name=eth1]/state/oper-status", Value: "UP"},
		{Path: "/interfaces/interface[name=eth2]/state/counters/in-octets", Value: uint64(5)},
		{Path: "/system/cpus/cpu[index=ALL]/state/total/instant", Value: 12.5},
	}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if f := stateFilter(subs); f != `<interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><state></state></interface></interfaces>`+
		`<system xmlns="http://openconfig.net/yang/system"><cpus><cpu><index>ALL</index><state></state></cpu></cpus></system>` {
		t.Errorf("filter = %s", f)
	}
}

func mustAny(s string) yang.Path {
	p, err := yang.ParseAnyPath(s)
	if err != nil {
		panic(err)
	}
	return p
}

func FuzzFlatten(f *testing.F) {
	f.Add([]byte(getReply))
	f.Add([]byte(`<data><a><b>1</b></a></data>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ups, err := Flatten(data, []yang.Path{mustAny("/interfaces/interface[name=*]")})
		if err != nil {
			return
		}
		for _, u := range ups {
			if _, err := yang.ParseAnyPath(u.Path); err != nil {
				t.Fatalf("Flatten produced an unparsable path %q: %v", u.Path, err)
			}
		}
	})
}
