package lab

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/ssh"

	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/yang"
)

// ErrUnknownDevice is returned for a device name the lab does not have.
var ErrUnknownDevice = errors.New("unknown device")

// ErrUnknownLink is returned for an endpoint no link uses.
var ErrUnknownLink = errors.New("unknown link")

// Options configure Start. The zero value works: state goes to
// clab-<name>/ beside the topology file (or in the working directory).
type Options struct {
	// Dir is the state directory: host keys, credentials, known_hosts and
	// the inventories. Default: clab-<name> beside the topology file.
	Dir string
	// Username for every device (default "admin").
	Username string
	// Password for every device. Default: the one saved in
	// Dir/credentials/lab.password, or a new random one saved there.
	Password string
	// Host is the address devices listen on (default 127.0.0.1).
	Host string
	// BasePort: when non-zero, ports are handed out upwards from it
	// (skipping ports in use), so they stay the same across restarts.
	// Zero means ephemeral ports.
	BasePort int
	// Seed makes synthetic telemetry deterministic (default 1).
	Seed int64
	// NoAdmin disables the admin HTTP API.
	NoAdmin bool
	// Anomalies are scripted into the telemetry model at start.
	Anomalies []synth.Anomaly
	// GNMITLS serves gNMI over TLS with a self-signed certificate written to
	// Dir/gnmi-ca.pem.
	GNMITLS bool
	// Log receives the lab's logs; nil discards them.
	Log *slog.Logger
}

// Endpoint is one protocol a device serves.
type Endpoint struct {
	Protocol string `json:"protocol"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	TLS      bool   `json:"tls,omitempty"`
	Platform string `json:"platform,omitempty"` // cli only: frr | eos | srl
}

// Addr is host:port.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// DeviceInfo describes a running simulated device.
type DeviceInfo struct {
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	Labels    map[string]string `json:"labels,omitempty"`
	Endpoints []Endpoint        `json:"endpoints"` // in preference order
	// HostKey is the device's SSH host public key in authorized_keys form.
	HostKey string `json:"host_key"`
}

// HostInfo describes a node that takes part in the topology (its links,
// name and labels) but is not a managed device: a Linux host, a bridge, an
// appliance netagent does not configure, or a node of an unknown kind. It
// serves nothing and is not in the inventory.
type HostInfo struct {
	Name   string            `json:"name"`
	Kind   string            `json:"kind"`
	Image  string            `json:"image,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	// System is what the kind runs ("Linux host", "traffic generator").
	System string `json:"system"`
	// Interfaces are the interfaces its links use, sorted.
	Interfaces []string `json:"interfaces,omitempty"`
}

// clone returns a copy sharing no map or slice with d.
func (d DeviceInfo) clone() DeviceInfo {
	c := d
	c.Endpoints = append([]Endpoint(nil), d.Endpoints...)
	if d.Labels != nil {
		c.Labels = make(map[string]string, len(d.Labels))
		for k, v := range d.Labels {
			c.Labels[k] = v
		}
	}
	return c
}

// Endpoint returns the device's endpoint for protocol p.
func (d DeviceInfo) Endpoint(p string) (Endpoint, bool) {
	for _, e := range d.Endpoints {
		if e.Protocol == p {
			return e, true
		}
	}
	return Endpoint{}, false
}

// Credentials are the lab's login for every device.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LogValue keeps the password out of logs.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", c.Username), slog.String("password", "REDACTED"))
}

type device struct {
	info     DeviceInfo
	node     topo.Node
	platform string
	store    *datastore.Store
	faults   *fault.Set
	signer   ssh.Signer
	closers  []io.Closer
}

// Lab is a running simulated lab. Its methods are safe for concurrent use.
type Lab struct {
	topo     *topo.Topology
	opts     Options
	dir      string
	creds    Credentials
	log      *slog.Logger
	devices  []*device
	byName   map[string]*device
	hosts    []HostInfo
	sessions atomic.Uint32
	model    *model
	admin    *adminServer

	tlsOnce sync.Once
	tlsCfg  *tls.Config
	tlsErr  error

	closeOnce sync.Once
	closeErr  error
}

