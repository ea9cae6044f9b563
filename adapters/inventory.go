package adapters

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Platforms the CLI adapter renders for, and the containerlab kinds that
// imply them.
var (
	CLIPlatforms = []string{"eos", "frr"}
	kindPlatform = map[string]string{
		"nokia_srlinux": "srl", "srl": "srl", "nokia_sros": "srl",
		"arista_ceos": "eos", "ceos": "eos", "arista_veos": "eos", "eos": "eos",
		"frr": "frr", "linux": "frr", "cumulus_cvx": "frr", "sonic-vs": "frr",
	}
)

// unmanagedKind are containerlab kinds that are not network devices.
var unmanagedKind = map[string]bool{"bridge": true, "ovs-bridge": true, "host": true, "ext-container": true}

// kindProtocols are the management ports a containerlab kind listens on,
// in the default preference order.
var kindProtocols = map[string][]ProtocolSpec{
	"srl":     {{Name: GNMI, Port: 57400, TLS: true}, {Name: NETCONF, Port: 830}},
	"eos":     {{Name: GNMI, Port: 6030}, {Name: NETCONF, Port: 830}, {Name: CLI, Port: 22, Platform: "eos"}},
	"frr":     {{Name: CLI, Port: 22, Platform: "frr"}},
	"unknown": {{Name: GNMI, Port: 57400}, {Name: NETCONF, Port: 830}, {Name: CLI, Port: 22}},
}

// CredentialSource says where a credential's password comes from: a file
// (relative to the inventory) or an environment variable. The password is
// read when a device is opened, never stored in the inventory.
type CredentialSource struct {
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	// password is an inline password (ansible inventories); never from the
	// netagent YAML format, which refuses inline passwords.
	password Secret
}

// LogValue shows where the password comes from, never the password (the
// inline one sits in an unexported field, which fmt would print raw).
func (c CredentialSource) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", c.Username), slog.String("password_file", c.PasswordFile),
		slog.String("password_env", c.PasswordEnv), slog.Bool("inline_password_set", c.password != ""))
}

// String is LogValue for fmt.
func (c CredentialSource) String() string {
	return fmt.Sprintf("{username %s password_file %q password_env %q inline_password_set %t}", c.Username, c.PasswordFile, c.PasswordEnv, c.password != "")
}

// DeviceSpec is one device of an inventory.
type DeviceSpec struct {
	Name        string            `yaml:"name"`
	Address     string            `yaml:"address"`
	Kind        string            `yaml:"kind"`
	Labels      map[string]string `yaml:"labels"`
	Credentials string            `yaml:"credentials"`
	Protocols   []ProtocolSpec    `yaml:"protocols"`
}

// UnmarshalYAML reads a protocol entry {name, port, tls, platform, encoding}.
func (p *ProtocolSpec) UnmarshalYAML(n *yaml.Node) error {
	var raw struct {
		Name     string `yaml:"name"`
		Port     int    `yaml:"port"`
		TLS      bool   `yaml:"tls"`
		Platform string `yaml:"platform"`
		Encoding string `yaml:"encoding"`
	}
	if err := n.Decode(&raw); err != nil {
		return err
	}
	*p = ProtocolSpec{Name: raw.Name, Port: raw.Port, TLS: raw.TLS, Platform: raw.Platform, Encoding: raw.Encoding}
	return nil
}

// Inventory is the set of devices netagent manages, with where their
// credentials and SSH host keys come from. Load it with LoadInventory; it is
// read-only afterwards and safe for concurrent use.
type Inventory struct {
	// Source is the file it was loaded from; relative paths in it are
	// relative to its directory.
	Source      string
	KnownHosts  string // absolute path
	Credentials map[string]CredentialSource
	Devices     []DeviceSpec
}

// InventoryError is a problem with an inventory, naming the file, the
// device (when one is concerned) and what to fix.
type InventoryError struct {
	File   string
	Device string
	Field  string
	Reason string
	Fix    string
}

