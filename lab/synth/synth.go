package synth

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/yang"
)

// Point is one state value at one gNMI path. Value is uint64, float64,
// bool or string.
type Point struct {
	Path  string
	Value any
}

// AnomalyKind names a scripted anomaly.
type AnomalyKind string

// Scripted anomalies.
const (
	// CPUSpike raises a device's CPU utilisation by Magnitude percentage
	// points (capped at 100) for Duration.
	CPUSpike AnomalyKind = "cpu-spike"
	// LatencyClimb makes a link's latency grow by Magnitude ms per second
	// from Start until Duration ends.
	LatencyClimb AnomalyKind = "latency-climb"
	// LossBurst adds Magnitude percent packet loss on a link.
	LossBurst AnomalyKind = "loss-burst"
	// PSUFail fails power supply PSU2 of a device.
	PSUFail AnomalyKind = "psu-fail"
	// TrafficSurge multiplies a device's traffic and sessions by Magnitude.
	TrafficSurge AnomalyKind = "traffic-surge"
	// Garbage makes a device report values no collector should store:
	// CPU 250 %, negative link latency, memory utilisation and interface
	// counters as text, link loss as "NaN", an unknown oper status and a
	// session count beyond any range (GarbageCPU and the rest). Its other
	// figures (power, traffic peak, application mix) stay sane, so the
	// device keeps reporting. Magnitude is not used.
	Garbage AnomalyKind = "garbage"
)

// The values a device under a Garbage anomaly reports.
const (
	GarbageCPU       = 250.0 // percent: out of 0..100
	GarbageLatencyMs = -5.0  // negative
	GarbageText      = "n/a" // memory utilisation, interface counters
	GarbageLoss      = "NaN" // a string that parses as a non-number
	GarbageStatus    = "BOGUS"
	GarbageSessions  = uint64(1e12)
)

// Anomaly is a scripted deviation from the normal model.
type Anomaly struct {
	Kind AnomalyKind `json:"kind"`
	// Target is a device name (cpu-spike, psu-fail, traffic-surge) or a link
	// endpoint "leaf1:e1-1" (latency-climb, loss-burst).
	Target string `json:"target"`
	// Start is the offset from the model's epoch (lab start).
	Start time.Duration `json:"start"`
	// Duration 0 means until the lab stops.
	Duration  time.Duration `json:"duration"`
	Magnitude float64       `json:"magnitude"`
}

// ErrBadAnomaly is matched by errors from Anomaly.Validate.
var ErrBadAnomaly = errors.New("bad anomaly")

// Validate checks the anomaly's kind and target form.
func (a Anomaly) Validate() error {
	switch a.Kind {
	case CPUSpike, PSUFail, TrafficSurge, Garbage:
		if a.Target == "" || strings.Contains(a.Target, ":") {
			return fmt.Errorf("%w: %s needs a device as target, got %q", ErrBadAnomaly, a.Kind, a.Target)
		}
	case LatencyClimb, LossBurst:
		if !strings.Contains(a.Target, ":") {
			return fmt.Errorf("%w: %s needs a link endpoint node:interface as target, got %q", ErrBadAnomaly, a.Kind, a.Target)
		}
	default:
		return fmt.Errorf("%w: unknown kind %q", ErrBadAnomaly, a.Kind)
	}
	if a.Start < 0 || a.Duration < 0 || a.Magnitude < 0 {
		return fmt.Errorf("%w: start, duration and magnitude must not be negative", ErrBadAnomaly)
	}
	return nil
}

func (a Anomaly) activeAt(el time.Duration) (float64, bool) {
	if el < a.Start || (a.Duration > 0 && el >= a.Start+a.Duration) {
		return 0, false
	}
	return (el - a.Start).Seconds(), true
}

type linkState struct {
	up        bool
	changedAt time.Time
	events    int
}

// Model is the lab's synthetic telemetry: every figure is a function of the
// seed, the device or link, and the time since the epoch, plus link events
// and scripted anomalies. It is safe for concurrent use.
type Model struct {
	seed  int64
	epoch time.Time
	topo  *topo.Topology

	mu        sync.Mutex // protects following fields
	links     []linkState
	anomalies []Anomaly
	converge  map[string]convergence // by device
}

