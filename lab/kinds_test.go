package lab

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/yang"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestEveryKindHasAPersonality: the personality table and topo's list of
// containerlab kinds name the same kinds.
func TestEveryKindHasAPersonality(t *testing.T) {
	t.Parallel()
	for _, k := range topo.Kinds() {
		if _, ok := personalityByKind[k]; !ok {
			t.Errorf("kind %s has no personality", k)
		}
	}
	for k := range personalityByKind {
		if !topo.KnownKind(k) {
			t.Errorf("personality kind %s is not a kind topo knows", k)
		}
	}
}

// TestCLIOnlyWhereAdaptersRender: a kind claims a CLI only in a dialect
// the CLI adapter renders for.
func TestCLIOnlyWhereAdaptersRender(t *testing.T) {
	t.Parallel()
	for _, p := range Personalities() {
		if slices.Contains(p.Protocols, ProtoCLI) && !slices.Contains(adapters.CLIPlatforms, p.Platform) {
			t.Errorf("%s claims cli %q, which no adapter renders (%v)", p.Name, p.Platform, adapters.CLIPlatforms)
		}
		if p.Host && len(p.Protocols) > 0 {
			t.Errorf("%s is a host with protocols", p.Name)
		}
	}
}

// TestKindsTable: the README's kinds table is the one the personality
// table renders (testdata/kinds-table.md; -update rewrites it).
func TestKindsTable(t *testing.T) {
	t.Parallel()
	got := KindsTable()
	golden := filepath.Join("testdata", "kinds-table.md")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("kinds table (-golden +got):\n%s", d)
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), got) {
		t.Error("README.md does not hold the kinds table of lab/testdata/kinds-table.md")
	}
}

// TestCheckTestdata: every testdata topology (one per syntax form, and
// one node of every kind) comes up; devices and hosts are what their
// kinds, images and labels say.
func TestCheckTestdata(t *testing.T) {
	files, err := TopologyFiles([]string{filepath.Join("testdata", "clab")})
	if err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) (string, bool) { return "", false }
	want := map[string]struct {
		devices, hosts []string
		warnings       int
	}{
		"brief-links.clab.yml":    {[]string{"srl1", "srl2"}, nil, 0},
		"extended-links.clab.yml": {[]string{"r1", "r2"}, nil, 0},
		"inheritance.clab.yml":    {[]string{"spine1", "leaf1", "r1", "r2"}, []string{"pc1"}, 0},
		"env.clab.yml":            {[]string{"srl", "ceos"}, nil, 0},
		"settings.clab.yml":       {[]string{"sr1", "sr1-line", "srl"}, nil, 0},
		"hosts.clab.yml":          {[]string{"frr1", "frr2", "pc2"}, []string{"pc1", "br1", "ovs1", "fw1", "tg1", "box1"}, 1},
	}
	for _, f := range files {
		r := Check(context.Background(), f, CheckOptions{LookupEnv: noEnv})
		if r.Err != nil {
			t.Errorf("%s: %v", f, r.Err)
			continue
		}
		base := filepath.Base(f)
		if base == "kinds.clab.yml" {
			if len(r.Devices)+len(r.Hosts) != len(topo.Kinds()) || len(r.Devices) < 40 || len(r.Warnings) != 0 {
				t.Errorf("kinds: %d devices, %d hosts, %v", len(r.Devices), len(r.Hosts), r.Warnings)
			}
			continue
		}
		w, ok := want[base]
		if !ok {
			t.Errorf("%s: no expectation", base)
			continue
		}
		var devs, hosts []string
		for _, d := range r.Devices {
			devs = append(devs, d.Name)
		}
		for _, h := range r.Hosts {
			hosts = append(hosts, h.Name)
		}
		if d := cmp.Diff(w.devices, devs); d != "" {
			t.Errorf("%s devices (-want +got):\n%s", base, d)
		}
		if d := cmp.Diff(w.hosts, hosts); d != "" {
			t.Errorf("%s hosts (-want +got):\n%s", base, d)
		}
		if len(r.Warnings) != w.warnings {
			t.Errorf("%s: warnings %v", base, r.Warnings)
		}
	}
	if r := Check(context.Background(), filepath.Join("testdata", "clab", "hosts.clab.yml"), CheckOptions{Strict: true}); r.Err == nil {
		t.Error("strict check of a topology with an unknown kind: want a failure")
	}
}

