package txnplan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/cli"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/fleet"
	"github.com/netagent/netagent/intent/txnplan"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/txn"
)

// poolDevices opens the pool's devices for the coordinator; as the
// agent's do (internal/agent txnDevices), every write a transaction makes
// drops the fleet's cached configuration of the device, so the next
// intent is planned against what the device holds.
type poolDevices struct {
	p *adapters.Pool
	f *fleet.Fleet
}

func (d poolDevices) Device(ctx context.Context, name string) (adapters.Device, error) {
	dev, err := d.p.Device(ctx, name)
	if err != nil {
		return nil, err
	}
	return writeDevice{Failover: dev, name: name, f: d.f}, nil
}

type writeDevice struct {
	*adapters.Failover
	name string
	f    *fleet.Fleet
}

func (d writeDevice) Commit(ctx context.Context, tx string, confirmTimeout time.Duration) error {
	defer d.f.Invalidate(d.name)
	return d.Failover.Commit(ctx, tx, confirmTimeout)
}

func (d writeDevice) Confirm(ctx context.Context, tx string) error {
	defer d.f.Invalidate(d.name)
	return d.Failover.Confirm(ctx, tx)
}

func (d writeDevice) Rollback(ctx context.Context, tx string) error {
	defer d.f.Invalidate(d.name)
	return d.Failover.Rollback(ctx, tx)
}

func (d writeDevice) Abort(ctx context.Context, tx string) error {
	defer d.f.Invalidate(d.name)
	return d.Failover.Abort(ctx, tx)
}

