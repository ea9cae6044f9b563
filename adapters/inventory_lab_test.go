package adapters_test

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
)

// TestLabInventories: the three inventories the lab writes (netagent YAML,
// containerlab's topology-data.json and ansible-inventory.yml) load, and
// the first two describe every device's endpoints exactly; a device opened
// through the containerlab file answers.
func TestLabInventories(t *testing.T) {
	l, _ := conformance.StartLab(t)
	creds := map[string]adapters.CredentialSource{"lab": {Username: l.Credentials().Username, PasswordFile: "credentials/lab.password"}}
	want := map[string][]string{}
	for _, d := range l.Devices() {
		for _, e := range d.Endpoints {
			want[d.Name] = append(want[d.Name], e.Protocol+" "+e.Addr())
		}
		sort.Strings(want[d.Name])
	}
	for _, path := range []string{l.InventoryPath(), l.TopologyDataPath()} {
		inv, err := adapters.LoadInventory(path, adapters.LoadOptions{KnownHosts: l.KnownHostsPath(), Credentials: creds, DefaultCredentials: "lab"})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got := map[string][]string{}
		for _, d := range inv.Devices {
			ts, err := inv.Targets(d.Name, adapters.TargetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, tg := range ts {
				got[d.Name] = append(got[d.Name], tg.Protocol.Name+" "+tg.Addr())
			}
			sort.Strings(got[d.Name])
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: endpoints (-lab +inventory):\n%s", path, d)
		}
		if path == l.TopologyDataPath() {
			ts, _ := inv.Targets("nc", adapters.TargetOptions{})
			dev, err := adapters.OpenDevice(t.Context(), registry(t), ts, adapters.FailoverOptions{})
			if err != nil {
				t.Fatalf("open through topology-data.json: %v", err)
			}
			if _, err := dev.Query(t.Context(), nil); err != nil {
				t.Errorf("query through topology-data.json: %v", err)
			}
			_ = dev.Close()
		}
	}
	inv, err := adapters.LoadInventory(l.AnsibleInventoryPath(), adapters.LoadOptions{KnownHosts: l.KnownHostsPath()})
	if err != nil {
		t.Fatalf("ansible: %v", err)
	}
	if got := inv.Names(); len(got) != len(l.Devices()) {
		t.Errorf("ansible: devices %v, want %d", got, len(l.Devices()))
	}
	if _, err := inv.ResolveCredentials(inv.Names()[0]); err != nil {
		t.Errorf("ansible credentials: %v", err)
	}
}
