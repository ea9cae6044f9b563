package lab

import (
	"fmt"
	"strings"

	"github.com/netagent/netagent/lab/topo"
)

// Protocol names as the inventory spells them.
const (
	ProtoGNMI    = "gnmi"
	ProtoNETCONF = "netconf"
	ProtoCLI     = "cli"
)

// CLI platforms the simulated CLI speaks.
const (
	PlatformFRR = "frr" // FRR vtysh; scrapligo platform cumulus_vtysh
	PlatformEOS = "eos" // Arista EOS; scrapligo platform arista_eos
	PlatformSRL = "srl" // Nokia SR Linux; scrapligo platform nokia_srl
)

// Labels that override a node's personality.
const (
	LabelProtocols   = "netagent.protocols"    // "netconf,cli": the front ends, in preference order
	LabelCLIPlatform = "netagent.cli-platform" // frr | eos | srl
)

// personality is what a node kind speaks by default.
type personality struct {
	protocols []string
	platform  string
}

func personalityOf(kind string) personality {
	switch kind {
	case "nokia_srlinux", "nokia_sros", "cisco_xrd", "cisco_xrv9k", "cisco_n9kv":
		return personality{protocols: []string{ProtoGNMI, ProtoNETCONF}}
	case "arista_ceos", "ceos":
		return personality{protocols: []string{ProtoGNMI, ProtoCLI}, platform: PlatformEOS}
	case "linux", "frr", "cumulus_cvx", "sonic-vs":
		return personality{protocols: []string{ProtoCLI}, platform: PlatformFRR}
	case "juniper_crpd", "juniper_vjunosrouter", "juniper_vjunosswitch", "juniper_vmx", "juniper_vqfx", "vr-vmx", "cisco_csr1000v":
		return personality{protocols: []string{ProtoNETCONF, ProtoGNMI}}
	case "bridge", "host":
		return personality{}
	}
	return personality{protocols: []string{ProtoNETCONF}}
}

// resolvePersonality applies the node's labels to its kind's defaults.
func resolvePersonality(n topo.Node) (personality, error) {
	p := personalityOf(n.Kind)
	if v, ok := n.Labels[LabelProtocols]; ok {
		p.protocols = nil
		seen := map[string]bool{}
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			switch f {
			case "":
				continue
			case ProtoGNMI, ProtoNETCONF, ProtoCLI:
			default:
				return p, fmt.Errorf("node %s (line %d): label %s: unknown protocol %q (gnmi, netconf, cli)", n.Name, n.Line, LabelProtocols, f)
			}
			if !seen[f] {
				p.protocols = append(p.protocols, f)
				seen[f] = true
			}
		}
	}
	if v, ok := n.Labels[LabelCLIPlatform]; ok {
		switch v {
		case PlatformFRR, PlatformEOS, PlatformSRL:
			p.platform = v
		default:
			return p, fmt.Errorf("node %s (line %d): label %s: unknown platform %q (frr, eos, srl)", n.Name, n.Line, LabelCLIPlatform, v)
		}
	}
	for _, pr := range p.protocols {
		if pr == ProtoCLI && p.platform == "" {
			p.platform = PlatformFRR
			if n.Kind == "nokia_srlinux" {
				p.platform = PlatformSRL
			}
		}
	}
	return p, nil
}
