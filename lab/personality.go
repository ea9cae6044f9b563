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

// Personality is what a family of containerlab kinds is in the simulated
// lab: a device serving Protocols (in preference order), or a host that
// takes part in the topology's links but is managed by nobody.
type Personality struct {
	Name      string   `json:"name"`   // "sros"
	System    string   `json:"system"` // "Nokia SR OS"
	Kinds     []string `json:"kinds"`  // containerlab kinds and aliases
	Protocols []string `json:"protocols,omitempty"`
	Platform  string   `json:"platform,omitempty"` // CLI platform when Protocols has cli
	Host      bool     `json:"host,omitempty"`
	// Note says what the real system offers that the lab leaves out, or
	// why a host is not managed.
	Note string `json:"note,omitempty"`
}

var (
	nc, gn, cl = ProtoNETCONF, ProtoGNMI, ProtoCLI
)

// personalities is the table of every containerlab kind. Devices serve the
// management protocols the real system offers and netagent's adapters
// drive: NETCONF and gNMI everywhere the system has them (one datastore,
// the OpenConfig model), a CLI only where the CLI adapter renders for its
// dialect (frr, eos).
var personalities = []Personality{
	{Name: "srlinux", System: "Nokia SR Linux", Kinds: []string{"nokia_srlinux", "srl"}, Protocols: []string{gn, nc},
		Note: "SR Linux CLI (srl) on request with netagent.protocols; the CLI adapter does not render for it"},
	{Name: "sros", System: "Nokia SR OS", Kinds: []string{"nokia_sros", "vr-sros", "vr-nokia_sros", "nokia_srsim"}, Protocols: []string{gn, nc},
		Note: "MD-CLI not simulated: no adapter renders it"},
	{Name: "eos", System: "Arista EOS", Kinds: []string{"arista_ceos", "ceos", "arista_veos", "vr-veos", "vr-arista_veos"}, Protocols: []string{gn, cl}, Platform: PlatformEOS,
		Note: "NETCONF on request with netagent.protocols"},
	{Name: "iosxr", System: "Cisco IOS XR", Kinds: []string{"cisco_xrd", "xrd", "cisco_xrd_vrouter", "cisco_xrv", "vr-xrv", "vr-cisco_xrv", "cisco_xrv9k", "vr-xrv9k", "vr-cisco_xrv9k", "cisco_c8000", "c8000"}, Protocols: []string{gn, nc},
		Note: "XR CLI not simulated: no adapter renders it"},
	{Name: "iosxe", System: "Cisco IOS XE", Kinds: []string{"cisco_csr1000v", "vr-csr", "vr-cisco_csr1000v", "cisco_c8000v", "cisco_cat9kv"}, Protocols: []string{nc, gn},
		Note: "IOS XE CLI not simulated: no adapter renders it"},
	{Name: "nxos", System: "Cisco NX-OS", Kinds: []string{"cisco_n9kv", "vr-n9kv", "vr-cisco_n9kv"}, Protocols: []string{gn, nc},
		Note: "NX-OS CLI not simulated: no adapter renders it"},
	{Name: "junos", System: "Juniper Junos / Junos Evolved", Kinds: []string{"juniper_crpd", "crpd", "juniper_vmx", "vr-vmx", "vr-juniper_vmx", "juniper_vqfx", "vr-vqfx", "vr-juniper_vqfx", "juniper_vsrx", "vr-vsrx", "vr-juniper_vsrx", "juniper_vjunosrouter", "juniper_vjunosswitch", "juniper_vjunosevolved", "juniper_cjunosevolved", "cjunosevolved", "juniper_csrx"}, Protocols: []string{nc, gn},
		Note: "Junos CLI not simulated: no adapter renders set commands"},
	{Name: "sonic", System: "SONiC", Kinds: []string{"sonic-vs", "sonic-vm", "dell_sonic", "plvision_sonic"}, Protocols: []string{gn, cl}, Platform: PlatformFRR,
		Note: "the CLI is FRR's vtysh, SONiC's routing shell"},
	{Name: "cumulus", System: "NVIDIA Cumulus Linux", Kinds: []string{"nvidia_cumulusvx", "cumulus_cvx", "cvx"}, Protocols: []string{cl}, Platform: PlatformFRR,
		Note: "FRR's vtysh; NVUE not simulated"},
	{Name: "frr", System: "FRRouting", Kinds: []string{"frr"}, Protocols: []string{cl}, Platform: PlatformFRR,
		Note: "also kind linux with an FRR image (or none)"},
	{Name: "ocnos", System: "IP Infusion OcNOS", Kinds: []string{"ipinfusion_ocnos"}, Protocols: []string{nc, gn},
		Note: "OcNOS CLI not simulated"},
	{Name: "vrp", System: "Huawei VRP", Kinds: []string{"huawei_vrp"}, Protocols: []string{nc},
		Note: "VRP CLI not simulated"},
	{Name: "vsr", System: "6WIND VSR", Kinds: []string{"6wind_vsr"}, Protocols: []string{nc, gn},
		Note: "VSR CLI not simulated"},
	{Name: "arcos", System: "Arrcus ArcOS", Kinds: []string{"arrcus_arcos"}, Protocols: []string{gn, nc},
		Note: "ArcOS CLI not simulated"},
	{Name: "saos", System: "Ciena SAOS 10", Kinds: []string{"ciena_saos", "vr-ciena_saos"}, Protocols: []string{nc, gn},
		Note: "SAOS CLI not simulated"},
	{Name: "freertr", System: "RARE / freeRtr", Kinds: []string{"rare"}, Protocols: []string{nc},
		Note: "freeRtr CLI not simulated"},

	{Name: "linux", System: "Linux host", Kinds: []string{"linux"}, Host: true,
		Note: "a linux node with an FRR image (frrouting/frr, frr) or no image is an FRR router"},
	{Name: "bridge", System: "Linux or Open vSwitch bridge", Kinds: []string{"bridge", "ovs-bridge"}, Host: true, Note: "links only"},
	{Name: "container", System: "host namespace, external container", Kinds: []string{"host", "ext-container"}, Host: true, Note: "links only"},
	{Name: "k8s", System: "Kubernetes in Docker", Kinds: []string{"k8s-kind"}, Host: true, Note: "links only"},
	{Name: "vm", System: "generic VM, FreeBSD, OpenBSD", Kinds: []string{"generic_vm", "freebsd", "openbsd"}, Host: true, Note: "links only"},
	{Name: "traffic", System: "traffic generator", Kinds: []string{"keysight_ixia-c-one", "spirent_stc"}, Host: true, Note: "driven by its own API (OTG, STC), not configured by netagent"},
	{Name: "firewall", System: "firewall or load-balancer appliance", Kinds: []string{"f5_bigip-ve", "fortinet_fortigate", "checkpoint_cloudguard", "cisco_asav", "cisco_ftdv", "paloalto_panos", "vr-pan", "vr-paloalto_panos"}, Host: true,
		Note: "configured through vendor REST/XML APIs netagent does not drive"},
	{Name: "appliance", System: "router without a model-driven interface netagent drives", Kinds: []string{"vyosnetworks_vyos", "mikrotik_ros", "vr-ros", "vr-mikrotik_ros", "openwrt", "fdio_vpp", "veesix_osvbng", "aruba_aoscx", "vr-aoscx", "vr-aruba_aoscx", "dell_ftosv", "vr-ftosv", "vr-dell_ftosv", "cisco_iol", "cisco_vios", "cisco_sdwan"}, Host: true,
		Note: "configured through its own CLI or REST API, for which netagent has no renderer; netagent.protocols makes it a device"},
}

