package lab

import (
	"strings"
	"testing"
)

// TestNETCONFEditOperations drives every edit-config operation and option
// through scrapligo and checks the running configuration after each.
func TestNETCONFEditOperations(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	nc := ncOpen(t, l, "r1", "1.1")
	const ns = `xmlns="http://openconfig.net/yang/interfaces"`
	const nc0 = `xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"`
	iface := func(attrs, body string) string {
		return `<config><interfaces ` + ns + `><interface ` + attrs + `><name>lo9</name>` + body + `</interface></interfaces></config>`
	}
	rpc := func(body string) string {
		r, err := nc.RPC(withFilter(body))
		if err != nil {
			t.Fatal(err)
		}
		return r.Result
	}
	tests := []struct {
		name    string
		rpc     string
		wantErr string // error-tag, "" for ok
		check   string // a leaf path of running
		want    any
	}{
		{"create", `<edit-config><target><running/></target>` + iface(nc0+` nc:operation="create"`, `<config><name>lo9</name><description>created</description></config>`) + `</edit-config>`,
			"", "/interfaces/interface[name=lo9]/config/description", "created"},
		{"create again is data-exists", `<edit-config><target><running/></target>` + iface(nc0+` nc:operation="create"`, `<config><name>lo9</name></config>`) + `</edit-config>`,
			"data-exists", "/interfaces/interface[name=lo9]/config/description", "created"},
		{"merge", `<edit-config><target><running/></target>` + iface("", `<config><mtu>1400</mtu></config>`) + `</edit-config>`,
			"", "/interfaces/interface[name=lo9]/config/mtu", uint64(1400)},
		{"replace drops what is not given", `<edit-config><target><running/></target>` + iface(nc0+` nc:operation="replace"`, `<config><name>lo9</name><mtu>1300</mtu></config>`) + `</edit-config>`,
			"", "/interfaces/interface[name=lo9]/config/description", nil},
		{"default-operation none ignores bare nodes", `<edit-config><target><running/></target><default-operation>none</default-operation>` + iface("", `<config><mtu>9000</mtu></config>`) + `</edit-config>`,
			"", "/interfaces/interface[name=lo9]/config/mtu", uint64(1300)},
		{"test-only changes nothing", `<edit-config><target><running/></target><test-option>test-only</test-option>` + iface("", `<config><mtu>1280</mtu></config>`) + `</edit-config>`,
			"", "/interfaces/interface[name=lo9]/config/mtu", uint64(1300)},
		{"rollback-on-error is atomic", `<edit-config><target><running/></target><error-option>rollback-on-error</error-option>` + iface("", `<config><description>half</description><mtu>5</mtu></config>`) + `</edit-config>`,
			"invalid-value", "/interfaces/interface[name=lo9]/config/description", nil},
		{"remove of a missing leaf is fine", `<edit-config><target><running/></target>` + iface("", `<config><description `+nc0+` nc:operation="remove"/></config>`) + `</edit-config>`,
			"", "/interfaces/interface[name=lo9]/config/mtu", uint64(1300)},
		{"bad default-operation", `<edit-config><target><running/></target><default-operation>frob</default-operation>` + iface("", "") + `</edit-config>`,
			"invalid-value", "/interfaces/interface[name=lo9]/config/mtu", uint64(1300)},
		{"delete", `<edit-config><target><running/></target>` + iface(nc0+` nc:operation="delete"`, "") + `</edit-config>`,
			"", "/interfaces/interface[name=lo9]/config/mtu", nil},
		{"validate inline config", `<validate><source>` + iface("", `<config><name>lo9</name><mtu>1</mtu></config>`) + `</source></validate>`,
			"invalid-value", "/interfaces/interface[name=lo9]/config/mtu", nil},
		{"unknown datastore", `<get-config><source><startup/></source></get-config>`,
			"invalid-value", "/interfaces/interface[name=lo9]/config/mtu", nil},
	}
	for _, tc := range tests {
		out := rpc(tc.rpc)
		if tc.wantErr == "" && !strings.Contains(out, "<ok/>") {
			t.Errorf("%s: want ok, got %s", tc.name, out)
		}
		if tc.wantErr != "" && !strings.Contains(out, "<error-tag>"+tc.wantErr+"</error-tag>") {
			t.Errorf("%s: want %s, got %s", tc.name, tc.wantErr, out)
		}
		tr, _ := l.Running("r1")
		if got, _ := tr.GetPath(tc.check); got != tc.want {
			t.Errorf("%s: %s = %v, want %v", tc.name, tc.check, got, tc.want)
		}
	}
}

func TestNETCONFCloseSession(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	fr, done := rawSession(t, l, "r1")
	defer done()
	if err := fr.WriteMsg([]byte(`<rpc message-id="9" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><close-session/></rpc>`)); err != nil {
		t.Fatal(err)
	}
	reply, err := fr.ReadMsg()
	if err != nil || !strings.Contains(string(reply), "<ok/>") {
		t.Fatalf("close-session: %v %s", err, reply)
	}
	if msg, err := fr.ReadMsg(); err == nil {
		t.Errorf("session still open after close-session: %s", msg)
	}
}

func TestNETCONFCopyAndDeleteConfig(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	nc := ncOpen(t, l, "r1", "1.0")
	if r, _ := nc.EditConfig("candidate", `<config><interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>e1-1</name><config><description>copied</description></config></interface></interfaces></config>`); r.Failed != nil {
		t.Fatal(r.Result)
	}
	if r, err := nc.CopyConfig("candidate", "running"); err != nil || r.Failed != nil {
		t.Fatalf("copy-config candidate to running: %v %v", err, r.Result)
	}
	if got := descrOf(t, l, "r1"); got != "copied" {
		t.Errorf("after copy-config: %q", got)
	}
	if r, _ := nc.DeleteConfig("running"); r.Failed == nil {
		t.Error("delete-config running accepted")
	}
	if r, err := nc.DeleteConfig("candidate"); err != nil || r.Failed != nil {
		t.Fatalf("delete-config candidate: %v %v", err, r.Result)
	}
}

func TestNETCONFConfigChangeNotifications(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	fr, done := rawSession(t, l, "r1")
	defer done()
	if err := fr.WriteMsg([]byte(`<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"/></rpc>`)); err != nil {
		t.Fatal(err)
	}
	if reply, err := fr.ReadMsg(); err != nil || !strings.Contains(string(reply), "<ok/>") {
		t.Fatalf("create-subscription: %v %s", err, reply)
	}
	// A change made over the CLI arrives as a netconf-config-change.
	drv := cliOpen(t, l, "r1", frrSubmodes)
	if _, err := drv.SendConfigs([]string{"interface e1-1", "mtu 9000", "exit"}); err != nil {
		t.Fatal(err)
	}
	msg, err := fr.ReadMsg()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<netconf-config-change", "<datastore>running</datastore>", "<target>/interfaces/interface[name='e1-1']/config/mtu</target><operation>merge</operation>"} {
		if !strings.Contains(string(msg), want) {
			t.Errorf("notification lacks %q: %s", want, msg)
		}
	}
	// The session still answers RPCs.
	if err := fr.WriteMsg([]byte(`<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"/></rpc>`)); err != nil {
		t.Fatal(err)
	}
	if reply, err := fr.ReadMsg(); err != nil || !strings.Contains(string(reply), "operation-failed") {
		t.Errorf("second subscription: %v %s", err, reply)
	}
}
