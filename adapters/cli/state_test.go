package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/yang"
)

func TestParseInterfaces(t *testing.T) {
	tests := []struct {
		name, out string
		want      []adapters.Update
	}{
		{"FRR 8.4", `Interface eth1 is up, line protocol is up
  Link ups:       1    last: 2026/11/22 07:00:00.00
  index 3 metric 0 mtu 1500 speed 10000
  input packets 10, bytes 860, dropped 2, multicast packets 0
  input errors 1, length 0, overrun 0, CRC 0, frame 0, fifo 0, missed 0
  output packets 12, bytes 936, dropped 0
Interface lo is administratively down, line protocol is down
`, []adapters.Update{
			{Path: "/interfaces/interface[name=eth1]/state/admin-status", Value: "UP"},
			{Path: "/interfaces/interface[name=eth1]/state/oper-status", Value: "UP"},
			{Path: "/interfaces/interface[name=eth1]/state/counters/in-pkts", Value: uint64(10)},
			{Path: "/interfaces/interface[name=eth1]/state/counters/in-octets", Value: uint64(860)},
			{Path: "/interfaces/interface[name=eth1]/state/counters/out-pkts", Value: uint64(12)},
			{Path: "/interfaces/interface[name=eth1]/state/counters/out-octets", Value: uint64(936)},
			{Path: "/interfaces/interface[name=eth1]/state/counters/in-errors", Value: uint64(1)},
			{Path: "/interfaces/interface[name=eth1]/state/counters/in-discards", Value: uint64(2)},
			{Path: "/interfaces/interface[name=lo]/state/admin-status", Value: "DOWN"},
			{Path: "/interfaces/interface[name=lo]/state/oper-status", Value: "DOWN"},
		}},
		{"EOS", `Ethernet1 is down, line protocol is down (notconnect)
  Hardware is Ethernet, address is 001c.7300.0001
     5 minutes input rate 0 bps (0.0% with 0 packets/sec)
     15 packets input, 1234 bytes
     0 input errors, 0 CRC, 0 alignment, 0 symbol, 3 input discards
     20 packets output, 2345 bytes
`, []adapters.Update{
			{Path: "/interfaces/interface[name=Ethernet1]/state/admin-status", Value: "UP"},
			{Path: "/interfaces/interface[name=Ethernet1]/state/oper-status", Value: "DOWN"},
			{Path: "/interfaces/interface[name=Ethernet1]/state/counters/in-pkts", Value: uint64(15)},
			{Path: "/interfaces/interface[name=Ethernet1]/state/counters/in-octets", Value: uint64(1234)},
			{Path: "/interfaces/interface[name=Ethernet1]/state/counters/out-pkts", Value: uint64(20)},
			{Path: "/interfaces/interface[name=Ethernet1]/state/counters/out-octets", Value: uint64(2345)},
			{Path: "/interfaces/interface[name=Ethernet1]/state/counters/in-errors", Value: uint64(0)},
			{Path: "/interfaces/interface[name=Ethernet1]/state/counters/in-discards", Value: uint64(3)},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, ParseInterfaces(tc.out)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if !selected("/interfaces/interface[name=eth1]/state/counters/in-pkts", []string{"/interfaces/interface[name=*]/state/counters"}) ||
		selected("/interfaces/interface[name=eth2]/state/oper-status", []string{"/interfaces/interface[name=eth1]/state"}) {
		t.Error("selected")
	}
}

func FuzzParseInterfaces(f *testing.F) {
	f.Add("Interface eth1 is up, line protocol is up\n  input packets 10, bytes 860, dropped 2\n")
	f.Add("Ethernet1 is up, line protocol is up (connected)\n     15 packets input, 1234 bytes\n")
	f.Fuzz(func(t *testing.T, out string) {
		for _, u := range ParseInterfaces(out) {
			if _, err := yang.ParseAnyPath(u.Path); err != nil {
				t.Fatalf("unparsable path %q: %v", u.Path, err)
			}
		}
	})
}