type convergence struct {
	at time.Time
	ms float64
}

// New returns the model of topology t from epoch on.
func New(t *topo.Topology, seed int64, epoch time.Time) *Model {
	m := &Model{seed: seed, epoch: epoch, topo: t, links: make([]linkState, len(t.Links)), converge: map[string]convergence{}}
	for i := range m.links {
		m.links[i].up = true
	}
	return m
}

// Epoch is the model's time zero.
func (m *Model) Epoch() time.Time { return m.epoch }

// AddAnomaly scripts an anomaly.
func (m *Model) AddAnomaly(a Anomaly) {
	m.mu.Lock()
	m.anomalies = append(m.anomalies, a)
	m.mu.Unlock()
}

// Anomalies returns the scripted anomalies.
func (m *Model) Anomalies() []Anomaly {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Anomaly(nil), m.anomalies...)
}

// SetLink records link i going down or up at now; every device reconverges.
func (m *Model) SetLink(i int, up bool, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i < 0 || i >= len(m.links) || m.links[i].up == up {
		return
	}
	m.links[i].up = up
	m.links[i].changedAt = now
	m.links[i].events++
	// Convergence: the ends reconverge fastest (BFD-like detection), the rest
	// of the fabric after propagation; both depend on seed and event count.
	for _, n := range m.topo.Nodes {
		ms := 40 + 160*m.unit("conv", n.Name, fmt.Sprint(i), fmt.Sprint(m.links[i].events))
		lk := m.topo.Links[i]
		if n.Name != lk.A.Node && n.Name != lk.B.Node {
			ms += 100 + 200*m.unit("prop", n.Name, fmt.Sprint(i))
		}
		m.converge[n.Name] = convergence{at: now, ms: ms}
	}
}

// LinkUp reports whether link i is up.
func (m *Model) LinkUp(i int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return i >= 0 && i < len(m.links) && m.links[i].up
}

// unit is a deterministic pseudo-random number in [0,1) from the seed and keys.
func (m *Model) unit(keys ...string) float64 {
	h := fnv.New64a()
	fmt.Fprint(h, m.seed)
	for _, k := range keys {
		h.Write([]byte{0})
		h.Write([]byte(k))
	}
	return float64(h.Sum64()>>11) / float64(1<<53)
}

// smooth is deterministic noise in [0,1) that varies smoothly with time
// (linear interpolation between 10-second knots).
func (m *Model) smooth(el time.Duration, keys ...string) float64 {
	s := el.Seconds() / 10
	k := math.Floor(s)
	f := s - k
	a := m.unit(append(keys, fmt.Sprint(int64(k)))...)
	b := m.unit(append(keys, fmt.Sprint(int64(k)+1))...)
	return a*(1-f) + b*f
}

// Device is the resource figures of one device at one time.
type Device struct {
	CPU          float64 // percent
	MemUsed      uint64  // bytes
	MemPhysical  uint64  // bytes
	PSU          []PSU
	Sessions     uint64
	AppMix       []App   // shares sum to 1, sorted by name
	PeakBps      float64 // highest interface rate over the last 5 minutes
	ConvergeMs   float64 // last route convergence time, 0 before any link event
	ConvergeTime time.Time
}

// MemUtil is memory utilisation in percent.
func (d Device) MemUtil() float64 { return 100 * float64(d.MemUsed) / float64(d.MemPhysical) }

// PSU is one power supply.
type PSU struct {
	Name   string
	Status string // ACTIVE | INACTIVE
	Watts  float64
}

// App is one application protocol's share of traffic.
type App struct {
	Name  string
	Share float64
}

// Interface is the state of one interface.
type Interface struct {
	Name      string
	Admin     bool
	Oper      bool
	InOctets  uint64
	OutOctets uint64
	InPkts    uint64
	OutPkts   uint64
	InErrors  uint64
	Discards  uint64
	InBps     float64
	OutBps    float64
}