func (e *InventoryError) Error() string {
	var b strings.Builder
	b.WriteString("inventory ")
	b.WriteString(e.File)
	if e.Device != "" {
		b.WriteString(": device ")
		b.WriteString(e.Device)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// ErrInventory matches every *InventoryError with errors.Is.
var ErrInventory = errors.New("adapters: invalid inventory")

// Is makes errors.Is(err, ErrInventory) true.
func (e *InventoryError) Is(target error) bool { return target == ErrInventory }

// LoadOptions complete inventories that do not carry everything netagent
// needs (containerlab's files have no known_hosts and, for topology-data,
// no credentials).
type LoadOptions struct {
	// KnownHosts overrides or supplies the known_hosts path.
	KnownHosts string
	// Credentials are added to (and override) the file's credentials.
	Credentials map[string]CredentialSource
	// DefaultCredentials is the credential name used by devices that name none.
	DefaultCredentials string
}

// LoadInventory reads an inventory file: netagent's YAML format,
// containerlab's topology-data.json, or containerlab's ansible-inventory.yml
// (recognised by content). Every device is checked: a unique name, an
// address, known protocols with ports, a known CLI platform, an existing
// credentials entry.
func LoadInventory(path string, opts LoadOptions) (*Inventory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &InventoryError{File: path, Reason: err.Error(), Fix: "check the inventory path"}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	inv, err := ParseInventory(data, abs)
	if err != nil {
		return nil, err
	}
	if opts.KnownHosts != "" {
		inv.KnownHosts = inv.resolve(opts.KnownHosts)
	}
	if inv.Credentials == nil {
		inv.Credentials = map[string]CredentialSource{}
	}
	for k, v := range opts.Credentials {
		inv.Credentials[k] = v
	}
	if opts.DefaultCredentials != "" {
		for i := range inv.Devices {
			if inv.Devices[i].Credentials == "" {
				inv.Devices[i].Credentials = opts.DefaultCredentials
			}
		}
	}
	if err := inv.check(); err != nil {
		return nil, err
	}
	return inv, nil
}

// ParseInventory parses inventory data; source names the file (its
// directory anchors relative paths). It does not check credential
// references (LoadInventory does, after applying options).
func ParseInventory(data []byte, source string) (*Inventory, error) {
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		return parseClabTopology(data, source)
	case isAnsible(data):
		return parseAnsible(data, source)
	}
	return parseNetagent(data, source)
}

type netagentFile struct {
	KnownHosts  string                      `yaml:"known_hosts"`
	Credentials map[string]CredentialSource `yaml:"credentials"`
	Devices     []DeviceSpec                `yaml:"devices"`
}

func parseNetagent(data []byte, source string) (*Inventory, error) {
	var f netagentFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, &InventoryError{File: source, Reason: err.Error(), Fix: "see the inventory format in the adapters package documentation"}
	}
	inv := &Inventory{Source: source, Credentials: f.Credentials}
	for _, d := range f.Devices {
		// A device listed with an explicitly empty protocol list (a bridge,
		// a host) is not managed.
		if (d.Protocols != nil && len(d.Protocols) == 0) || unmanagedKind[d.Kind] {
			continue
		}
		inv.Devices = append(inv.Devices, d)
	}
	if f.KnownHosts != "" {
		inv.KnownHosts = inv.resolve(f.KnownHosts)
	}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if len(d.Protocols) == 0 {
			d.Protocols = defaultProtocols(d.Kind)
		}
		for j := range d.Protocols {
			if d.Protocols[j].Name == CLI && d.Protocols[j].Platform == "" {
				d.Protocols[j].Platform = kindPlatform[d.Kind]
			}
		}
	}
	return inv, inv.checkDevices()
}

func defaultProtocols(kind string) []ProtocolSpec {
	pl, ok := kindPlatform[kind]
	if !ok {
		pl = "unknown"
	}
	return slices.Clone(kindProtocols[pl])
}

func (inv *Inventory) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(inv.Source), p)
}

