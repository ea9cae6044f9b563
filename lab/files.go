package lab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// stateFile is written in the state directory while the lab runs; `netagent
// lab list` and `netagent lab fault` find the admin API through it.
const stateFile = "lab.json"

// State is the content of the state file.
type State struct {
	Name      string `json:"name"`
	AdminAddr string `json:"admin_addr"`
	PID       int    `json:"pid"`
	Inventory string `json:"inventory"`
	// AdminTokenFile holds the admin API's bearer token (mode 0600).
	AdminTokenFile string `json:"admin_token_file,omitempty"`
}

func (l *Lab) writeFiles() error {
	if err := l.writeKnownHosts(); err != nil {
		return err
	}
	if err := l.writeInventory(); err != nil {
		return err
	}
	if err := l.writeTopologyData(); err != nil {
		return err
	}
	return l.writeAnsible()
}

func (l *Lab) writeKnownHosts() error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# netagent lab %s: SSH host keys of every device\n", l.topo.Name)
	for _, d := range l.devices {
		key := strings.TrimSpace(string(sshAuthorizedKey(d)))
		for _, e := range d.info.Endpoints {
			if e.Protocol == ProtoGNMI {
				continue
			}
			host := e.Host
			if e.Port != 22 {
				host = "[" + e.Host + "]:" + strconv.Itoa(e.Port)
			}
			fmt.Fprintf(&b, "%s %s\n", host, key)
		}
	}
	return writeFile(l.KnownHostsPath(), b.Bytes(), 0o644)
}

func sshAuthorizedKey(d *device) []byte { return []byte(d.info.HostKey) }

type invProtocol struct {
	Name     string `yaml:"name"`
	Port     int    `yaml:"port"`
	TLS      *bool  `yaml:"tls,omitempty"`
	Platform string `yaml:"platform,omitempty"`
}

type invDevice struct {
	Name        string            `yaml:"name"`
	Address     string            `yaml:"address"`
	Kind        string            `yaml:"kind"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Credentials string            `yaml:"credentials"`
	Protocols   []invProtocol     `yaml:"protocols"`
}

type invCredential struct {
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
}

type inventory struct {
	KnownHosts  string                   `yaml:"known_hosts"`
	Credentials map[string]invCredential `yaml:"credentials"`
	Devices     []invDevice              `yaml:"devices"`
}

func (l *Lab) writeInventory() error {
	inv := inventory{
		KnownHosts:  "known_hosts",
		Credentials: map[string]invCredential{"lab": {Username: l.creds.Username, PasswordFile: filepath.Join("credentials", "lab.password")}},
	}
	for _, d := range l.devices {
		id := invDevice{Name: d.info.Name, Address: l.opts.Host, Kind: d.info.Kind, Labels: d.info.Labels, Credentials: "lab"}
		for _, e := range d.info.Endpoints {
			p := invProtocol{Name: e.Protocol, Port: e.Port, Platform: e.Platform}
			if e.Protocol == ProtoGNMI {
				tls := e.TLS
				p.TLS = &tls
			}
			id.Protocols = append(id.Protocols, p)
		}
		if id.Protocols == nil {
			id.Protocols = []invProtocol{}
		}
		inv.Devices = append(inv.Devices, id)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# netagent inventory of the simulated lab %q (written by netagent lab)\n", l.topo.Name)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(inv); err != nil {
		return fmt.Errorf("lab %s: inventory: %w", l.topo.Name, err)
	}
	return writeFile(l.InventoryPath(), b.Bytes(), 0o644)
}

// standard ports of each protocol inside a real device, for port-bindings.
var containerPort = map[string]int{ProtoGNMI: 57400, ProtoNETCONF: 830, ProtoCLI: 22}

type clabPortBinding struct {
	HostIP   string `json:"host-ip"`
	HostPort int    `json:"host-port"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
}