var personalityByKind = func() map[string]*Personality {
	m := map[string]*Personality{}
	for i := range personalities {
		for _, k := range personalities[i].Kinds {
			if _, dup := m[k]; dup {
				panic("lab: kind " + k + " in two personalities")
			}
			m[k] = &personalities[i]
		}
	}
	return m
}()

// Personalities returns the personality table: every containerlab kind,
// grouped by the system it runs.
func Personalities() []Personality {
	out := make([]Personality, len(personalities))
	for i, p := range personalities {
		p.Kinds = append([]string(nil), p.Kinds...)
		p.Protocols = append([]string(nil), p.Protocols...)
		out[i] = p
	}
	return out
}

// personality is what one node is.
type personality struct {
	name      string // Personality.Name, "unknown" for an unknown kind
	system    string
	protocols []string
	platform  string
	host      bool
}

// isFRRImage reports whether a container image is FRR's.
func isFRRImage(image string) bool {
	repo := image
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		repo = repo[i+1:]
	}
	repo, _, _ = strings.Cut(repo, ":")
	repo, _, _ = strings.Cut(repo, "@")
	return repo == "frr" || strings.Contains(image, "frrouting/")
}

func personalityOf(n topo.Node) personality {
	if n.Kind == "linux" && (n.Image == "" || isFRRImage(n.Image)) {
		n.Kind = "frr"
	}
	p, ok := personalityByKind[n.Kind]
	if !ok {
		return personality{name: "unknown", system: "unknown kind " + n.Kind, host: true}
	}
	return personality{name: p.Name, system: p.System, protocols: append([]string(nil), p.Protocols...), platform: p.Platform, host: p.Host}
}