// checkDevices checks what does not depend on load options.
func (inv *Inventory) checkDevices() error {
	var errs []error
	seen := map[string]bool{}
	bad := func(dev, field, reason, fix string) {
		errs = append(errs, &InventoryError{File: inv.Source, Device: dev, Field: field, Reason: reason, Fix: fix})
	}
	for i, d := range inv.Devices {
		name := d.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
			bad(name, "name", "missing", "give every device a unique name")
		}
		if seen[d.Name] && d.Name != "" {
			bad(name, "name", "listed twice", "device names must be unique")
		}
		seen[d.Name] = true
		if d.Address == "" {
			bad(name, "address", "missing", "set the device's management address")
		}
		if len(d.Protocols) == 0 {
			bad(name, "protocols", "none listed", "list at least one of gnmi, netconf, cli with its port")
		}
		names := map[string]bool{}
		for j, p := range d.Protocols {
			field := fmt.Sprintf("protocols[%d]", j)
			switch p.Name {
			case NETCONF, GNMI, CLI:
			default:
				bad(name, field+".name", fmt.Sprintf("unknown protocol %q", p.Name), "use gnmi, netconf or cli")
				continue
			}
			if names[p.Name] {
				bad(name, field, fmt.Sprintf("protocol %s listed twice", p.Name), "list each protocol once")
			}
			names[p.Name] = true
			if p.Port <= 0 || p.Port > 65535 {
				bad(name, field+".port", fmt.Sprintf("%d is not a TCP port", p.Port), "set the port the device serves "+p.Name+" on")
			}
			if p.Name == CLI && !slices.Contains(CLIPlatforms, p.Platform) {
				reason := fmt.Sprintf("unknown CLI platform %q", p.Platform)
				if p.Platform == "" {
					reason = fmt.Sprintf("no CLI platform and kind %q implies none", d.Kind)
				}
				bad(name, field+".platform", reason, "set platform to one of "+strings.Join(CLIPlatforms, ", "))
			}
			if p.Name == NETCONF && p.Encoding != "" && p.Encoding != "openconfig" && p.Encoding != "ietf" {
				bad(name, field+".encoding", fmt.Sprintf("unknown encoding %q", p.Encoding), "use openconfig or ietf, or leave it out to follow the device's hello")
			}
		}
	}
	return errors.Join(errs...)
}

func (inv *Inventory) check() error {
	var errs []error
	for _, d := range inv.Devices {
		if d.Credentials == "" {
			errs = append(errs, &InventoryError{File: inv.Source, Device: d.Name, Field: "credentials",
				Reason: "no credentials named", Fix: "set credentials: to an entry of the credentials section"})
			continue
		}
		c, ok := inv.Credentials[d.Credentials]
		if !ok {
			errs = append(errs, &InventoryError{File: inv.Source, Device: d.Name, Field: "credentials",
				Reason: fmt.Sprintf("credentials %q are not defined", d.Credentials), Fix: "add them to the credentials section"})
			continue
		}
		if c.PasswordFile == "" && c.PasswordEnv == "" && c.password == "" {
			errs = append(errs, &InventoryError{File: inv.Source, Device: d.Name, Field: "credentials." + d.Credentials,
				Reason: "neither password_file nor password_env is set", Fix: "point password_file at a file holding the password, or password_env at a variable"})
		}
	}
	return errors.Join(errs...)
}

// Device returns the spec of the device called name.
func (inv *Inventory) Device(name string) (DeviceSpec, bool) {
	for _, d := range inv.Devices {
		if d.Name == name {
			return d, true
		}
	}
	return DeviceSpec{}, false
}

// Select returns the devices whose labels include every label of sel, in
// inventory order (all of them for an empty selector).
func (inv *Inventory) Select(sel map[string]string) []DeviceSpec {
	var out []DeviceSpec
	for _, d := range inv.Devices {
		ok := true
		for k, v := range sel {
			if d.Labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, d)
		}
	}
	return out
}

