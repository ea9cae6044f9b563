package adapters

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// containerlab's topology-data.json, the parts netagent reads.
type clabTopology struct {
	Name  string              `json:"name"`
	Nodes map[string]clabNode `json:"nodes"`
}

type clabNode struct {
	ShortName    string            `json:"shortname"`
	LongName     string            `json:"longname"`
	Kind         string            `json:"kind"`
	Image        string            `json:"image"`
	MgmtIPv4     string            `json:"mgmt-ipv4-address"`
	MgmtIPv6     string            `json:"mgmt-ipv6-address"`
	Labels       map[string]string `json:"labels"`
	PortBindings []clabPortBinding `json:"port-bindings"`
}

type clabPortBinding struct {
	HostIP   string `json:"host-ip"`
	HostPort int    `json:"host-port"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
}

// parseClabTopology reads containerlab's topology-data.json. Protocols
// follow the node kind's defaults; a port binding of a default port
// (as the simulated lab writes for its loopback devices) replaces the
// management address and port.
func parseClabTopology(data []byte, source string) (*Inventory, error) {
	var topo clabTopology
	if err := json.Unmarshal(data, &topo); err != nil {
		return nil, &InventoryError{File: source, Reason: "not a containerlab topology-data.json: " + err.Error(),
			Fix: "pass the file containerlab writes to clab-<lab>/topology-data.json"}
	}
	inv := &Inventory{Source: source}
	names := make([]string, 0, len(topo.Nodes))
	for n := range topo.Nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, key := range names {
		n := topo.Nodes[key]
		name := n.ShortName
		if name == "" {
			name = key
		}
		kind := clabKind(n)
		d := DeviceSpec{Name: name, Address: n.MgmtIPv4, Kind: kind, Labels: map[string]string{}}
		if d.Address == "" {
			d.Address = n.MgmtIPv6
		}
		for k, v := range n.Labels {
			d.Labels[k] = v
		}
		if topo.Name != "" {
			d.Labels["clab-topology"] = topo.Name
		}
		platform := kindPlatform[kind]
		if pl := n.Labels[LabelCLIPlatform]; pl != "" {
			platform = pl
		}
		if len(n.PortBindings) > 0 {
			d.Protocols, d.Address = boundProtocols(n.PortBindings, platform, d.Address)
		} else {
			d.Protocols = defaultProtocols(kind)
			for i := range d.Protocols {
				if d.Protocols[i].Name == CLI {
					d.Protocols[i].Platform = platform
				}
			}
		}
		_, labelled := n.Labels["netagent-protocols"]
		if unmanagedKind[kind] || len(d.Protocols) == 0 || (!labelled && n.Labels[LabelCLIPlatform] == "" && HostKind(kind)) {
			continue
		}
		if p, ok := n.Labels["netagent-protocols"]; ok {
			var err error
			if d.Protocols, err = parseProtocolLabel(p, kindPlatform[kind]); err != nil {
				return nil, &InventoryError{File: source, Device: name, Field: "labels.netagent-protocols", Reason: err.Error(),
					Fix: `use "gnmi:57400,netconf:830,cli:22"`}
			}
		}
		inv.Devices = append(inv.Devices, d)
	}
	return inv, inv.checkDevices()
}

// LabelCLIPlatform is the node label that names a node's CLI dialect
// when its kind does not imply the one it runs (frr | eos).
const LabelCLIPlatform = "netagent.cli-platform"

// containerPorts maps the management ports inside a container to the
// protocol served there.
var containerPorts = map[int]string{57400: GNMI, 6030: GNMI, 9339: GNMI, 830: NETCONF, 22: CLI}

// boundProtocols derives a node's protocols from its port bindings (what
// is published is what netagent can reach), in the default preference
// order, and the host address they are bound to.
func boundProtocols(bs []clabPortBinding, platform, addr string) ([]ProtocolSpec, string) {
	var out []ProtocolSpec
	for _, name := range DefaultPreference {
		for _, b := range bs {
			if containerPorts[b.Port] != name || (b.Protocol != "" && b.Protocol != "tcp") || b.HostPort <= 0 {
				continue
			}
			p := ProtocolSpec{Name: name, Port: b.HostPort}
			if name == CLI {
				p.Platform = platform
			}
			if b.HostIP != "" && b.HostIP != "0.0.0.0" && b.HostIP != "::" {
				addr = b.HostIP
			}
			out = append(out, p)
			break
		}
	}
	return out, addr
}

// clabKind is the node's kind; linux nodes running an FRR image (or no
// image) count as frr.
func clabKind(n clabNode) string {
	if n.Kind == "linux" && (n.Image == "" || isFRRImage(n.Image)) {
		return "frr"
	}
	return n.Kind
}

// isFRRImage reports whether a container image is FRR's
// (frrouting/frr:v8.4.1, quay.io/frrouting/frr, frr:latest).
func isFRRImage(image string) bool {
	repo := image
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		repo = repo[i+1:]
	}
	repo, _, _ = strings.Cut(repo, ":")
	repo, _, _ = strings.Cut(repo, "@")
	return repo == "frr" || strings.Contains(image, "frrouting/")
}

// hostKinds are containerlab kinds that run hosts or appliances netagent
// does not configure: Linux hosts (linux with an image other than FRR's),
// VMs, traffic generators, firewalls and routers without a model-driven
// interface. A node of such a kind becomes a device only when its labels
// name its protocols (netagent-protocols) or CLI dialect. The simulated
// lab's personality table agrees (a test in package lab checks it).
var hostKinds = map[string]bool{
	"linux": true, "k8s-kind": true, "generic_vm": true, "freebsd": true, "openbsd": true,
	"keysight_ixia-c-one": true, "spirent_stc": true,
	"f5_bigip-ve": true, "fortinet_fortigate": true, "checkpoint_cloudguard": true, "cisco_asav": true, "cisco_ftdv": true,
	"paloalto_panos": true, "vr-pan": true, "vr-paloalto_panos": true,
	"vyosnetworks_vyos": true, "mikrotik_ros": true, "vr-ros": true, "vr-mikrotik_ros": true, "openwrt": true, "fdio_vpp": true,
	"veesix_osvbng": true, "aruba_aoscx": true, "vr-aoscx": true, "vr-aruba_aoscx": true, "dell_ftosv": true, "vr-ftosv": true,
	"vr-dell_ftosv": true, "cisco_iol": true, "cisco_vios": true, "cisco_sdwan": true,
}

// HostKind reports whether containerlab kind is a host or appliance, not a
// network device netagent configures (bridges and external containers
// included).
func HostKind(kind string) bool { return hostKinds[kind] || unmanagedKind[kind] }

// parseProtocolLabel reads "gnmi:57400,netconf:830,cli:22" (optional
// "+tls" after a gnmi port): a preference order a topology can set per node.
func parseProtocolLabel(s, platform string) ([]ProtocolSpec, error) {
	var out []ProtocolSpec
	for _, part := range strings.Split(s, ",") {
		name, port, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("%q: want name:port", part)
		}
		tls := strings.HasSuffix(port, "+tls")
		n, err := strconv.Atoi(strings.TrimSuffix(port, "+tls"))
		if err != nil {
			return nil, fmt.Errorf("%q: port: %w", part, err)
		}
		p := ProtocolSpec{Name: name, Port: n, TLS: tls}
		if name == CLI {
			p.Platform = platform
		}
		out = append(out, p)
	}
	return out, nil
}

// containerlab's ansible-inventory.yml: groups by kind under all.children.
type ansibleGroup struct {
	Vars     map[string]any            `yaml:"vars"`
	Hosts    map[string]map[string]any `yaml:"hosts"`
	Children map[string]ansibleGroup   `yaml:"children"`
}

func isAnsible(data []byte) bool {
	var probe map[string]yaml.Node
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return false
	}
	_, all := probe["all"]
	_, devices := probe["devices"]
	return all && !devices
}

// parseAnsible reads containerlab's ansible-inventory.yml. The group name
// is the node kind; ansible_host the address; ansible_user and
// ansible_password (when present) become the credentials "ansible-<group>".
func parseAnsible(data []byte, source string) (*Inventory, error) {
	var f struct {
		All ansibleGroup `yaml:"all"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, &InventoryError{File: source, Reason: "not an ansible inventory: " + err.Error(), Fix: "pass containerlab's ansible-inventory.yml"}
	}
	inv := &Inventory{Source: source, Credentials: map[string]CredentialSource{}}
	var walk func(group string, g ansibleGroup, vars map[string]any)
	walk = func(group string, g ansibleGroup, parent map[string]any) {
		vars := map[string]any{}
		for k, v := range parent {
			vars[k] = v
		}
		for k, v := range g.Vars {
			vars[k] = v
		}
		hosts := make([]string, 0, len(g.Hosts))
		for h := range g.Hosts {
			hosts = append(hosts, h)
		}
		sort.Strings(hosts)
		for _, h := range hosts {
			hv := map[string]any{}
			for k, v := range vars {
				hv[k] = v
			}
			for k, v := range g.Hosts[h] {
				hv[k] = v
			}
			d := DeviceSpec{Name: shortName(h), Address: str(hv["ansible_host"]), Kind: group, Labels: map[string]string{"ansible-group": group}}
			if d.Address == "" {
				d.Address = h
			}
			if unmanagedKind[group] {
				continue
			}
			d.Protocols = defaultProtocols(group)
			if port, err := strconv.Atoi(str(hv["ansible_port"])); err == nil && port > 0 {
				for i := len(d.Protocols) - 1; i >= 0; i-- {
					if d.Protocols[i].Name != GNMI {
						d.Protocols[i].Port = port
						break
					}
				}
			}
			if u := str(hv["ansible_user"]); u != "" {
				cred := "ansible-" + group
				inv.Credentials[cred] = CredentialSource{Username: u, password: Secret(str(hv["ansible_password"]))}
				d.Credentials = cred
			}
			inv.Devices = append(inv.Devices, d)
		}
		children := make([]string, 0, len(g.Children))
		for c := range g.Children {
			children = append(children, c)
		}
		sort.Strings(children)
		for _, c := range children {
			walk(c, g.Children[c], vars)
		}
	}
	walk("all", f.All, nil)
	return inv, inv.checkDevices()
}

// shortName strips containerlab's clab-<lab>- prefix from a host name.
func shortName(h string) string {
	if strings.HasPrefix(h, "clab-") {
		if i := strings.IndexByte(h[len("clab-"):], '-'); i >= 0 {
			return h[len("clab-")+i+1:]
		}
	}
	return h
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