// Link is the performance of one link seen from a device's endpoint.
type Link struct {
	Local, Remote string // endpoints
	Up            bool
	LatencyMs     float64
	LossPct       float64
	JitterMs      float64
}

var apps = []string{"dns", "http", "https", "ssh", "video", "other"}

// garbage reports whether a Garbage anomaly on dev is active at el.
func (m *Model) garbage(dev string, el time.Duration, an []Anomaly) bool {
	for _, a := range an {
		if a.Kind == Garbage && a.Target == dev {
			if _, ok := a.activeAt(el); ok {
				return true
			}
		}
	}
	return false
}

func (m *Model) surge(dev string, el time.Duration, an []Anomaly) float64 {
	f := 1.0
	for _, a := range an {
		if a.Kind == TrafficSurge && a.Target == dev {
			if _, ok := a.activeAt(el); ok && a.Magnitude > 0 {
				f *= a.Magnitude
			}
		}
	}
	return f
}

// DeviceAt returns device dev's resource figures at now.
func (m *Model) DeviceAt(dev string, now time.Time) Device {
	el := now.Sub(m.epoch)
	m.mu.Lock()
	an := append([]Anomaly(nil), m.anomalies...)
	conv := m.converge[dev]
	m.mu.Unlock()
	base := 10 + 25*m.unit("cpu", dev)
	cpu := base + 8*math.Sin(2*math.Pi*el.Seconds()/600+6*m.unit("cpuph", dev)) + 6*m.smooth(el, "cpun", dev)
	phys := uint64(8) << 30
	mem := 0.35 + 0.25*m.unit("mem", dev) + 0.05*m.smooth(el/6, "memn", dev)
	d := Device{MemPhysical: phys, ConvergeMs: conv.ms, ConvergeTime: conv.at}
	psu2 := "ACTIVE"
	for _, a := range an {
		if a.Target != dev {
			continue
		}
		if _, ok := a.activeAt(el); !ok {
			continue
		}
		switch a.Kind {
		case CPUSpike:
			cpu += a.Magnitude
		case PSUFail:
			psu2 = "INACTIVE"
		}
	}
	d.CPU = math.Max(0, math.Min(100, round2(cpu)))
	if m.garbage(dev, el, an) {
		d.CPU = GarbageCPU
	}
	d.MemUsed = uint64(mem * float64(phys))
	w := 180 + 60*m.unit("watts", dev) + 20*(cpu/100)
	if psu2 == "ACTIVE" {
		d.PSU = []PSU{{"PSU1", "ACTIVE", round2(w / 2)}, {"PSU2", "ACTIVE", round2(w / 2)}}
	} else {
		d.PSU = []PSU{{"PSU1", "ACTIVE", round2(w)}, {"PSU2", "INACTIVE", 0}}
	}
	sf := m.surge(dev, el, an)
	d.Sessions = uint64((200 + 800*m.unit("sess", dev)) * (1 + 0.3*math.Sin(2*math.Pi*el.Seconds()/900)) * sf)
	total := 0.0
	ws := make([]float64, len(apps))
	for i, a := range apps {
		ws[i] = 0.2 + m.unit("app", dev, a) + 0.3*m.smooth(el/3, "appn", dev, a)
		total += ws[i]
	}
	for i, a := range apps {
		d.AppMix = append(d.AppMix, App{Name: a, Share: round4(ws[i] / total)})
	}
	for _, ifc := range m.Interfaces(dev, nil, now) {
		peak := m.peakRate(dev, ifc.Name) * sf
		if ifc.Oper && peak > d.PeakBps {
			d.PeakBps = round2(peak)
		}
	}
	return d
}

// rate parameters of an interface: mean bits/s, relative amplitude, period.
func (m *Model) rateParams(dev, ifname string) (b, a, w, ph float64) {
	b = 1e8 + 9e8*m.unit("rate", dev, ifname)
	a = 0.2 + 0.4*m.unit("amp", dev, ifname)
	w = 2 * math.Pi / (300 + 600*m.unit("per", dev, ifname))
	ph = 2 * math.Pi * m.unit("ph", dev, ifname)
	return
}

