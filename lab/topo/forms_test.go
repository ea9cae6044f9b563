package topo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(t *testing.T, name string, o Options) *Topology {
	t.Helper()
	if o.LookupEnv == nil {
		o.LookupEnv = func(string) (string, bool) { return "", false }
	}
	tp, err := o.ReadFile(filepath.Join("..", "testdata", "clab", name))
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func TestBriefLinks(t *testing.T) {
	t.Parallel()
	tp := readTestdata(t, "brief-links.clab.yml", Options{})
	want := []Link{
		{A: Endpoint{"srl1", "e1-1"}, B: Endpoint{"srl2", "e1-1"}, Type: LinkVeth, Line: 9},
		{A: Endpoint{"srl1", "e1-2"}, B: Endpoint{"srl2", "e1-2"}, Type: LinkVeth, Line: 10},
		{A: Endpoint{"srl1", "e1-3"}, B: Endpoint{"host", "srl1-e1-3"}, Type: LinkHost, Line: 11},
		{A: Endpoint{"srl2", "e1-3"}, B: Endpoint{"mgmt-net", "srl2-e1-3"}, Type: LinkMgmtNet, Line: 12},
		{A: Endpoint{"srl1", "e1-4"}, B: Endpoint{"macvlan", "enp0s3"}, Type: LinkMacvlan, Line: 13},
	}
	if d := cmp.Diff(want, tp.Links); d != "" {
		t.Errorf("links (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"e1-1", "e1-2", "e1-3", "e1-4"}, tp.Interfaces("srl1")); d != "" {
		t.Errorf("srl1 interfaces (-want +got):\n%s", d)
	}
	if got := tp.Ends("host"); len(got) != 0 {
		t.Errorf("the outside end of a host link belongs to nobody, got %v", got)
	}
	if len(tp.Warnings) != 0 {
		t.Errorf("warnings: %v", tp.Warnings)
	}
}

func TestExtendedLinks(t *testing.T) {
	t.Parallel()
	tp := readTestdata(t, "extended-links.clab.yml", Options{Strict: true})
	type end struct{ typ, a, b string }
	var got []end
	for _, l := range tp.Links {
		got = append(got, end{l.Type, l.A.String(), l.B.String()})
	}
	want := []end{
		{"veth", "r1:eth1", "r2:Gi0-0-0-0"},
		{"host", "r1:eth2", "host:r1-eth2"},
		{"mgmt-net", "r2:Gi0-0-0-1", "mgmt-net:r2-gi1"},
		{"macvlan", "r1:eth3", "macvlan:enp0s3"},
		{"vxlan", "r2:Gi0-0-0-2", "vxlan:192.0.2.10/100"},
		{"vxlan-stitch", "r1:eth4", "vxlan:192.0.2.11/101"},
		{"dummy", "r2:Gi0-0-0-3", "dummy"},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(end{})); d != "" {
		t.Errorf("links (-want +got):\n%s", d)
	}
}

func TestInheritance(t *testing.T) {
	t.Parallel()
	tp := readTestdata(t, "inheritance.clab.yml", Options{Strict: true})
	type node struct{ Kind, Image, Type, Group string }
	want := map[string]node{
		"spine1": {"nokia_srlinux", "ghcr.io/nokia/srlinux:24.10", "ixr-d5", "spines"},
		"leaf1":  {"nokia_srlinux", "ghcr.io/nokia/srlinux:24.10", "ixr-d3l", ""},
		"r1":     {"linux", "quay.io/frrouting/frr:10.2.1", "", "routers"},
		"r2":     {"linux", "quay.io/frrouting/frr:10.2.1", "", "routers"},
		"pc1":    {"linux", "ghcr.io/hellt/network-multitool", "", "hosts"},
	}
	labels := map[string]map[string]string{
		"spine1": {"site": "lab", "tier": "spine", "vendor": "nokia"},
		"leaf1":  {"site": "lab", "tier": "leaf", "vendor": "nokia"},
		"r1":     {"site": "lab", "tier": "default", "role": "router"},
		"r2":     {"site": "lab", "tier": "default", "role": "router"},
		"pc1":    {"site": "lab", "tier": "default", "role": "client"},
	}
	for _, n := range tp.Nodes {
		if d := cmp.Diff(want[n.Name], node{n.Kind, n.Image, n.Type, n.Group}); d != "" {
			t.Errorf("%s (-want +got):\n%s", n.Name, d)
		}
		if d := cmp.Diff(labels[n.Name], n.Labels); d != "" {
			t.Errorf("%s labels (-want +got):\n%s", n.Name, d)
		}
	}
}

func TestEnvExpansion(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SRL_VERSION": "24.10.1", "CEOS_VERSION": "", "NETAGENT_TEST_SRL_KIND": "srl"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tp := readTestdata(t, "env.clab.yml", Options{LookupEnv: lookup})
	if tp.Name != "env" || tp.Prefix != "" {
		t.Errorf("name %q prefix %q, want env and empty", tp.Name, tp.Prefix)
	}
	srl, _ := tp.Node("srl")
	if srl.Kind != "srl" || srl.Image != "ghcr.io/nokia/srlinux:24.10.1" || srl.Type != "ixr-d3l" {
		t.Errorf("srl: %+v", srl)
	}
	if srl.Labels["literal"] != "$NETAGENT_TEST_UNSET_VARIABLE" {
		t.Errorf("an unset variable without default must stay as written: %q", srl.Labels["literal"])
	}
	if ceos, _ := tp.Node("ceos"); ceos.Image != "ceos:4.33.0F" {
		t.Errorf("${CEOS_VERSION:-...} with CEOS_VERSION empty: image %q", ceos.Image)
	}
}

func TestExpandEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"A": "1", "E": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct{ in, want string }{
		{"${A}", "1"}, {"$A", "1"}, {"x$A-y", "x1-y"},
		{"${B}", "${B}"}, {"$B", "$B"},
		{"${B:=d}", "d"}, {"${B:-d}", "d"}, {"${E:-d}", "d"}, {"${E-d}", ""}, {"${B-d}", "d"}, {"${A:=d}", "1"},
		{`${B:=""}`, `""`}, {"$$", "$$"}, {"$1", "$1"}, {"${", "${"}, {"${1x}", "${1x}"}, {"a$", "a$"},
		{"${A?err}", "${A?err}"},
	}
	for _, tc := range tests {
		if got := expandEnv(tc.in, lookup); got != tc.want {
			t.Errorf("expandEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzExpandEnv: expansion never panics, leaves text without "$" alone
// and, with no variable set, changes only ${...:-word} style defaults.
func FuzzExpandEnv(f *testing.F) {
	for _, s := range []string{"${A:=x}", "$A ${B} ${C:-d}", "a$", "${", "${B-}", "name: ${N:=lab}\n"} {
		f.Add(s)
	}
	none := func(string) (string, bool) { return "", false }
	f.Fuzz(func(t *testing.T, s string) {
		got := expandEnv(s, none)
		if !strings.Contains(s, "$") && got != s {
			t.Fatalf("changed text without $: %q -> %q", s, got)
		}
		if !strings.Contains(s, "${") && got != s {
			t.Fatalf("no variable set, no default: %q -> %q", s, got)
		}
	})
}

func TestSettingsKeptWithNotes(t *testing.T) {
	t.Parallel()
	tp := readTestdata(t, "settings.clab.yml", Options{Strict: true})
	if tp.Mgmt != (Mgmt{Network: "netagent-mgmt", IPv4Subnet: "172.20.20.0/24", IPv6Subnet: "3fff:172:20:20::/64"}) || tp.Prefix != "netagent" {
		t.Errorf("mgmt %+v prefix %q", tp.Mgmt, tp.Prefix)
	}
	sr1, _ := tp.Node("sr1")
	if sr1.StartupConfig != "configs/sr1.partial.cfg" || sr1.MgmtIPv4 != "172.20.20.11" || sr1.Env["NOKIA_SROS_SLOT"] != "A" || sr1.Image != "nokia_srsim:25.7.R1" {
		t.Errorf("sr1: %+v", sr1)
	}
	srl, _ := tp.Node("srl")
	if !strings.HasPrefix(srl.StartupConfig, "set / interface") || len(srl.Binds) != 1 {
		t.Errorf("srl: %+v", srl)
	}
	var notes []string
	for _, n := range tp.Notes {
		notes = append(notes, strings.Fields(n.Msg)[0])
	}
	want := []string{"mgmt", "mgmt-ipv4", "mgmt-ipv6", "startup-config", "env", "license", "network-mode", "binds", "ports", "exec", "cpu", "memory"}
	if d := cmp.Diff(want, notes); d != "" {
		t.Errorf("notes (-want +got):\n%s\n%v", d, tp.Notes)
	}
	if len(tp.Warnings) != 0 {
		t.Errorf("warnings: %v", tp.Warnings)
	}
}

func TestUnknownKindWarns(t *testing.T) {
	t.Parallel()
	tp := readTestdata(t, "hosts.clab.yml", Options{})
	if len(tp.Warnings) != 1 || tp.Warnings[0].Node != "box1" || tp.Warnings[0].Line != 19 || !strings.Contains(tp.Warnings[0].Msg, `"toaster"`) {
		t.Fatalf("warnings = %v, want one naming box1 on line 19", tp.Warnings)
	}
	if s := tp.Warnings[0].String(); !strings.Contains(s, "hosts.clab.yml:19: node box1: unknown kind") {
		t.Errorf("warning text %q", s)
	}
	_, err := Options{Strict: true}.ReadFile(filepath.Join("..", "testdata", "clab", "hosts.clab.yml"))
	var te *Error
	if !asError(err, &te) || te.Line != 19 {
		t.Fatalf("strict: %v, want an error on line 19", err)
	}
}

// TestEveryKind: the kinds testdata topology names every kind and parses
// without a warning.
func TestEveryKind(t *testing.T) {
	t.Parallel()
	tp := readTestdata(t, "kinds.clab.yml", Options{Strict: true})
	have := map[string]bool{}
	for _, n := range tp.Nodes {
		have[n.Kind] = true
	}
	for _, k := range Kinds() {
		if !have[k] {
			t.Errorf("kinds.clab.yml has no node of kind %s", k)
		}
	}
	if len(Kinds()) < 70 {
		t.Errorf("only %d kinds", len(Kinds()))
	}
}

// TestContainerlabExamples parses containerlab's own example topologies
// (../shared/clab-examples beside the repository, when present) strictly:
// every kind and link form they use is known.
func TestContainerlabExamples(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "..", "shared", "clab-examples")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no containerlab examples beside the repository (.ci/run checks them with netagent lab check)")
	}
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".clab.yml") || strings.HasSuffix(p, ".clab.yaml")) {
			files = append(files, p)
		}
		return nil
	})
	for _, f := range files {
		if _, err := (Options{Strict: true, LookupEnv: func(string) (string, bool) { return "", false }}).ReadFile(f); err != nil {
			t.Errorf("%v", err)
		}
	}
	t.Logf("%d example topologies parsed", len(files))
}

func asError(err error, te **Error) bool { return errors.As(err, te) }
