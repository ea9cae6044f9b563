package cli

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
)

// Platform is one CLI dialect: how to reach its prompts (a scrapligo
// platform definition) and the words that differ between dialects. Adding
// a platform is adding an entry to Platforms (and a testdata golden file).
type Platform struct {
	Name string
	// Definition is the scrapligo platform definition (YAML): prompts per
	// privilege level and how to move between them.
	Definition []byte
	// Indent prefixes commands inside a configuration section.
	Indent string
	// Blackhole is the next-hop word for a discard route (DROP).
	Blackhole string
	// RouterID is the BGP router-id command inside "router bgp".
	RouterID string
	// RouteIfaceFirst: "ip route P IFACE NH" (EOS) rather than "ip route P NH IFACE" (FRR).
	RouteIfaceFirst bool
	// ShowConfig prints the running configuration.
	ShowConfig string
	// ShowInterfaces prints interface state and counters.
	ShowInterfaces string
	// StateShows are the show commands polled for state outside the
	// interfaces (CPU, memory, power, links, traffic).
	StateShows []StateShow
	// ShowInterfaceBrief lists every interface, configured or not (for a
	// dialect whose running configuration omits interfaces without
	// configuration); "" when the running configuration lists them all.
	ShowInterfaceBrief string
	// ErrorPrefixes mark a refused command in the device's output.
	ErrorPrefixes []string
	// Sessions: the dialect has configuration sessions ("configure session
	// NAME" ... "commit" | "abort"), so a change applies all or nothing.
	Sessions bool
	// Unsupported are the leaves the real dialect has no command for, by
	// schema path without keys, with the reason (Caps.Unsupported):
	// planners refuse them before anything is sent. Render still renders
	// them (the simulated lab's FRR accepts them; a real one answers with a
	// "%" line that Configure reports as a rejection).
	Unsupported map[string]string
}

//go:embed platforms/frr.yaml
var frrDefinition []byte

//go:embed platforms/eos.yaml
var eosDefinition []byte

// Platforms are the CLI dialects the adapter speaks, by inventory name.
var Platforms = map[string]*Platform{
	"frr": {Name: "frr", Definition: frrDefinition, Indent: " ", Blackhole: "blackhole", RouterID: "bgp router-id",
		ShowConfig: "show running-config", ShowInterfaces: "show interface", ShowInterfaceBrief: "show interface brief",
		ErrorPrefixes: []string{"% ", "%%"},
		Unsupported: map[string]string{
			"/interfaces/interface/config/mtu": "FRR has no interface mtu command (zebra takes the MTU the kernel has; set it on the host)",
		},
		StateShows: labShows},
	"eos": {Name: "eos", Definition: eosDefinition, Indent: "   ", Blackhole: "Null0", RouterID: "router-id",
		RouteIfaceFirst: true, ShowConfig: "show running-config", ShowInterfaces: "show interfaces", ErrorPrefixes: []string{"% ", "%%"},
		Sessions: true, StateShows: append(append([]StateShow(nil), eosShows...), labShows[2:]...)},
}

// Lookup returns the platform called name.
func Lookup(name string) (*Platform, error) {
	if p, ok := Platforms[name]; ok {
		return p, nil
	}
	names := make([]string, 0, len(Platforms))
	for n := range Platforms {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("unknown CLI platform %q (known: %s)", name, strings.Join(names, ", "))
}

// errorLine returns the first line of out that marks a refused command.
func (p *Platform) errorLine(out string) (string, bool) {
	for _, line := range strings.Split(out, "\n") {
		l := strings.TrimSpace(line)
		for _, pre := range p.ErrorPrefixes {
			if strings.HasPrefix(l, pre) {
				return l, true
			}
		}
	}
	return "", false
}