// Start starts one simulated device per node of t and writes the lab's
// files (inventories, known_hosts, credentials). The devices run until
// Close; ctx bounds only the start-up.
func Start(ctx context.Context, t *topo.Topology, opts Options) (*Lab, error) {
	if opts.Username == "" {
		opts.Username = "admin"
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	dir := opts.Dir
	if dir == "" {
		base := "."
		if t.File != "" {
			base = filepath.Dir(t.File)
		}
		dir = filepath.Join(base, "clab-"+t.Name)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("lab %s: state dir: %w", t.Name, err)
	}
	l := &Lab{topo: t, opts: opts, dir: abs, log: opts.Log, byName: map[string]*device{}}
	if err := os.MkdirAll(filepath.Join(abs, "keys"), 0o700); err != nil {
		return nil, fmt.Errorf("lab %s: state dir: %w", t.Name, err)
	}
	pw, err := l.password()
	if err != nil {
		return nil, err
	}
	l.creds = Credentials{Username: opts.Username, Password: pw}
	l.model = newModel(t, opts.Seed)

	ports := &portAllocator{host: opts.Host, next: opts.BasePort}
	ok := false
	defer func() {
		if !ok {
			_ = l.Close()
		}
	}()
	for _, n := range t.Nodes {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("lab %s: start: %w", t.Name, err)
		}
		p, err := resolvePersonality(n)
		if err != nil {
			return nil, fmt.Errorf("lab %s: %w", t.Name, err)
		}
		if p.host {
			l.hosts = append(l.hosts, HostInfo{Name: n.Name, Kind: n.Kind, Image: n.Image, Labels: n.Labels, System: p.system, Interfaces: t.Interfaces(n.Name)})
			continue
		}
		d, err := l.startDevice(n, p, ports)
		if err != nil {
			return nil, err
		}
		l.devices = append(l.devices, d)
		l.byName[n.Name] = d
	}
	for _, a := range opts.Anomalies {
		if err := l.AddAnomaly(a); err != nil {
			return nil, err
		}
	}
	if err := l.writeFiles(); err != nil {
		return nil, err
	}
	if !opts.NoAdmin {
		a, err := startAdmin(l, opts.Host)
		if err != nil {
			return nil, fmt.Errorf("lab %s: admin api: %w", t.Name, err)
		}
		l.admin = a
		if err := l.writeState(); err != nil {
			return nil, err
		}
	}
	ok = true
	for _, w := range t.Warnings {
		l.log.Warn("topology", "warning", w.String())
	}
	l.log.Info("lab started", "lab", t.Name, "devices", len(l.devices), "hosts", len(l.hosts), "dir", abs)
	return l, nil
}

func (l *Lab) startDevice(n topo.Node, p personality, ports *portAllocator) (*device, error) {
	signer, err := l.hostKey(n.Name)
	if err != nil {
		return nil, err
	}
	d := &device{
		info: DeviceInfo{
			Name: n.Name, Kind: n.Kind, Labels: n.Labels,
			HostKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))),
		},
		node:     n,
		platform: p.platform,
		store:    datastore.New(n.Name, initialConfig(l.topo, n.Name)),
		faults:   fault.NewSet(),
		signer:   signer,
	}
	for _, proto := range p.protocols {
		ln, err := ports.listen()
		if err != nil {
			d.close()
			return nil, fmt.Errorf("lab %s: device %s: listen for %s: %w", l.topo.Name, n.Name, proto, err)
		}
		fl := fault.Wrap(ln, d.faults, fault.Protocol(proto))
		port := ln.Addr().(*net.TCPAddr).Port
		ep := Endpoint{Protocol: proto, Host: l.opts.Host, Port: port}
		if proto == ProtoCLI {
			ep.Platform = p.platform
		}
		if proto == ProtoGNMI {
			ep.TLS = l.opts.GNMITLS
		}
		c, err := l.serve(d, proto, fl)
		if err != nil {
			_ = fl.Close()
			d.close()
			return nil, fmt.Errorf("lab %s: device %s: start %s: %w", l.topo.Name, n.Name, proto, err)
		}
		d.closers = append(d.closers, c)
		d.info.Endpoints = append(d.info.Endpoints, ep)
	}
	return d, nil
}

func (d *device) close() error {
	var errs []error
	for i := len(d.closers) - 1; i >= 0; i-- {
		errs = append(errs, d.closers[i].Close())
	}
	d.closers = nil
	d.store.Close()
	return errors.Join(errs...)
}