// Names returns the device names, sorted.
func (inv *Inventory) Names() []string {
	out := make([]string, len(inv.Devices))
	for i, d := range inv.Devices {
		out[i] = d.Name
	}
	sort.Strings(out)
	return out
}

// ResolveCredentials reads the password of device's credentials from its
// file or environment variable. The error names the device and the file or
// variable to fix.
func (inv *Inventory) ResolveCredentials(device string) (Credentials, error) {
	d, ok := inv.Device(device)
	if !ok {
		return Credentials{}, &InventoryError{File: inv.Source, Device: device, Reason: "not in the inventory", Fix: "check the device name"}
	}
	c, ok := inv.Credentials[d.Credentials]
	if !ok {
		return Credentials{}, &InventoryError{File: inv.Source, Device: device, Field: "credentials",
			Reason: fmt.Sprintf("credentials %q are not defined", d.Credentials), Fix: "add them to the credentials section"}
	}
	field := "credentials." + d.Credentials
	switch {
	case c.PasswordFile != "":
		p := inv.resolve(c.PasswordFile)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return Credentials{}, &InventoryError{File: inv.Source, Device: device, Field: field + ".password_file",
				Reason: "password file " + p + " does not exist", Fix: "create it (mode 0600) holding the password, or use password_env"}
		}
		if err != nil {
			return Credentials{}, &InventoryError{File: inv.Source, Device: device, Field: field + ".password_file",
				Reason: "cannot read password file " + p + ": " + err.Error(), Fix: "make it readable by netagent"}
		}
		return Credentials{Username: c.Username, Password: Secret(strings.TrimRight(string(b), "\r\n"))}, nil
	case c.PasswordEnv != "":
		v, ok := os.LookupEnv(c.PasswordEnv)
		if !ok {
			return Credentials{}, &InventoryError{File: inv.Source, Device: device, Field: field + ".password_env",
				Reason: "environment variable " + c.PasswordEnv + " is not set", Fix: "export it before starting netagent"}
		}
		return Credentials{Username: c.Username, Password: Secret(v)}, nil
	case c.password != "":
		return Credentials{Username: c.Username, Password: c.password}, nil
	}
	return Credentials{}, &InventoryError{File: inv.Source, Device: device, Field: field,
		Reason: "neither password_file nor password_env is set", Fix: "set one of them"}
}

// TLSConfigFunc returns the TLS client configuration (roots, client
// certificate for mutual TLS) for a device.
type TLSConfigFunc func(d DeviceSpec) (*tls.Config, error)

// TargetOptions are the inventory-independent parts of a Target.
type TargetOptions struct {
	HostKeys *HostKeys // nil: built from the inventory's known_hosts, fail closed
	Timeouts Timeouts
	TLS      TLSConfigFunc // nil: system roots for TLS gNMI
	Logger   *slog.Logger
}

// Targets returns one Target per protocol of device, in preference order,
// with its credentials resolved.
func (inv *Inventory) Targets(device string, o TargetOptions) ([]Target, error) {
	d, ok := inv.Device(device)
	if !ok {
		return nil, &InventoryError{File: inv.Source, Device: device, Reason: "not in the inventory", Fix: "check the device name"}
	}
	creds, err := inv.ResolveCredentials(device)
	if err != nil {
		return nil, err
	}
	hk := o.HostKeys
	if hk == nil {
		hk = NewHostKeys(inv.KnownHosts, false, o.Logger)
	}
	out := make([]Target, 0, len(d.Protocols))
	for _, p := range d.Protocols {
		t := Target{Device: d.Name, Address: d.Address, Protocol: p, Credentials: creds, HostKeys: hk,
			Timeouts: o.Timeouts.WithDefaults(), Logger: o.Logger}
		if p.TLS && o.TLS != nil {
			cfg, err := o.TLS(d)
			if err != nil {
				return nil, fmt.Errorf("device %s: TLS configuration: %w", d.Name, err)
			}
			t.TLS = cfg
		}
		out = append(out, t)
	}
	return out, nil
}
