package adapters

import (
	"bytes"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadInventoryNetagent(t *testing.T) {
	t.Setenv("NETAGENT_TEST_PW", "from-env")
	inv, err := LoadInventory("testdata/inventory.yml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := inv.Names(), []string{"leaf1", "spine1"}; !cmp.Equal(got, want) {
		t.Errorf("names (-want +got):\n%s", cmp.Diff(want, got))
	}
	if !filepath.IsAbs(inv.KnownHosts) || filepath.Base(inv.KnownHosts) != "known_hosts" {
		t.Errorf("known_hosts = %q, want an absolute path beside the inventory", inv.KnownHosts)
	}
	leaf, _ := inv.Device("leaf1")
	want := []ProtocolSpec{{Name: GNMI, Port: 41001}, {Name: NETCONF, Port: 41002}, {Name: CLI, Port: 41003, Platform: "eos"}}
	if d := cmp.Diff(want, leaf.Protocols); d != "" {
		t.Errorf("leaf1 protocols (-want +got):\n%s", d)
	}
	spine, _ := inv.Device("spine1")
	if d := cmp.Diff([]ProtocolSpec{{Name: CLI, Port: 22, Platform: "frr"}}, spine.Protocols); d != "" {
		t.Errorf("spine1 default protocols for kind linux (-want +got):\n%s", d)
	}
	tests := []struct {
		dev  string
		want Credentials
	}{
		{"leaf1", Credentials{Username: "admin", Password: "s3cret"}},
		{"spine1", Credentials{Username: "ops", Password: "from-env"}},
	}
	for _, tc := range tests {
		got, err := inv.ResolveCredentials(tc.dev)
		if err != nil {
			t.Fatalf("%s: %v", tc.dev, err)
		}
		if got.Username != tc.want.Username || got.Password.Reveal() != tc.want.Password.Reveal() {
			t.Errorf("%s: credentials = %s/%s, want %s/%s", tc.dev, got.Username, got.Password.Reveal(), tc.want.Username, tc.want.Password.Reveal())
		}
	}
	if got := inv.Select(map[string]string{"role": "leaf"}); len(got) != 1 || got[0].Name != "leaf1" {
		t.Errorf("Select(role=leaf) = %v", got)
	}
	ts, err := inv.Targets("leaf1", TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 3 || ts[1].Addr() != "127.0.0.1:41002" || ts[1].HostKeys == nil || ts[0].Timeouts.RPC != DefaultTimeouts.RPC {
		t.Errorf("targets = %+v", ts)
	}
}

func TestInventoryErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		yaml   string
		device string // device whose credentials are resolved; "" checks the load error
		want   []string
	}{
		{"unknown platform", `credentials: {c: {username: a, password_env: X}}
devices: [{name: r1, address: 10.0.0.1, credentials: c, protocols: [{name: cli, port: 22, platform: junos}]}]`,
			"", []string{"device r1", "protocols[0].platform", `unknown CLI platform "junos"`, "eos, frr"}},
		{"unknown protocol", `credentials: {c: {username: a, password_env: X}}
devices: [{name: r1, address: 10.0.0.1, credentials: c, protocols: [{name: snmp, port: 161}]}]`,
			"", []string{"device r1", `unknown protocol "snmp"`}},
		{"undefined credentials", `devices: [{name: r1, address: 10.0.0.1, credentials: nope, protocols: [{name: gnmi, port: 1}]}]`,
			"", []string{"device r1", `credentials "nope" are not defined`}},
		{"duplicate", `credentials: {c: {username: a, password_env: X}}
devices: [{name: r1, address: a, credentials: c, protocols: [{name: gnmi, port: 1}]}, {name: r1, address: b, credentials: c, protocols: [{name: gnmi, port: 1}]}]`,
			"", []string{"device r1", "listed twice"}},
		{"unknown field", `devices: [{name: r1, adress: a}]`, "", []string{"adress"}},
		{"missing password file", `credentials: {c: {username: a, password_file: secret/none.pw}}
devices: [{name: r1, address: 10.0.0.1, credentials: c, protocols: [{name: gnmi, port: 1}]}]`,
			"r1", []string{"device r1", "password file", "none.pw", "does not exist", "create it"}},
		{"unset env", `credentials: {c: {username: a, password_env: NETAGENT_TEST_UNSET_VAR}}
devices: [{name: r1, address: 10.0.0.1, credentials: c, protocols: [{name: gnmi, port: 1}]}]`,
			"r1", []string{"device r1", "NETAGENT_TEST_UNSET_VAR", "is not set"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yml")
			writeTestFile(t, path, tc.yaml)
			inv, err := LoadInventory(path, LoadOptions{})
			if tc.device != "" {
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				_, err = inv.ResolveCredentials(tc.device)
			}
			if !errors.Is(err, ErrInventory) {
				t.Fatalf("err = %v, want an ErrInventory", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadContainerlab(t *testing.T) {
	inv, err := LoadInventory("testdata/topology-data.json", LoadOptions{KnownHosts: "kh",
		Credentials: map[string]CredentialSource{"c": {Username: "admin", PasswordEnv: "X"}}, DefaultCredentials: "c"})
	if err != nil {
		t.Fatal(err)
	}
	want := []DeviceSpec{
		{Name: "leaf1", Address: "172.20.20.2", Kind: "nokia_srlinux", Credentials: "c",
			Labels:    map[string]string{"role": "leaf", "clab-topology": "mini"},
			Protocols: []ProtocolSpec{{Name: GNMI, Port: 57400, TLS: true}, {Name: NETCONF, Port: 830}}},
		// A linux node with an FRR image is an FRR router; one with another
		// image is a host (client1), unless its labels name a CLI dialect
		// (r4); a firewall appliance (fw) is not configured by netagent.
		{Name: "r3", Address: "172.20.20.11", Kind: "frr", Credentials: "c",
			Labels:    map[string]string{"clab-topology": "mini"},
			Protocols: []ProtocolSpec{{Name: CLI, Port: 22, Platform: "frr"}}},
		{Name: "r4", Address: "172.20.20.13", Kind: "linux", Credentials: "c",
			Labels:    map[string]string{"clab-topology": "mini", "netagent.cli-platform": "frr"},
			Protocols: []ProtocolSpec{{Name: CLI, Port: 22, Platform: "frr"}}},
		{Name: "spine1", Address: "127.0.0.1", Kind: "arista_ceos", Credentials: "c",
			Labels:    map[string]string{"role": "spine", "clab-topology": "mini"},
			Protocols: []ProtocolSpec{{Name: GNMI, Port: 41011}, {Name: CLI, Port: 41012, Platform: "eos"}}},
	}
	if d := cmp.Diff(want, inv.Devices); d != "" {
		t.Errorf("devices (-want +got):\n%s", d)
	}
	if filepath.Base(inv.KnownHosts) != "kh" {
		t.Errorf("known hosts = %q", inv.KnownHosts)
	}
}

func TestLoadAnsible(t *testing.T) {
	inv, err := LoadInventory("testdata/ansible-inventory.yml", LoadOptions{
		Credentials: map[string]CredentialSource{"c": {Username: "admin", PasswordEnv: "X"}}, DefaultCredentials: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := inv.Names(), []string{"leaf1", "spine1"}; !cmp.Equal(got, want) {
		t.Fatalf("names (-want +got):\n%s", cmp.Diff(want, got))
	}
	spine, _ := inv.Device("spine1")
	if spine.Address != "172.20.20.3" || spine.Credentials != "ansible-arista_ceos" {
		t.Errorf("spine1 = %+v", spine)
	}
	c, err := inv.ResolveCredentials("spine1")
	if err != nil || c.Username != "admin" || c.Password.Reveal() != "admin" {
		t.Errorf("spine1 credentials = %v, %v", c, err)
	}
}

func TestSecretsRedacted(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	c := Credentials{Username: "admin", Password: "hunter2"}
	tg := Target{Device: "r1", Address: "127.0.0.1", Protocol: ProtocolSpec{Name: GNMI, Port: 1}, Credentials: c}
	log.Info("x", "creds", c, "pw", c.Password, "target", tg)
	log.Info("y", "fmt", strings.Join([]string{c.Password.String()}, ""))
	if strings.Contains(buf.String(), "hunter2") {
		t.Fatalf("password leaked into logs:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "password_set=true") {
		t.Errorf("log lacks password_set: %s", buf.String())
	}
}

func FuzzParseInventory(f *testing.F) {
	for _, p := range []string{"testdata/inventory.yml", "testdata/topology-data.json", "testdata/ansible-inventory.yml"} {
		f.Add(readTestFile(f, p))
	}
	f.Add([]byte("devices: [{name: a}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := ParseInventory(data, "/fuzz/inv.yml")
		if err != nil {
			if !errors.Is(err, ErrInventory) {
				t.Fatalf("error %v is not an ErrInventory", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, d := range inv.Devices {
			if d.Name == "" || seen[d.Name] || len(d.Protocols) == 0 {
				t.Fatalf("accepted an invalid device %+v", d)
			}
			seen[d.Name] = true
		}
	})
}