// Close stops every device and the admin API and waits for them. The state
// directory stays (host keys persist across restarts).
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		var errs []error
		if l.admin != nil {
			errs = append(errs, l.admin.close())
			_ = os.Remove(filepath.Join(l.dir, stateFile))
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for _, d := range l.devices {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := d.close(); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("close %s: %w", d.info.Name, err))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// Name is the topology's name.
func (l *Lab) Name() string { return l.topo.Name }

// Topology returns the topology the lab runs.
func (l *Lab) Topology() *topo.Topology { return l.topo }

// Dir is the state directory.
func (l *Lab) Dir() string { return l.dir }

// Credentials returns the login of every device.
func (l *Lab) Credentials() Credentials { return l.creds }

// KnownHostsPath is the known_hosts file holding every device's host key.
func (l *Lab) KnownHostsPath() string { return filepath.Join(l.dir, "known_hosts") }

// InventoryPath is the netagent inventory file.
func (l *Lab) InventoryPath() string { return filepath.Join(l.dir, "netagent-inventory.yml") }

// TopologyDataPath is containerlab's topology-data.json.
func (l *Lab) TopologyDataPath() string { return filepath.Join(l.dir, "topology-data.json") }

// AnsibleInventoryPath is containerlab's ansible-inventory.yml.
func (l *Lab) AnsibleInventoryPath() string { return filepath.Join(l.dir, "ansible-inventory.yml") }

// AdminToken is the bearer secret the admin API requires ("" when disabled).
func (l *Lab) AdminToken() string {
	if l.admin == nil {
		return ""
	}
	return l.admin.token
}

// AdminAddr is the admin API's host:port ("" when disabled).
func (l *Lab) AdminAddr() string {
	if l.admin == nil {
		return ""
	}
	return l.admin.addr
}

// Devices returns every device, in topology order.
func (l *Lab) Devices() []DeviceInfo {
	out := make([]DeviceInfo, len(l.devices))
	for i, d := range l.devices {
		out[i] = d.info.clone()
	}
	return out
}

// Hosts returns the topology's nodes that are not devices, in topology
// order.
func (l *Lab) Hosts() []HostInfo {
	out := make([]HostInfo, len(l.hosts))
	for i, h := range l.hosts {
		h.Interfaces = append([]string(nil), h.Interfaces...)
		if h.Labels != nil {
			m := make(map[string]string, len(h.Labels))
			for k, v := range h.Labels {
				m[k] = v
			}
			h.Labels = m
		}
		out[i] = h
	}
	return out
}

// Device returns the device called name.
func (l *Lab) Device(name string) (DeviceInfo, bool) {
	d, ok := l.byName[name]
	if !ok {
		return DeviceInfo{}, false
	}
	return d.info.clone(), true
}

func (l *Lab) device(name string) (*device, error) {
	d, ok := l.byName[name]
	if !ok {
		return nil, fmt.Errorf("lab %s: device %q: %w", l.topo.Name, name, ErrUnknownDevice)
	}
	return d, nil
}

// Store returns the datastore of device name (for tests that inspect or
// seed configuration directly).
func (l *Lab) Store(name string) (*datastore.Store, error) {
	d, err := l.device(name)
	if err != nil {
		return nil, err
	}
	return d.store, nil
}

// Running returns a copy of device name's running configuration.
func (l *Lab) Running(name string) (*yang.Tree, error) {
	d, err := l.device(name)
	if err != nil {
		return nil, err
	}
	return d.store.Running(), nil
}

// InjectFault adds a fault to device name.
func (l *Lab) InjectFault(name string, f fault.Fault) error {
	d, err := l.device(name)
	if err != nil {
		return err
	}
	if err := d.faults.Inject(f); err != nil {
		return fmt.Errorf("lab %s: inject fault on %s: %w", l.topo.Name, name, err)
	}
	l.log.Info("fault injected", "device", name, "kind", f.Kind, "protocol", f.Protocol)
	return nil
}

// ClearFaults removes device name's faults matching protocol p and kind k
// (fault.Any and "" match all) and returns how many it removed.
func (l *Lab) ClearFaults(name string, p fault.Protocol, k fault.Kind) (int, error) {
	d, err := l.device(name)
	if err != nil {
		return 0, err
	}
	return d.faults.Clear(p, k), nil
}

// Faults returns device name's active faults.
func (l *Lab) Faults(name string) ([]fault.Fault, error) {
	d, err := l.device(name)
	if err != nil {
		return nil, err
	}
	return d.faults.List(), nil
}

// FaultHits returns how often each of device name's faults fired, keyed
// "protocol/kind".
func (l *Lab) FaultHits(name string) (map[string]uint64, error) {
	d, err := l.device(name)
	if err != nil {
		return nil, err
	}
	return d.faults.Hits(), nil
}

// SetLink takes the link using endpoint ("leaf1:e1-1") down or up. Both
// ends' interfaces go oper-down, the link loses every packet, and routes
// reconverge (see the telemetry model in the package documentation).
func (l *Lab) SetLink(endpoint string, up bool) error {
	node, ifname, _ := strings.Cut(endpoint, ":")
	for i, lk := range l.topo.Links {
		if (lk.A.Node == node && lk.A.Interface == ifname) || (lk.B.Node == node && lk.B.Interface == ifname) {
			l.model.setLink(i, up)
			l.log.Info("link state", "link", lk.A.String()+"--"+lk.B.String(), "up", up)
			return nil
		}
	}
	return fmt.Errorf("lab %s: link at %q: %w", l.topo.Name, endpoint, ErrUnknownLink)
}

// portAllocator hands out listeners on host without collisions.
type portAllocator struct {
	host string
	next int // 0: ephemeral
}

func (p *portAllocator) listen() (net.Listener, error) {
	if p.next == 0 {
		return net.Listen("tcp", net.JoinHostPort(p.host, "0"))
	}
	var last error
	for p.next < 65536 {
		port := p.next
		p.next++
		ln, err := net.Listen("tcp", net.JoinHostPort(p.host, strconv.Itoa(port)))
		if err == nil {
			return ln, nil
		}
		last = err
	}
	return nil, fmt.Errorf("no free port: %w", last)
}

// password returns the configured password, the saved one, or a new one.
func (l *Lab) password() (string, error) {
	path := filepath.Join(l.dir, "credentials", "lab.password")
	if l.opts.Password != "" {
		return l.opts.Password, writeFile(path, []byte(l.opts.Password+"\n"), 0o600)
	}
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil
	}
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("lab %s: password: %w", l.topo.Name, err)
	}
	for i := range buf {
		buf[i] = alphabet[int(buf[i])%len(alphabet)]
	}
	pw := string(buf)
	return pw, writeFile(path, []byte(pw+"\n"), 0o600)
}