// TestHostsAreNotDevices: hosts are listed, take part in links (the
// device side's interface names its peer) and stay out of the inventory.
func TestHostsAreNotDevices(t *testing.T) {
	tp, err := topo.ReadFile(filepath.Join("testdata", "clab", "hosts.clab.yml"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Start(context.Background(), tp, Options{Dir: t.TempDir(), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, ok := l.Device("pc1"); ok {
		t.Error("host pc1 is a device")
	}
	hosts := l.Hosts()
	if len(hosts) != 6 || hosts[0].Name != "pc1" || hosts[0].System != "Linux host" || !cmp.Equal(hosts[0].Interfaces, []string{"eth1"}) {
		t.Errorf("hosts: %+v", hosts)
	}
	run, err := l.Running("frr1")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := run.Get(yang.InterfacePath("eth2").Leaf("config", "description")); v != "to br1:eth2" && v != "to br1:eth1" {
		t.Errorf("frr1 eth2 description = %v, want the bridge as its peer", v)
	}
	inv, err := adapters.LoadInventory(l.InventoryPath(), adapters.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range inv.Devices {
		names = append(names, d.Name)
	}
	if d := cmp.Diff([]string{"frr1", "frr2", "pc2"}, names); d != "" {
		t.Errorf("inventory devices (-want +got):\n%s", d)
	}
	if out := ListHosts(hosts); !strings.Contains(out, "fw1") || !strings.Contains(out, "firewall") {
		t.Errorf("ListHosts:\n%s", out)
	}
}

// TestKindsTopology: every device personality is in it, once, with eth1.
func TestKindsTopology(t *testing.T) {
	t.Parallel()
	tp, err := topo.Options{Strict: true}.Parse(KindsTopology())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, n := range tp.Nodes {
		p, err := resolvePersonality(n)
		if err != nil {
			t.Fatal(err)
		}
		if !p.host && !slices.Contains(tp.Interfaces(n.Name), "eth1") {
			t.Errorf("%s has no eth1", n.Name)
		}
		seen[p.name] = true
	}
	for _, p := range Personalities() {
		if !p.Host && !seen[p.Name] {
			t.Errorf("personality %s missing", p.Name)
		}
	}
}

// TestContainerlabExamplesComeUp: containerlab's own 48 example
// topologies (../shared/clab-examples beside the repository; .ci/run
// fails when they are missing) all come up, each device answering.
func TestContainerlabExamplesComeUp(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "clab-examples")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no containerlab examples beside the repository")
	}
	files, err := TopologyFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	devices, hosts := 0, 0
	for _, f := range files {
		r := Check(context.Background(), f, CheckOptions{Strict: true, LookupEnv: func(string) (string, bool) { return "", false }})
		if r.Err != nil {
			t.Errorf("%s: %v", f, r.Err)
		}
		devices, hosts = devices+len(r.Devices), hosts+len(r.Hosts)
	}
	if len(files) != 48 {
		t.Errorf("%d example topologies, want 48", len(files))
	}
	t.Logf("%d topologies: %d devices, %d hosts", len(files), devices, hosts)
}

// TestHostKindsAgreeWithAdapters: reading a real containerlab's
// topology-data.json (package adapters) treats as hosts exactly the kinds
// the simulated lab brings up as hosts.
func TestHostKindsAgreeWithAdapters(t *testing.T) {
	for _, p := range Personalities() {
		for _, k := range p.Kinds {
			if got := adapters.HostKind(k); got != p.Host {
				t.Errorf("kind %s: adapters.HostKind = %v, the lab's %s personality says host = %v", k, got, p.Name, p.Host)
			}
		}
	}
}
