package cli

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
)

const labResources = `CPU utilization: 23.41%
Memory: 1288490188 used of 4294967296 bytes (30.00%)
Power supply PSU1: ACTIVE, 182.25 W
Power supply PSU2: INACTIVE, 0.00 W
`

const labLinks = `Local            Remote           State  Latency(ms)  Jitter(ms)  Loss(%)
leaf1:e1-1       spine1:e1-1      up          1.2345      0.1200   0.0100
leaf1:e1-2       spine2:e1-1      down        0.0000      0.0000 100.0000
`

const labTraffic = `Sessions: 1742
Traffic peak: 912345678.25 bps
Route convergence: 180.50 ms
Application mix:
  https     41.00%
  video     22.50%
`

const eosTop = `top - 12:01:02 up 3:04,  1 user
%Cpu(s):  12.5 us,  2.5 sy,  0.0 ni,  85.0 id,  0.0 wa
KiB Mem : 4194304 total, 3145728 free, 1048576 used
`

const eosPower = `Power                       Input    Output    Output
Supply  Model        Capacity  Current  Current    Power  Status
------- ------------ -------- -------- -------- -------- ------
1       PWR-500AC-R      500W        -        -   181.0W Ok
2       PWR-500AC-R      500W        -        -     0.0W Failed
`

func TestStateShowParsers(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string) []adapters.Update
		in    string
		want  []adapters.Update
	}{
		{"lab resources", ParseLabResources, labResources, []adapters.Update{
			{Path: "/system/cpus/cpu[index=ALL]/state/total/instant", Value: 23.41},
			{Path: "/system/memory/state/used", Value: uint64(1288490188)},
			{Path: "/system/memory/state/physical", Value: uint64(4294967296)},
			{Path: "/lab/system/state/memory-util", Value: 30.0},
			{Path: "/components/component[name=PSU1]/state/oper-status", Value: "ACTIVE"},
			{Path: "/components/component[name=PSU1]/power-supply/state/output-power", Value: 182.25},
			{Path: "/components/component[name=PSU2]/state/oper-status", Value: "INACTIVE"},
			{Path: "/components/component[name=PSU2]/power-supply/state/output-power", Value: 0.0},
		}},
		{"lab links", ParseLabLinks, labLinks, []adapters.Update{
			{Path: "/lab/links/link[local=leaf1:e1-1]/state/remote", Value: "spine1:e1-1"},
			{Path: "/lab/links/link[local=leaf1:e1-1]/state/up", Value: true},
			{Path: "/lab/links/link[local=leaf1:e1-1]/state/latency-ms", Value: 1.2345},
			{Path: "/lab/links/link[local=leaf1:e1-1]/state/jitter-ms", Value: 0.12},
			{Path: "/lab/links/link[local=leaf1:e1-1]/state/loss-pct", Value: 0.01},
			{Path: "/lab/links/link[local=leaf1:e1-2]/state/remote", Value: "spine2:e1-1"},
			{Path: "/lab/links/link[local=leaf1:e1-2]/state/up", Value: false},
			{Path: "/lab/links/link[local=leaf1:e1-2]/state/latency-ms", Value: 0.0},
			{Path: "/lab/links/link[local=leaf1:e1-2]/state/jitter-ms", Value: 0.0},
			{Path: "/lab/links/link[local=leaf1:e1-2]/state/loss-pct", Value: 100.0},
		}},
		{"lab traffic", ParseLabTraffic, labTraffic, []adapters.Update{
			{Path: "/lab/sessions/state/count", Value: uint64(1742)},
			{Path: "/lab/traffic/state/peak-bps", Value: 912345678.25},
			{Path: "/lab/routing/state/convergence-ms", Value: 180.5},
			{Path: "/lab/applications/application[name=https]/state/share", Value: 0.41},
			{Path: "/lab/applications/application[name=video]/state/share", Value: 0.225},
		}},
		{"eos top", ParseEOSTop, eosTop, []adapters.Update{
			{Path: "/system/cpus/cpu[index=ALL]/state/total/instant", Value: 15.0},
			{Path: "/system/memory/state/physical", Value: uint64(4294967296)},
			{Path: "/system/memory/state/used", Value: uint64(1073741824)},
			{Path: "/lab/system/state/memory-util", Value: 25.0},
		}},
		{"eos power", ParseEOSPower, eosPower, []adapters.Update{
			{Path: "/components/component[name=PSU1]/state/oper-status", Value: "ACTIVE"},
			{Path: "/components/component[name=PSU1]/power-supply/state/output-power", Value: 181.0},
			{Path: "/components/component[name=PSU2]/state/oper-status", Value: "INACTIVE"},
			{Path: "/components/component[name=PSU2]/power-supply/state/output-power", Value: 0.0},
		}},
		{"an error line parses as nothing", ParseLabLinks, "% Unknown command: show lab links\n", nil},
		{"garbage", ParseLabTraffic, "Sessions: lots\nTraffic peak: 1e999999 bps\n", nil},
	}
	approx := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.parse(tt.in), approx); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestStateTops(t *testing.T) {
	tests := []struct {
		paths []string
		tops  []string
		ok    bool
	}{
		{[]string{"/system", "/components", "/interfaces/interface/state", "/lab"}, []string{"components", "interfaces", "lab", "system"}, true},
		{[]string{"/interfaces/interface[name=eth1]/state/counters"}, []string{"interfaces"}, true},
		{[]string{"/interfaces"}, nil, false},
		{[]string{"/interfaces/interface[name=eth1]/config/mtu"}, nil, false},
		{[]string{"/system", "/network-instances"}, nil, false},
		{nil, nil, false},
	}
	for _, tt := range tests {
		got, ok := stateTops(tt.paths)
		var names []string
		for _, n := range []string{"components", "interfaces", "lab", "system"} {
			if got[n] {
				names = append(names, n)
			}
		}
		if ok != tt.ok || !cmp.Equal(names, tt.tops) {
			t.Errorf("stateTops(%q) = %v, %v; want %v, %v", tt.paths, names, ok, tt.tops, tt.ok)
		}
	}
}

// fuzzShow checks one show parser: whatever the device prints, every
// update it yields has an absolute path and a finite number.
func fuzzShow(f *testing.F, parse func(string) []adapters.Update) {
	for _, s := range []string{labResources, labLinks, labTraffic, eosTop, eosPower} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		for _, u := range parse(out) {
			if u.Path == "" || u.Path[0] != '/' {
				t.Fatalf("update with path %q", u.Path)
			}
			if v, ok := u.Value.(float64); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
				t.Fatalf("%s = %v", u.Path, v)
			}
		}
	})
}

func FuzzParseLabResources(f *testing.F) { fuzzShow(f, ParseLabResources) }
func FuzzParseLabLinks(f *testing.F)     { fuzzShow(f, ParseLabLinks) }
func FuzzParseLabTraffic(f *testing.F)   { fuzzShow(f, ParseLabTraffic) }
func FuzzParseEOSTop(f *testing.F)       { fuzzShow(f, ParseEOSTop) }
func FuzzParseEOSPower(f *testing.F)     { fuzzShow(f, ParseEOSPower) }
