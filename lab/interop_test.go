//go:build interop

package lab

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Interop: clients we did not write (Debian's python3-ncclient and
// python3-netmiko, installed by `make interop`) drive the lab. A missing
// client is a failure, not a skip.

const debianPython = "/usr/bin/python3"

func runPython(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, debianPython, args...).CombinedOutput()
	t.Logf("%s", out)
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("%s: %v", args[0], err)
	}
}

func TestInteropNcclient(t *testing.T) {
	l := startLab(t, twoNode)
	d, _ := l.Device("r1")
	ep, _ := d.Endpoint(ProtoNETCONF)
	c := l.Credentials()
	runPython(t, "testdata/interop/ncclient_check.py", ep.Host, strconv.Itoa(ep.Port), c.Username, c.Password)
}

func TestInteropNetmiko(t *testing.T) {
	l := startLab(t, twoNode)
	c := l.Credentials()
	for _, tc := range []struct{ dev, deviceType, ifname string }{
		{"r1", "cisco_ios", "e1-1"}, // FRR vtysh behaves as netmiko's cisco_ios expects
		{"r2", "arista_eos", "eth1"},
	} {
		t.Run(tc.dev, func(t *testing.T) {
			d, _ := l.Device(tc.dev)
			ep, _ := d.Endpoint(ProtoCLI)
			runPython(t, "testdata/interop/netmiko_check.py", tc.deviceType, ep.Host, strconv.Itoa(ep.Port), c.Username, c.Password, tc.ifname)
		})
	}
}