// hostKey loads or creates the ed25519 host key of device name.
func (l *Lab) hostKey(name string) (ssh.Signer, error) {
	path := filepath.Join(l.dir, "keys", name+".key")
	if b, err := os.ReadFile(path); err == nil {
		s, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("lab %s: host key of %s: %w", l.topo.Name, name, err)
		}
		return s, nil
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("lab %s: host key of %s: %w", l.topo.Name, name, err)
	}
	blk, err := ssh.MarshalPrivateKey(priv, "netagent lab "+l.topo.Name+" "+name)
	if err != nil {
		return nil, fmt.Errorf("lab %s: host key of %s: %w", l.topo.Name, name, err)
	}
	if err := writeFile(path, pem.EncodeToMemory(blk), 0o600); err != nil {
		return nil, err
	}
	return ssh.NewSignerFromKey(priv)
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// initialConfig is a device's configuration at start: one interface per
// link endpoint, enabled, described by its peer, with an address from the
// link's /31 (10.0.0.0/8 carved by link index; the A end takes the even
// address).
func initialConfig(t *topo.Topology, name string) *yang.Tree {
	tr := yang.NewTree()
	for _, le := range t.Ends(name) {
		ifc := le.Local.Interface
		p := yang.InterfacePath(ifc)
		_ = tr.Set(p.Leaf("config", "name"), ifc)
		_ = tr.Set(p.Leaf("config", "type"), "ethernetCsmacd")
		_ = tr.Set(p.Leaf("config", "description"), "to "+le.Peer.String())
		_ = tr.Set(p.Leaf("config", "enabled"), true)
		_ = tr.Set(p.Leaf("config", "mtu"), uint64(1500))
		a := yang.AddressPath(ifc, 0, linkAddr(le.Link, le.Side))
		_ = tr.Set(a.Leaf("config", "prefix-length"), uint64(31))
	}
	return tr
}

// linkAddr is the address of side (0 or 1) of link i.
func linkAddr(i, side int) string {
	v := uint32(10)<<24 | uint32(2*i+side)
	return fmt.Sprintf("%d.%d.%d.%d", v>>24, v>>16&0xff, v>>8&0xff, v&0xff)
}
