package lab

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/lab/topo"
)

const twoNode = `name: t2
topology:
  nodes:
    r1:
      kind: nokia_srlinux
      labels: {netagent.protocols: "netconf,gnmi,cli", netagent.cli-platform: frr}
    r2:
      kind: arista_ceos
      labels: {netagent.protocols: "cli,gnmi,netconf"}
  links:
    - endpoints: ["r1:e1-1", "r2:eth1"]
`

// startLab starts a lab from YAML in a temporary state directory.
func startLab(t testing.TB, src string) *Lab {
	t.Helper()
	tp, err := topo.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Start(context.Background(), tp, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

func startLabNoCleanup(t testing.TB) *Lab {
	t.Helper()
	tp, err := topo.Parse([]byte(twoNode))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Start(context.Background(), tp, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestStartWritesFiles(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	for _, p := range []string{l.KnownHostsPath(), l.InventoryPath(), l.TopologyDataPath(), l.AnsibleInventoryPath(),
		filepath.Join(l.Dir(), "credentials", "lab.password"), filepath.Join(l.Dir(), "keys", "r1.key"), filepath.Join(l.Dir(), stateFile)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	kh, _ := os.ReadFile(l.KnownHostsPath())
	d, _ := l.Device("r1")
	ep, ok := d.Endpoint(ProtoNETCONF)
	if !ok {
		t.Fatal("r1 has no netconf endpoint")
	}
	if want := "[127.0.0.1]:" + itoa(ep.Port) + " " + d.HostKey; !strings.Contains(string(kh), want) {
		t.Errorf("known_hosts lacks %q:\n%s", want, kh)
	}
	inv, _ := os.ReadFile(l.InventoryPath())
	for _, want := range []string{"known_hosts: known_hosts", "password_file: credentials/lab.password", "name: r1", "kind: nokia_srlinux", "platform: frr"} {
		if !strings.Contains(string(inv), want) {
			t.Errorf("inventory lacks %q:\n%s", want, inv)
		}
	}
	// Ports never collide.
	seen := map[int]string{}
	for _, d := range l.Devices() {
		for _, e := range d.Endpoints {
			if prev, dup := seen[e.Port]; dup {
				t.Errorf("port %d used by %s and %s/%s", e.Port, prev, d.Name, e.Protocol)
			}
			seen[e.Port] = d.Name + "/" + e.Protocol
		}
	}
	if got := len(seen); got != 6 {
		t.Errorf("got %d endpoints, want 6", got)
	}
}

func TestHostKeysPersist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tp, err := topo.Parse([]byte(twoNode))
	if err != nil {
		t.Fatal(err)
	}
	var keys [2]string
	var pws [2]string
	for i := range keys {
		l, err := Start(context.Background(), tp, Options{Dir: dir, NoAdmin: true})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := l.Device("r2")
		keys[i], pws[i] = d.HostKey, l.Credentials().Password
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if keys[0] != keys[1] || keys[0] == "" {
		t.Errorf("host key changed across restarts: %q vs %q", keys[0], keys[1])
	}
	if pws[0] != pws[1] || len(pws[0]) < 12 {
		t.Errorf("password changed or too short across restarts: %q vs %q", pws[0], pws[1])
	}
}

func TestInitialConfigValid(t *testing.T) {
	t.Parallel()
	l := startLab(t, twoNode)
	tr, err := l.Running("r2")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := tr.GetPath("/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.1]/config/prefix-length"); v != uint64(31) {
		t.Errorf("r2 eth1 address: got %v\n%s", v, tr)
	}
	if _, err := l.Running("nope"); err == nil {
		t.Error("Running of an unknown device: want an error")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func dialTCP(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, time.Second) }

func TestPersonalities(t *testing.T) {
	t.Parallel()
	tests := []struct {
		node      string
		want      []string
		platform  string
		wantError bool
	}{
		{"{kind: nokia_srlinux}", []string{"gnmi", "netconf"}, "", false},
		{"{kind: arista_ceos}", []string{"gnmi", "cli"}, "eos", false},
		{"{kind: linux}", []string{"cli"}, "frr", false},
		{"{kind: juniper_crpd}", []string{"netconf", "gnmi"}, "", false},
		{"{kind: bridge}", nil, "", false},
		{`{kind: linux, labels: {netagent.protocols: "netconf,cli", netagent.cli-platform: eos}}`, []string{"netconf", "cli"}, "eos", false},
		{`{kind: nokia_srlinux, labels: {netagent.protocols: "cli"}}`, []string{"cli"}, "srl", false},
		{`{kind: linux, labels: {netagent.protocols: "snmp"}}`, nil, "", true},
		{`{kind: linux, labels: {netagent.cli-platform: junos}}`, nil, "", true},
		{"{kind: linux, image: quay.io/frrouting/frr:10.2.1}", []string{"cli"}, "frr", false},
		{"{kind: linux, image: frr:10}", []string{"cli"}, "frr", false},
		{"{kind: linux, image: wbitt/network-multitool:alpine-extra}", nil, "", false},
		{`{kind: linux, image: alpine:3, labels: {netagent.cli-platform: frr}}`, []string{"cli"}, "frr", false},
		{`{kind: linux, image: alpine:3, labels: {netagent.protocols: "netconf"}}`, []string{"netconf"}, "", false},
		{`{kind: nokia_srlinux, labels: {netagent.protocols: ""}}`, nil, "", false},
		{"{kind: nokia_srsim}", []string{"gnmi", "netconf"}, "", false},
		{"{kind: vr-sros}", []string{"gnmi", "netconf"}, "", false},
		{"{kind: cisco_xrv}", []string{"gnmi", "netconf"}, "", false},
		{"{kind: cisco_c8000v}", []string{"netconf", "gnmi"}, "", false},
		{"{kind: juniper_cjunosevolved}", []string{"netconf", "gnmi"}, "", false},
		{"{kind: sonic-vs}", []string{"gnmi", "cli"}, "frr", false},
		{"{kind: cvx}", []string{"cli"}, "frr", false},
		{"{kind: fortinet_fortigate}", nil, "", false},
		{"{kind: k8s-kind}", nil, "", false},
		{"{kind: toaster}", nil, "", false},
	}
	for _, tc := range tests {
		tp, err := topo.Parse([]byte("name: p\ntopology:\n  nodes:\n    n1: " + tc.node + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := resolvePersonality(tp.Nodes[0])
		if (err != nil) != tc.wantError {
			t.Errorf("%s: error %v", tc.node, err)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "line 4") {
				t.Errorf("%s: error does not name the line: %v", tc.node, err)
			}
			continue
		}
		if host := tc.want == nil; p.host != host {
			t.Errorf("%s: host = %v, want %v", tc.node, p.host, host)
		}
		if d := cmp.Diff(tc.want, p.protocols); d != "" || p.platform != tc.platform {
			t.Errorf("%s: protocols (-want +got):\n%s platform %q", tc.node, d, p.platform)
		}
	}
}
