package telemetry_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/fault"
	"github.com/netagent/netagent/lab/labtest"
	"github.com/netagent/netagent/lab/synth"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/telemetry"
)

func startLab(t testing.TB, anomalies ...synth.Anomaly) (*lab.Lab, *adapters.Pool) {
	t.Helper()
	l, inv := labtest.Start(t, topologies.TwoNode, lab.Options{Anomalies: anomalies})
	return l, labtest.Pool(t, inv, adapters.TargetOptions{}, adapters.FailoverOptions{})
}

func poolDevices(p *adapters.Pool) telemetry.Devices {
	return telemetry.DevicesFunc(func(ctx context.Context, name string) (telemetry.Monitorer, error) {
		return p.Device(ctx, name)
	})
}

// run starts c and returns a stop function that waits for it.
func run(t *testing.T, c *telemetry.Collector) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("collector: %v", err)
		}
	}
	t.Cleanup(func() {
		select {
		case <-ctx.Done():
		default:
			stop()
		}
	})
	return stop
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCollectsEveryProtocol collects r1 (gNMI first) and r2 (an FRR CLI)
// of the two-node lab and finds their metrics in the store.
func TestCollectsEveryProtocol(t *testing.T) {
	_, pool := startLab(t)
	store := telemetry.NewStore(telemetry.StoreOptions{})
	c, err := telemetry.NewCollector(telemetry.CollectorConfig{
		Devices: poolDevices(pool), Names: []string{"r1", "r2"}, Store: store,
		Adaptive: telemetry.NewAdaptive(telemetry.AdaptiveOptions{Base: 500 * time.Millisecond, Min: 100 * time.Millisecond}),
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, c)
	want := []telemetry.Key{
		{Metric: telemetry.CPUUtil, Device: "r1"},
		{Metric: telemetry.MemUtil, Device: "r1"},
		{Metric: telemetry.PowerStatus, Device: "r1", Label: "PSU1"},
		{Metric: telemetry.IfInBps, Device: "r1", Label: "e1-1"},
		{Metric: telemetry.IfOperStatus, Device: "r1", Label: "e1-1"},
		{Metric: telemetry.LinkLatencyMs, Device: "r1", Label: "r1:e1-1"},
		{Metric: telemetry.SessionsCount, Device: "r1"},
		{Metric: telemetry.IfOperStatus, Device: "r2", Label: "eth1"},
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, k := range store.Keys() {
				t.Logf("have %s", k)
			}
			t.Logf("stats %+v", c.Stats())
		}
	})
	waitFor(t, "every metric of r1 and r2", 20*time.Second, func() bool {
		for _, k := range want {
			if _, ok := store.Last(k); !ok {
				return false
			}
		}
		return true
	})
	stop()
	for _, st := range c.Stats() {
		if st.Samples == 0 {
			t.Errorf("%s: no samples (%+v)", st.Device, st)
		}
		// r1 streams gNMI: decoded on the wire; r2 is a CLI.
		if want := map[string]string{"r1": "wire", "r2": "generic"}[st.Device]; st.Decode != want {
			t.Errorf("%s decoded %q, want %q", st.Device, st.Decode, want)
		}
	}
	if p, _ := store.Last(telemetry.Key{Metric: telemetry.CPUUtil, Device: "r1"}); p.Value < 0 || p.Value > 100 {
		t.Errorf("r1 CPU %v%% is outside 0..100", p.Value)
	}
}

