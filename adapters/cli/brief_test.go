package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// frrBrief is FRR 10's "show interface brief": the interfaces zebra knows,
// configured or not (show running-config omits those without
// configuration).
const frrBrief = `Interface       Status  VRF             Addresses
---------       ------  ---             ---------
eth0            up      default         172.20.20.2/24
                                        + fe80::42:acff:fe14:1402/64
eth1            down    default         
lo              up      default         
`

func TestParseInterfaceBrief(t *testing.T) {
	got, err := ParseInterfaceBrief(frrBrief)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"eth0", "eth1", "lo"}, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if _, err := ParseInterfaceBrief("% Unknown command: show interface brief\n"); err == nil {
		t.Error("an error line parsed as interfaces")
	}
}

// TestBareInterfacesJoinTheConfiguration: interfaces the device has but
// whose configuration is empty are in the tree, as entries with only
// their name, so intents can configure them without creating them.
func TestBareInterfacesJoinTheConfiguration(t *testing.T) {
	p := Platforms["frr"]
	tr, err := ParseConfig(p, "frr version 10.2\n!\ninterface eth0\n ip address 172.20.20.2/24\nexit\n!\n")
	if err != nil {
		t.Fatal(err)
	}
	names, err := ParseInterfaceBrief(frrBrief)
	if err != nil {
		t.Fatal(err)
	}
	addBare(tr, names)
	out := tr.String()
	for _, want := range []string{"interface[name=eth1]/config/name = eth1", "interface[name=lo]/config/name = lo", "172.20.20.2"} {
		if !strings.Contains(out, want) {
			t.Errorf("tree lacks %s:\n%s", want, out)
		}
	}
}

func FuzzParseInterfaceBrief(f *testing.F) {
	f.Add(frrBrief)
	f.Add("Interface Status VRF Addresses\n")
	f.Fuzz(func(t *testing.T, text string) {
		names, err := ParseInterfaceBrief(text)
		if err != nil {
			return
		}
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, " \t\n") {
				t.Fatalf("name %q from %q", n, text)
			}
		}
	})
}