type clabNode struct {
	Index        string            `json:"index"`
	ShortName    string            `json:"shortname"`
	LongName     string            `json:"longname"`
	FQDN         string            `json:"fqdn"`
	Group        string            `json:"group"`
	LabDir       string            `json:"labdir"`
	Kind         string            `json:"kind"`
	Image        string            `json:"image"`
	MgmtNet      string            `json:"mgmt-net"`
	MgmtIntf     string            `json:"mgmt-intf"`
	MgmtIPv4     string            `json:"mgmt-ipv4-address"`
	MgmtIPv4Len  int               `json:"mgmt-ipv4-prefix-length"`
	MgmtIPv6     string            `json:"mgmt-ipv6-address"`
	MgmtIPv6Len  int               `json:"mgmt-ipv6-prefix-length"`
	MACAddress   string            `json:"mac-address"`
	Labels       map[string]string `json:"labels"`
	PortBindings []clabPortBinding `json:"port-bindings"`
}

type clabEnd struct {
	Node      string `json:"node"`
	Interface string `json:"interface"`
	MAC       string `json:"mac"`
	Peer      string `json:"peer"`
}

type clabLink struct {
	A clabEnd `json:"a"`
	Z clabEnd `json:"z"`
}

type clabData struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Clab struct {
		Config struct {
			Prefix string `json:"prefix"`
			Mgmt   struct {
				Network    string `json:"network"`
				IPv4Subnet string `json:"ipv4-subnet"`
			} `json:"mgmt"`
			ConfigPath string `json:"config-path"`
		} `json:"config"`
	} `json:"clab"`
	Nodes map[string]clabNode `json:"nodes"`
	Links []clabLink          `json:"links"`
}

func (l *Lab) longName(n string) string { return "clab-" + l.topo.Name + "-" + n }

// mac derives a stable locally administered MAC for link i side s.
func mac(i, s int) string {
	return fmt.Sprintf("aa:c1:ab:%02x:%02x:%02x", (i>>8)&0xff, i&0xff, s)
}

func (l *Lab) writeTopologyData() error {
	var td clabData
	td.Name, td.Type = l.topo.Name, "clab"
	td.Clab.Config.Prefix = "clab"
	td.Clab.Config.Mgmt.Network = "netagent-lab"
	td.Clab.Config.Mgmt.IPv4Subnet = l.opts.Host + "/32"
	if l.topo.File != "" {
		if abs, err := filepath.Abs(l.topo.File); err == nil {
			td.Clab.Config.ConfigPath = filepath.Dir(abs)
		}
	}
	td.Nodes = map[string]clabNode{}
	for i, d := range l.devices {
		n := clabNode{
			Index: strconv.Itoa(i), ShortName: d.info.Name, LongName: l.longName(d.info.Name),
			FQDN: d.info.Name + "." + l.topo.Name + ".io", LabDir: filepath.Join(l.dir, d.info.Name),
			Kind: d.info.Kind, Image: d.node.Image, MgmtNet: "netagent-lab",
			MgmtIPv4: l.opts.Host, MgmtIPv4Len: 32,
			Labels: map[string]string{
				"containerlab": l.topo.Name, "clab-node-name": d.info.Name, "clab-node-kind": d.info.Kind,
				"clab-node-lab-dir": filepath.Join(l.dir, d.info.Name), "clab-topo-file": l.topo.File,
			},
			PortBindings: []clabPortBinding{},
		}
		for k, v := range d.info.Labels {
			n.Labels[k] = v
		}
		for _, e := range d.info.Endpoints {
			n.PortBindings = append(n.PortBindings, clabPortBinding{HostIP: e.Host, HostPort: e.Port, Port: containerPort[e.Protocol], Protocol: "tcp"})
		}
		td.Nodes[d.info.Name] = n
	}
	td.Links = []clabLink{}
	for i, lk := range l.topo.Links {
		td.Links = append(td.Links, clabLink{
			A: clabEnd{Node: lk.A.Node, Interface: lk.A.Interface, MAC: mac(i, 0), Peer: "z"},
			Z: clabEnd{Node: lk.B.Node, Interface: lk.B.Interface, MAC: mac(i, 1), Peer: "a"},
		})
	}
	b, err := json.MarshalIndent(td, "", "  ")
	if err != nil {
		return fmt.Errorf("lab %s: topology data: %w", l.topo.Name, err)
	}
	return writeFile(l.TopologyDataPath(), append(b, '\n'), 0o644)
}