// TestLatencyClimbOnTheLab scripts a latency climb on r1's link and follows
// an SLO "latency below baseline+3 ms": the breach is predicted before it
// happens, then it happens, then the link recovers.
func TestLatencyClimbOnTheLab(t *testing.T) {
	climb := synth.Anomaly{Kind: synth.LatencyClimb, Target: "r1:e1-1", Start: 3 * time.Second, Duration: 5 * time.Second, Magnitude: 1}
	_, pool := startLab(t, climb)
	store := telemetry.NewStore(telemetry.StoreOptions{})
	adapt := telemetry.NewAdaptive(telemetry.AdaptiveOptions{Base: 400 * time.Millisecond, Min: 100 * time.Millisecond, Max: time.Second})
	c, err := telemetry.NewCollector(telemetry.CollectorConfig{Devices: poolDevices(pool), Names: []string{"r1"}, Store: store, Adaptive: adapt})
	if err != nil {
		t.Fatal(err)
	}
	run(t, c)
	key := telemetry.Key{Metric: telemetry.LinkLatencyMs, Device: "r1", Label: "r1:e1-1"}
	var base float64
	waitFor(t, "a baseline latency", 10*time.Second, func() bool {
		p, ok := store.Last(key)
		base = p.Value
		return ok
	})
	tg := telemetry.Target{Key: key, Op: telemetry.Below, Bound: base + 3, Window: 1500 * time.Millisecond, Horizon: 10 * time.Second}
	adapt.SetTargets(key, tg.Bound)
	seen := map[telemetry.Status]time.Time{}
	var predictedAt, breachedAt time.Time
	deadline := time.Now().Add(25 * time.Second)
	for time.Now().Before(deadline) {
		now := time.Now()
		a := telemetry.Assess(tg, store.Points(key, now.Add(-tg.Window)), now)
		if _, ok := seen[a.Status]; !ok {
			seen[a.Status] = now
			t.Logf("%s: %s", a.Status, a.Reason)
		}
		if a.BreachPredicted && predictedAt.IsZero() && a.Status != telemetry.Breached {
			predictedAt = now
		}
		if a.Status == telemetry.Breached && breachedAt.IsZero() {
			breachedAt = now
		}
		if !breachedAt.IsZero() && a.Status == telemetry.Assured {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if predictedAt.IsZero() || breachedAt.IsZero() || !predictedAt.Before(breachedAt) {
		t.Fatalf("predicted at %v, breached at %v: want a prediction before the breach (statuses %v)", predictedAt, breachedAt, seen)
	}
	if _, ok := seen[telemetry.Assured]; !ok || !seen[telemetry.Assured].Before(predictedAt) {
		t.Errorf("never assured before the climb: %v", seen)
	}
	now := time.Now()
	if a := telemetry.Assess(tg, store.Points(key, now.Add(-tg.Window)), now); a.Status != telemetry.Assured {
		t.Fatalf("after the climb: %s (%s), want assured again", a.Status, a.Reason)
	}
	if iv, why := adapt.Interval(key); iv > 400*time.Millisecond {
		t.Logf("latency interval after recovery: %s (%s)", iv, why)
	}
}

// TestCollectionSurvivesFailover takes r1's gNMI down mid-collection: the
// collector carries on over NETCONF (the failover device switches) and
// comes back when gNMI does, decoding on the wire again as soon as gNMI
// serves the device. The longest gap between CPU samples is logged.
func TestCollectionSurvivesFailover(t *testing.T) {
	l, pool := startLab(t)
	store := telemetry.NewStore(telemetry.StoreOptions{})
	iv := 300 * time.Millisecond
	c, err := telemetry.NewCollector(telemetry.CollectorConfig{
		Devices: poolDevices(pool), Names: []string{"r1"}, Store: store,
		Adaptive: telemetry.NewAdaptive(telemetry.AdaptiveOptions{Base: iv, Min: iv, Max: iv}),
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, c)
	cpu := telemetry.Key{Metric: telemetry.CPUUtil, Device: "r1"}
	waitFor(t, "a first CPU sample", 10*time.Second, func() bool { _, ok := store.Last(cpu); return ok })
	if err := l.InjectFault("r1", fault.Fault{Kind: fault.Down, Protocol: fault.GNMI}); err != nil {
		t.Fatal(err)
	}
	downAt := time.Now()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stats %+v", c.Stats())
			for _, p := range store.Points(cpu, time.Time{}) {
				t.Logf("cpu %s %v", p.Time.Format("15:04:05.000"), p.Value)
			}
			t.Logf("down at %s", downAt.Format("15:04:05.000"))
		}
	})
	waitFor(t, "CPU samples after gNMI went down", 20*time.Second, func() bool {
		p, _ := store.Last(cpu)
		return p.Time.After(downAt.Add(time.Second))
	})
	dev, err := pool.Device(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if p := dev.Capabilities().Protocol; p == adapters.GNMI {
		t.Errorf("r1 still served by %s while its gNMI is down", p)
	}
	waitFor(t, "generic decoding while gNMI is down", 20*time.Second, func() bool { return c.Stats()[0].Decode == "generic" })
	if _, err := l.ClearFaults("r1", fault.GNMI, fault.Down); err != nil {
		t.Fatal(err)
	}
	clearedAt := time.Now()
	// Back on gNMI, the collector decodes on the wire again at once, not at
	// its next resubscription (the interval here never changes).
	waitFor(t, "wire decoding once gNMI is back", 30*time.Second, func() bool { return c.Stats()[0].Decode == "wire" })
	t.Logf("back on the wire %s after gNMI recovered", time.Since(clearedAt).Round(time.Millisecond))
	wireAt := time.Now()
	waitFor(t, "CPU samples on the wire path", 20*time.Second, func() bool {
		p, _ := store.Last(cpu)
		return p.Time.After(wireAt)
	})
	stop()
	pts := store.Points(cpu, time.Time{})
	var gap time.Duration
	for i := 1; i < len(pts); i++ {
		gap = max(gap, pts[i].Time.Sub(pts[i-1].Time))
	}
	t.Logf("%d CPU samples at a %s interval, longest gap %s across the failover", len(pts), iv, gap)
	if gap > 10*iv {
		t.Errorf("a gap of %s in collection across the failover", gap)
	}
	st := c.Stats()[0]
	if st.Samples == 0 {
		t.Fatalf("no samples: %+v", st)
	}
	// The lab's values are sane: moving between protocols and decoders
	// drops none of them (a counter read over one protocol and then
	// another is not a reset, a wrap or a step back in time).
	if st.Drops != 0 {
		t.Errorf("%d values dropped across the failover: %v", st.Drops, st.DropReasons)
	}
}

// TestCPUSpikeOnTheLab scripts a CPU spike on r1: an objective "CPU below
// 60 %" breaches during the spike and is assured again after it, and the
// CPU series samples faster while it jumps.
func TestCPUSpikeOnTheLab(t *testing.T) {
	spike := synth.Anomaly{Kind: synth.CPUSpike, Target: "r1", Start: 3 * time.Second, Duration: 3 * time.Second, Magnitude: 70}
	_, pool := startLab(t, spike)
	store := telemetry.NewStore(telemetry.StoreOptions{})
	adapt := telemetry.NewAdaptive(telemetry.AdaptiveOptions{Base: 800 * time.Millisecond, Min: 100 * time.Millisecond, Max: 2 * time.Second})
	c, err := telemetry.NewCollector(telemetry.CollectorConfig{Devices: poolDevices(pool), Names: []string{"r1"}, Store: store, Adaptive: adapt})
	if err != nil {
		t.Fatal(err)
	}
	run(t, c)
	key := telemetry.Key{Metric: telemetry.CPUUtil, Device: "r1"}
	tg := telemetry.Target{Key: key, Op: telemetry.Below, Bound: 60, Window: time.Second}
	var statuses []telemetry.Status
	fastest := time.Hour
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		now := time.Now()
		a := telemetry.Assess(tg, store.Points(key, now.Add(-tg.Window)), now)
		if len(statuses) == 0 || statuses[len(statuses)-1] != a.Status {
			statuses = append(statuses, a.Status)
			t.Logf("%s: %s", a.Status, a.Reason)
		}
		if iv, _ := adapt.Interval(key); iv < fastest {
			fastest = iv
		}
		if len(statuses) >= 3 && statuses[len(statuses)-1] == telemetry.Assured && contains(statuses, telemetry.Breached) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !contains(statuses, telemetry.Breached) || statuses[len(statuses)-1] != telemetry.Assured {
		t.Fatalf("statuses %v: want a breach during the spike and assured after", statuses)
	}
	if fastest >= 800*time.Millisecond {
		t.Errorf("the CPU interval never went below the 800ms base during the spike (fastest %s)", fastest)
	}
}

func contains(ss []telemetry.Status, s telemetry.Status) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestGarbageIsDroppedNotStored has r1 (gNMI) and r2 (an FRR CLI) report
// garbage for a while (synth.Garbage: CPU 250 %, text counters, "NaN"
// loss, an unknown oper status, an absurd session count): every such value
// is counted as a drop, seen at /metrics, none reaches a series, the
// devices' sane figures keep arriving meanwhile, and collection carries on
// with good values once the garbage stops.
func TestGarbageIsDroppedNotStored(t *testing.T) {
	l, pool := startLab(t)
	store := telemetry.NewStore(telemetry.StoreOptions{})
	iv := 300 * time.Millisecond
	c, err := telemetry.NewCollector(telemetry.CollectorConfig{
		Devices: poolDevices(pool), Names: []string{"r1", "r2"}, Store: store,
		Adaptive: telemetry.NewAdaptive(telemetry.AdaptiveOptions{Base: iv, Min: iv, Max: iv}),
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, c)
	api := &telemetry.API{Store: store, Collector: c}
	routes, err := api.Routes()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, r := range routes {
		mux.Handle(r.Pattern, r.Handler)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	drops := func(dev string) float64 {
		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		// Summed over the reasons.
		ms := regexp.MustCompile(`(?m)^netagent_telemetry_drops_total\{device="`+dev+`",reason="[a-z_]+"\} (\S+)$`).FindAllSubmatch(body, -1)
		if len(ms) == 0 {
			t.Fatalf("/metrics has no drops for %s:\n%s", dev, body)
		}
		var v float64
		for _, m := range ms {
			f, err := strconv.ParseFloat(string(m[1]), 64)
			if err != nil {
				t.Fatal(err)
			}
			v += f
		}
		return v
	}
	devices := []string{"r1", "r2"}
	cpu := func(dev string) telemetry.Key { return telemetry.Key{Metric: telemetry.CPUUtil, Device: dev} }
	waitFor(t, "a first CPU sample of r1 and r2", 30*time.Second, func() bool {
		for _, d := range devices {
			if _, ok := store.Last(cpu(d)); !ok {
				return false
			}
		}
		return true
	})
	before := map[string]float64{}
	for _, d := range devices {
		before[d] = drops(d)
	}
	epoch := l.Telemetry().Epoch()
	from := time.Since(epoch)
	window := 8 * time.Second
	for _, d := range devices {
		if err := l.AddAnomaly(synth.Anomaly{Kind: synth.Garbage, Target: d, Start: from, Duration: window}); err != nil {
			t.Fatal(err)
		}
	}
	start, end := epoch.Add(from), epoch.Add(from+window)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("garbage from %s to %s; stats %+v", start.Format("15:04:05.000"), end.Format("15:04:05.000"), c.Stats())
		}
	})
	waitFor(t, "drops of r1 and r2 at /metrics", 30*time.Second, func() bool {
		for _, d := range devices {
			if drops(d) <= before[d] {
				return false
			}
		}
		return true
	})
	// The CPU at 250 % is counted as out of range on both; the collector
	// tells the reasons apart.
	waitFor(t, "out-of-range drops of r1 and r2", 30*time.Second, func() bool {
		for _, s := range c.Stats() {
			if s.DropReasons["out_of_range"] == 0 {
				return false
			}
		}
		return true
	})
	waitFor(t, "good CPU samples after the garbage stopped", 30*time.Second, func() bool {
		for _, d := range devices {
			if p, ok := store.Last(cpu(d)); !ok || !p.Time.After(end) {
				return false
			}
		}
		return true
	})
	for _, d := range devices {
		t.Logf("%s: %v values dropped", d, drops(d)-before[d])
		// The sane figures kept arriving while the others were garbage.
		peak := store.Points(telemetry.Key{Metric: telemetry.TrafficPeakBps, Device: d}, start)
		if len(peak) == 0 || !peak[0].Time.Before(end) {
			t.Errorf("%s: no traffic peak sample during the garbage window", d)
		}
	}
	// No series holds a value outside its metric's range.
	for _, k := range store.Keys() {
		info, _ := telemetry.Info(k.Metric)
		for _, p := range store.Points(k, time.Time{}) {
			if p.Value < info.Min || p.Value > info.Max || p.Value != p.Value {
				t.Errorf("%s holds %v at %s, outside %g..%g", k, p.Value, p.Time.Format("15:04:05.000"), info.Min, info.Max)
			}
		}
	}
	// r1's samples carry the device's own timestamps (gNMI): none falls
	// inside the window. (r2's CLI samples are stamped when the poll's
	// output arrives, which may be a while after the device printed it.)
	for _, k := range []telemetry.Key{cpu("r1"), {Metric: telemetry.SessionsCount, Device: "r1"}, {Metric: telemetry.MemUtil, Device: "r1"}} {
		for _, p := range store.Points(k, start.Add(iv)) {
			if p.Time.Before(end.Add(-iv)) {
				t.Errorf("%s stored %v at %s, inside the garbage window", k, p.Value, p.Time.Format("15:04:05.000"))
			}
		}
	}
}

