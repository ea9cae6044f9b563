package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/yang"
)

func TestDeviceCommands(t *testing.T) {
	t.Setenv("NETAGENT_DATA_DIR", t.TempDir()) // device set writes the audit log there
	tp, err := topo.Parse([]byte(`name: dev
topology:
  nodes:
    r1: {kind: nokia_srlinux}
    r2: {kind: linux}
  links:
    - endpoints: ["r1:e1-1", "r2:eth1"]
`))
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(context.Background(), tp, lab.Options{Dir: t.TempDir(), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	inv := l.InventoryPath()
	mtu := "/interfaces/interface[name=eth1]/config/mtu"

	// FRR has no interface mtu command: refused before anything is sent.
	out, err := runCLI(t, "", "device", "set", "--inventory", inv, "r2", mtu, "9100")
	if err == nil || !strings.Contains(err.Error(), "cannot set "+mtu) || !strings.Contains(err.Error(), "FRR has no interface mtu command") {
		t.Errorf("set mtu on FRR: %v, want it refused with the reason\n%s", err, out)
	}
	running, _ := l.Running("r2")
	if v, _ := running.Get(yang.MustParsePath(mtu)); v != uint64(1500) {
		t.Errorf("device mtu = %v after the refusal, want 1500", v)
	}
	desc := "/interfaces/interface[name=eth1]/config/description"
	out, err = runCLI(t, "", "device", "set", "--inventory", inv, "r2", desc, "to-r1")
	if err != nil {
		t.Fatalf("set: %v\n%s", err, out)
	}
	if !strings.Contains(out, "to-r1") || !strings.Contains(out, "via cli") {
		t.Errorf("set output:\n%s", out)
	}
	running, _ = l.Running("r2")
	if v, _ := running.Get(yang.MustParsePath(desc)); v != "to-r1" {
		t.Errorf("device description = %v, want to-r1", v)
	}
	out, err = runCLI(t, "", "device", "get", "--inventory", inv, "r2", desc)
	if err != nil || !strings.Contains(out, desc+" = to-r1") {
		t.Errorf("get: %v\n%s", err, out)
	}
	out, err = runCLI(t, "", "device", "ping", "--inventory", inv, "--protocol", "netconf", "r1")
	if err != nil || !strings.Contains(out, "served by netconf") {
		t.Errorf("ping: %v\n%s", err, out)
	}
	// A known_hosts file that does not know the devices: refused, fail closed.
	empty := t.TempDir() + "/known_hosts"
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = runCLI(t, "", "device", "get", "--inventory", inv, "--known-hosts", empty, "r2")
	if !errors.Is(err, adapters.ErrHostKey) {
		t.Errorf("unknown host key: err = %v, want ErrHostKey", err)
	}
	// --ssh-accept-new trusts it and records the key.
	if out, err := runCLI(t, "", "device", "get", "--inventory", inv, "--known-hosts", empty, "--ssh-accept-new", "r2", mtu); err != nil {
		t.Fatalf("accept-new: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(empty); !strings.Contains(string(b), "ssh-ed25519") {
		t.Errorf("accepted key not recorded: %q", b)
	}
}