// ansibleOS maps kinds to the ansible_network_os containerlab writes.
var ansibleOS = map[string]string{
	"nokia_srlinux": "nokia.srlinux.srlinux", "arista_ceos": "arista.eos.eos", "ceos": "arista.eos.eos",
	"nokia_sros": "nokia.sros.md", "juniper_crpd": "junipernetworks.junos.junos", "cisco_xrd": "cisco.iosxr.iosxr",
	"linux": "", "frr": "frr.frr.frr",
}

func (l *Lab) writeAnsible() error {
	type host struct {
		AnsibleHost string `yaml:"ansible_host"`
		AnsiblePort int    `yaml:"ansible_port,omitempty"`
	}
	type group struct {
		Vars  map[string]string `yaml:"vars,omitempty"`
		Hosts map[string]host   `yaml:"hosts"`
	}
	groups := map[string]*group{}
	for _, d := range l.devices {
		g := groups[d.info.Kind]
		if g == nil {
			g = &group{Hosts: map[string]host{}}
			if os := ansibleOS[d.info.Kind]; os != "" {
				g.Vars = map[string]string{"ansible_network_os": os, "ansible_connection": "ansible.netcommon.network_cli"}
			}
			groups[d.info.Kind] = g
		}
		h := host{AnsibleHost: l.opts.Host}
		for _, p := range []string{ProtoCLI, ProtoNETCONF} {
			if e, ok := d.info.Endpoint(p); ok {
				h.AnsiblePort = e.Port
				break
			}
		}
		g.Hosts[l.longName(d.info.Name)] = h
	}
	doc := struct {
		All struct {
			Vars     map[string]string `yaml:"vars"`
			Children map[string]*group `yaml:"children"`
		} `yaml:"all"`
	}{}
	doc.All.Vars = map[string]string{"ansible_user": l.creds.Username, "ansible_password": l.creds.Password}
	doc.All.Children = groups
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("lab %s: ansible inventory: %w", l.topo.Name, err)
	}
	return writeFile(l.AnsibleInventoryPath(), b.Bytes(), 0o600)
}

func (l *Lab) writeState() error {
	st := State{Name: l.topo.Name, AdminAddr: l.admin.addr, PID: pid(), Inventory: l.InventoryPath(), AdminTokenFile: l.admin.tokenFile}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(l.dir, stateFile), append(b, '\n'), 0o644)
}

// ListDevices renders devices for people: one line per device and protocol.
func ListDevices(devs []DeviceInfo, creds Credentials) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %-15s %-8s %-22s %s\n", "NAME", "KIND", "PROTOCOL", "ADDRESS", "DETAIL")
	for _, d := range devs {
		eps := append([]Endpoint(nil), d.Endpoints...)
		if len(eps) == 0 {
			fmt.Fprintf(&b, "%-16s %-15s %-8s %-22s %s\n", d.Name, d.Kind, "-", "-", "no management protocols")
		}
		for _, e := range eps {
			detail := ""
			switch {
			case e.Platform != "":
				detail = "platform " + e.Platform
			case e.Protocol == ProtoGNMI && e.TLS:
				detail = "tls"
			case e.Protocol == ProtoGNMI:
				detail = "insecure"
			}
			fmt.Fprintf(&b, "%-16s %-15s %-8s %-22s %s\n", d.Name, d.Kind, e.Protocol, net.JoinHostPort(e.Host, strconv.Itoa(e.Port)), detail)
		}
	}
	fmt.Fprintf(&b, "credentials: username %s password %s\n", creds.Username, creds.Password)
	return b.String()
}

// ListHosts renders hosts for people: one line per host ("" when there
// are none).
func ListHosts(hosts []HostInfo) string {
	if len(hosts) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %-20s %-24s %s\n", "HOST", "KIND", "INTERFACES", "WHAT")
	for _, h := range hosts {
		ifs := strings.Join(h.Interfaces, ",")
		if ifs == "" {
			ifs = "-"
		}
		fmt.Fprintf(&b, "%-16s %-20s %-24s %s\n", h.Name, h.Kind, ifs, h.System)
	}
	return b.String()
}