// TestCollectorNeverGivesUpOnADevice: a device whose session set-up keeps
// failing (timing out on a loaded machine, say) is retried, with backoff,
// until it opens, and is collected from then on.
func TestCollectorNeverGivesUpOnADevice(t *testing.T) {
	_, pool := startLab(t)
	const failures = 6
	var mu sync.Mutex
	opens := 0
	devices := telemetry.DevicesFunc(func(ctx context.Context, name string) (telemetry.Monitorer, error) {
		mu.Lock()
		opens++
		n := opens
		mu.Unlock()
		if n <= failures {
			return nil, fmt.Errorf("device %s: open %d: SSH handshake did not finish in time", name, n)
		}
		return pool.Device(ctx, name)
	})
	store := telemetry.NewStore(telemetry.StoreOptions{})
	iv := 300 * time.Millisecond
	c, err := telemetry.NewCollector(telemetry.CollectorConfig{
		Devices: devices, Names: []string{"r1"}, Store: store,
		Adaptive:   telemetry.NewAdaptive(telemetry.AdaptiveOptions{Base: iv, Min: iv, Max: iv}),
		SetupRetry: 5 * time.Millisecond, SetupRetryMax: 40 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, c)
	cpu := telemetry.Key{Metric: telemetry.CPUUtil, Device: "r1"}
	waitFor(t, "CPU samples of r1 after its failed set-ups", 30*time.Second, func() bool { _, ok := store.Last(cpu); return ok })
	st := c.Stats()[0]
	if st.Errors != failures || !strings.Contains(st.LastError, "r1") {
		t.Errorf("errors %d (want %d), last error %q (want it to name r1)", st.Errors, failures, st.LastError)
	}
}