// netconfOnly limits every device to NETCONF, so each commit is a
// NETCONF confirmed commit (the benchmark's subject).
func netconfOnly(tb testing.TB, l *lab.Lab) *adapters.Inventory {
	inv, err := adapters.LoadInventory(l.InventoryPath(), adapters.LoadOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	for i, d := range inv.Devices {
		var keep []adapters.ProtocolSpec
		for _, p := range d.Protocols {
			if p.Name == adapters.NETCONF {
				keep = append(keep, p)
			}
		}
		if len(keep) == 0 {
			tb.Fatalf("%s speaks no NETCONF", d.Name)
		}
		inv.Devices[i].Protocols = keep
		// One label on every device: an intent names at most 256 devices,
		// a selector any number.
		labels := map[string]string{"bench": "all"}
		for k, v := range d.Labels {
			labels[k] = v
		}
		inv.Devices[i].Labels = labels
	}
	return inv
}

// BenchmarkIntent2PC submits one static-route intent to every device of a
// generated lab of 100 and of 1,000 devices and waits until it is applied
// through the coordinator (prepare, confirmed commit, read-back, confirm
// on every device). It reports the p50 wall time from submit to confirmed
// and the time per device, with cold sessions (a new pool for each intent:
// every session opens inside the transaction) and warm ones (the pool's
// sessions are open). The lab runs in the same process.
func BenchmarkIntent2PC(b *testing.B) {
	sizes := []int{100, 1000}
	if v := os.Getenv("NETAGENT_BENCH_DEVICES"); v != "" { // e.g. 1000 to profile one size
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n <= 0 {
				b.Fatalf("NETAGENT_BENCH_DEVICES=%q: want sizes like 100,1000", v)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		src, err := topo.Generate(fmt.Sprintf("bench%d", n), n)
		if err != nil {
			b.Fatal(err)
		}
		tp, err := topo.Parse(src)
		if err != nil {
			b.Fatal(err)
		}
		l, err := lab.Start(context.Background(), tp, lab.Options{Dir: filepath.Join(b.TempDir(), "lab"), NoAdmin: true})
		if err != nil {
			b.Fatal(err)
		}
		seq := 0
		for _, warm := range []bool{false, true} {
			name := fmt.Sprintf("devices=%d/sessions=cold", n)
			if warm {
				name = fmt.Sprintf("devices=%d/sessions=warm", n)
			}
			b.Run(name, func(b *testing.B) {
				var times []time.Duration
				var cpu time.Duration
				var h *harness
				for i := 0; i < b.N; i++ {
					if h == nil || !warm {
						if h != nil {
							h.close()
						}
						b.StopTimer()
						h = newHarness(b, l)
						if warm {
							h.submit(b, seq) // opens every session
							seq++
						}
						b.StartTimer()
					}
					c0 := cpuTime()
					times = append(times, h.submit(b, seq))
					cpu += cpuTime() - c0
					seq++
				}
				h.close()
				sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
				p50 := times[len(times)/2]
				b.ReportMetric(float64(p50.Milliseconds()), "ms-p50")
				b.ReportMetric(float64(p50.Microseconds())/float64(n), "us/device")
				// CPU of the whole process (both sides: the lab runs in it)
				// per intent and per device: what the wall time is made of
				// on a quiet machine, whatever the load.
				b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/float64(n), "cpu-us/device")
			})
		}
		l.Close()
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type harness struct {
	mu     sync.Mutex
	steps  map[txn.Step]time.Time // when each step of the latest transaction was logged first
	svc    *intent.Service
	pool   *adapters.Pool
	db     *store.DB
	names  []string
	cancel context.CancelFunc
	done   chan struct{}
}

func newHarness(b *testing.B, l *lab.Lab) *harness {
	ctx := context.Background()
	inv := netconfOnly(b, l)
	reg := adapters.NewRegistry()
	for n, o := range map[string]adapters.Opener{adapters.NETCONF: netconf.Opener, adapters.GNMI: gnmi.Opener, adapters.CLI: cli.Opener} {
		if err := reg.Register(n, o); err != nil {
			b.Fatal(err)
		}
	}
	pool := adapters.NewPool(inv, reg, adapters.TargetOptions{Timeouts: adapters.Timeouts{Connect: 60 * time.Second, Auth: 60 * time.Second, RPC: 60 * time.Second, Commit: 60 * time.Second}},
		adapters.FailoverOptions{Health: adapters.HealthConfig{Interval: time.Minute, ProbeTimeout: time.Minute}})
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "netagent.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	h := &harness{steps: map[txn.Step]time.Time{}}
	f := fleet.New(inv, pool)
	coord, err := txn.New(ctx, txn.Config{Store: db, Devices: poolDevices{pool, f}, AfterStep: func(id string, s txn.Step, stage string) {
		h.mu.Lock()
		if _, ok := h.steps[s]; !ok {
			h.steps[s] = time.Now()
		}
		h.mu.Unlock()
	}})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: f, Devices: f, Executor: txnplan.New(coord)})
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	h.svc, h.pool, h.db, h.names, h.cancel, h.done = svc, pool, db, inv.Names(), cancel, make(chan struct{})
	go func() { defer close(h.done); _ = svc.Run(rctx) }()
	return h
}

func (h *harness) close() {
	h.cancel()
	<-h.done
	h.pool.Close()
	h.db.Close()
}

// submit sends one intent to every device and returns submit-to-applied.
func (h *harness) submit(b *testing.B, seq int) time.Duration {
	ctx := context.Background()
	body := fmt.Sprintf(`{"id":"bench-%d","kind":"static-route","targets":{"selector":{"bench":"all"}},"spec":{"prefix":"10.%d.%d.0/24","next_hops":[{"next_hop":"192.0.2.1"}]},"options":{"confirm_timeout":"300s"}}`,
		seq, 100+seq/250, seq%250)
	h.mu.Lock()
	clear(h.steps)
	h.mu.Unlock()
	start := time.Now()
	if _, err := h.svc.Submit(ctx, []byte(body), intent.Source{Channel: "bench"}); err != nil {
		b.Fatal(err)
	}
	accepted := time.Since(start)
	rec, err := h.svc.Wait(ctx, fmt.Sprintf("bench-%d", seq))
	if err != nil || rec.State != intent.StateApplied {
		b.Fatalf("intent %d: %s %s %v", seq, rec.State, rec.Error, err)
	}
	took := time.Since(start)
	if os.Getenv("NETAGENT_BENCH_PHASES") != "" {
		// Where the time went: submit to the first prepare (planning, the
		// log's begin), then each phase to the next step's log write.
		h.mu.Lock()
		at := func(s txn.Step) time.Duration { return h.steps[s].Sub(start).Round(time.Millisecond) }
		b.Logf("intent %d: %v total; accepted (planned) at %v, prepare logged at %v, commit %v, verify %v, decision %v", seq, took.Round(time.Millisecond),
			accepted.Round(time.Millisecond), at(txn.StepPrepare), at(txn.StepCommit), at(txn.StepVerify), at(txn.StepDecision))
		h.mu.Unlock()
	}
	return took
}