func (m *Model) peakRate(dev, ifname string) float64 {
	b, a, _, _ := m.rateParams(dev, ifname)
	return b * (1 + a)
}

// bits transferred from the epoch to el (closed-form integral of the rate).
func (m *Model) bits(dev, ifname, dir string, el float64) (total, rate float64) {
	b, a, w, ph := m.rateParams(dev, ifname+dir)
	total = b * (el + a/w*(math.Cos(ph)-math.Cos(w*el+ph)))
	rate = b * (1 + a*math.Sin(w*el+ph))
	return
}

// Interfaces returns the state of device dev's interfaces: every interface
// of its topology links plus every interface in its running configuration.
// An interface is oper-up when it is enabled and its link (if any) is up.
func (m *Model) Interfaces(dev string, running *yang.Tree, now time.Time) []Interface {
	el := now.Sub(m.epoch).Seconds()
	if el < 0 {
		el = 0
	}
	linkOf := map[string]int{}
	for i, lk := range m.topo.Links {
		if lk.A.Node == dev {
			linkOf[lk.A.Interface] = i
		}
		if lk.B.Node == dev {
			linkOf[lk.B.Interface] = i
		}
	}
	names := map[string]bool{}
	for n := range linkOf {
		names[n] = true
	}
	admin := map[string]bool{}
	if running != nil {
		for _, lf := range running.Leaves() {
			if len(lf.Path) >= 2 && lf.Path[0].Name == "interfaces" && len(lf.Path[1].Keys) == 1 {
				n := lf.Path[1].Keys[0].Value
				names[n] = true
				if len(lf.Path) == 4 && lf.Path[2].Name == "config" && lf.Path[3].Name == "enabled" {
					admin[n] = lf.Value == true
				}
			}
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	m.mu.Lock()
	links := append([]linkState(nil), m.links...)
	m.mu.Unlock()
	var out []Interface
	for _, n := range sorted {
		ad, ok := admin[n]
		if !ok {
			ad = true
		}
		oper := ad
		li, hasLink := linkOf[n]
		if hasLink && !links[li].up {
			oper = false
		}
		ifc := Interface{Name: n, Admin: ad, Oper: oper}
		if hasLink {
			in, inr := m.bits(dev, n, "in", el)
			outb, outr := m.bits(dev, n, "out", el)
			ifc.InOctets, ifc.OutOctets = uint64(in/8), uint64(outb/8)
			ifc.InPkts, ifc.OutPkts = ifc.InOctets/700, ifc.OutOctets/700
			ifc.InErrors = uint64(el * m.unit("err", dev, n))
			ifc.Discards = uint64(el * 3 * m.unit("disc", dev, n))
			if oper {
				ifc.InBps, ifc.OutBps = round2(inr), round2(outr)
			}
		}
		out = append(out, ifc)
	}
	return out
}

// Links returns the performance of every link at device dev's endpoints.
func (m *Model) Links(dev string, now time.Time) []Link {
	el := now.Sub(m.epoch)
	m.mu.Lock()
	an := append([]Anomaly(nil), m.anomalies...)
	links := append([]linkState(nil), m.links...)
	m.mu.Unlock()
	var out []Link
	for _, le := range m.topo.Ends(dev) {
		lk := m.topo.Links[le.Link]
		key := lk.A.String() + "--" + lk.B.String()
		l := Link{Local: le.Local.String(), Remote: le.Peer.String(), Up: links[le.Link].up}
		if !l.Up {
			l.LossPct = 100
			out = append(out, l)
			continue
		}
		lat := 0.2 + 1.8*m.unit("lat", key) + 0.2*m.smooth(el, "latn", key)
		jit := 0.05 + 0.25*m.unit("jit", key) + 0.05*m.smooth(el, "jitn", key)
		loss := 0.0
		if m.smooth(el, "lossn", key) > 0.9 {
			loss = 0.01
		}
		for _, a := range an {
			if a.Target != lk.A.String() && a.Target != lk.B.String() {
				continue
			}
			s, ok := a.activeAt(el)
			if !ok {
				continue
			}
			switch a.Kind {
			case LatencyClimb:
				lat += a.Magnitude * s
				jit += a.Magnitude * s / 10
			case LossBurst:
				loss += a.Magnitude
			}
		}
		if m.garbage(dev, el, an) {
			lat = GarbageLatencyMs
		}
		l.LatencyMs, l.JitterMs, l.LossPct = round4(lat), round4(jit), round4(math.Min(loss, 100))
		out = append(out, l)
	}
	return out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round4(v float64) float64 { return math.Round(v*10000) / 10000 }

// State returns every state point of device dev at now: OpenConfig state
// paths where OpenConfig has a home for the figure, the lab model
// (/lab/...) where it has none, and the state mirror of every config leaf
// of running (…/config/x appears as …/state/x).
func (m *Model) State(dev string, running *yang.Tree, now time.Time) []Point {
	var pts []Point
	add := func(p string, v any) { pts = append(pts, Point{Path: p, Value: v}) }
	d := m.DeviceAt(dev, now)
	m.mu.Lock()
	garbage := m.garbage(dev, now.Sub(m.epoch), m.anomalies)
	m.mu.Unlock()
	// bad replaces a value by v while a Garbage anomaly is active.
	bad := func(good, v any) any {
		if garbage {
			return v
		}
		return good
	}
	add("/system/cpus/cpu[index=ALL]/state/total/instant", d.CPU)
	add("/system/memory/state/physical", d.MemPhysical)
	add("/system/memory/state/used", d.MemUsed)
	for _, p := range d.PSU {
		add("/components/component[name="+p.Name+"]/state/oper-status", p.Status)
		add("/components/component[name="+p.Name+"]/power-supply/state/output-power", p.Watts)
	}
	for _, ifc := range m.Interfaces(dev, running, now) {
		base := "/interfaces/interface[name=" + escapeKey(ifc.Name) + "]/state/"
		add(base+"admin-status", upDown(ifc.Admin))
		add(base+"oper-status", bad(upDown(ifc.Oper), GarbageStatus))
		add(base+"counters/in-octets", bad(ifc.InOctets, GarbageText))
		add(base+"counters/out-octets", ifc.OutOctets)
		add(base+"counters/in-pkts", ifc.InPkts)
		add(base+"counters/out-pkts", ifc.OutPkts)
		add(base+"counters/in-errors", ifc.InErrors)
		add(base+"counters/in-discards", ifc.Discards)
		add("/lab/interfaces/interface[name="+escapeKey(ifc.Name)+"]/state/in-bps", ifc.InBps)
		add("/lab/interfaces/interface[name="+escapeKey(ifc.Name)+"]/state/out-bps", ifc.OutBps)
	}
	for _, l := range m.Links(dev, now) {
		base := "/lab/links/link[local=" + escapeKey(l.Local) + "]/state/"
		add(base+"remote", l.Remote)
		add(base+"up", l.Up)
		add(base+"latency-ms", l.LatencyMs)
		add(base+"loss-pct", bad(l.LossPct, GarbageLoss))
		add(base+"jitter-ms", l.JitterMs)
	}
	add("/lab/routing/state/convergence-ms", d.ConvergeMs)
	for _, a := range d.AppMix {
		add("/lab/applications/application[name="+a.Name+"]/state/share", a.Share)
	}
	add("/lab/sessions/state/count", bad(d.Sessions, GarbageSessions))
	add("/lab/traffic/state/peak-bps", d.PeakBps)
	add("/lab/system/state/memory-util", bad(round2(d.MemUtil()), GarbageText))
	if running != nil {
		for _, lf := range running.Leaves() {
			s := lf.Path.String()
			if i := strings.LastIndex(s, "/config/"); i >= 0 {
				add(s[:i]+"/state/"+s[i+len("/config/"):], lf.Value)
			}
		}
	}
	return pts
}

func upDown(b bool) string {
	if b {
		return "UP"
	}
	return "DOWN"
}

func escapeKey(s string) string {
	return strings.NewReplacer(`\`, `\\`, `]`, `\]`).Replace(s)
}