// resolvePersonality applies the node's labels to its kind's defaults:
// netagent.protocols sets the front ends (a host with protocols becomes a
// device, a device without any becomes a host), netagent.cli-platform the
// CLI dialect (on a host it makes a CLI device).
func resolvePersonality(n topo.Node) (personality, error) {
	p := personalityOf(n)
	v, hasProtocols := n.Labels[LabelProtocols]
	if hasProtocols {
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
		p.host = len(p.protocols) == 0
	}
	if v, ok := n.Labels[LabelCLIPlatform]; ok {
		switch v {
		case PlatformFRR, PlatformEOS, PlatformSRL:
			p.platform = v
		default:
			return p, fmt.Errorf("node %s (line %d): label %s: unknown platform %q (frr, eos, srl)", n.Name, n.Line, LabelCLIPlatform, v)
		}
		if p.host && !hasProtocols {
			p.host, p.protocols = false, []string{ProtoCLI}
		}
	}
	if p.host {
		p.protocols, p.platform = nil, ""
	}
	hasCLI := false
	for _, pr := range p.protocols {
		if pr == ProtoCLI {
			hasCLI = true
			if p.platform == "" {
				p.platform = PlatformFRR
				if n.Kind == "nokia_srlinux" || n.Kind == "srl" {
					p.platform = PlatformSRL
				}
			}
		}
	}
	if !hasCLI {
		p.platform = ""
	}
	return p, nil
}

// KindsTable renders the personality table as Markdown: kinds, the
// system, the protocols the lab serves for them and the adapters that
// drive those (README's kinds table).
func KindsTable() string {
	var b strings.Builder
	b.WriteString("| kinds | system | simulated as | adapters that drive it | notes |\n|---|---|---|---|---|\n")
	for _, p := range personalities {
		kinds := make([]string, len(p.Kinds))
		for i, k := range p.Kinds {
			kinds[i] = "`" + k + "`"
		}
		sim, drv := "host (links only)", "none"
		if !p.Host {
			var ps, ds []string
			for _, pr := range p.Protocols {
				switch pr {
				case ProtoCLI:
					ps = append(ps, "CLI ("+p.Platform+")")
					ds = append(ds, "cli ("+p.Platform+")")
				case ProtoNETCONF:
					ps = append(ps, "NETCONF")
					ds = append(ds, "netconf")
				case ProtoGNMI:
					ps = append(ps, "gNMI")
					ds = append(ds, "gnmi")
				}
			}
			sim, drv = strings.Join(ps, ", "), strings.Join(ds, ", ")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", strings.Join(kinds, " "), p.System, sim, drv, p.Note)
	}
	return b.String()
}

// KindsTopology is a topology with one node of every device personality
// (its first kind, default labels; FRR also as kind linux with FRR's
// image), each with an interface eth1 linked to another's, and a Linux
// host. The adapters' conformance tests run their suite over it.
func KindsTopology() []byte {
	var b strings.Builder
	b.WriteString("# one node per device personality (lab.KindsTopology)\nname: kinds\ntopology:\n  nodes:\n")
	var names []string
	for _, p := range personalities {
		if p.Host {
			continue
		}
		fmt.Fprintf(&b, "    %s: {kind: %s}\n", p.Name, p.Kinds[0])
		names = append(names, p.Name)
	}
	b.WriteString("    linux-frr: {kind: linux, image: quay.io/frrouting/frr:10.2.1}\n    pc: {kind: linux, image: alpine:3}\n")
	names = append(names, "linux-frr")
	if len(names)%2 == 1 {
		names = append(names, "pc")
	}
	b.WriteString("  links:\n")
	for i := 0; i+1 < len(names); i += 2 {
		fmt.Fprintf(&b, "    - endpoints: [\"%s:eth1\", \"%s:eth1\"]\n", names[i], names[i+1])
	}
	return []byte(b.String())
}
