package benchops

import (
	"syscall"
	"testing"
	"time"
)

// usage is the process's CPU time and voluntary context switches so far.
type usage struct {
	cpu  time.Duration
	vcsw int64
}

func now(tb testing.TB) usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return usage{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), vcsw: ru.Nvcsw}
}

// side accumulates one side's wall time, CPU time and context switches.
type side struct {
	wall time.Duration
	use  usage
}

func (s *side) add(wall time.Duration, from, to usage) {
	s.wall += wall
	s.use.cpu += to.cpu - from.cpu
	s.use.vcsw += to.vcsw - from.vcsw
}

// Alternate runs adapter and bare in turn for every b.Loop iteration i
// (which goes first alternates, so neither always runs warm), passing the
// operation's number in the run: 2i to the first, 2i+1 to the second, so
// operations that move the device's state (a route to the other hop) stay
// in sequence whichever side goes first. It reports,
// for each side, ops/s of wall time, the process's CPU time per op
// (cpu-µs/op: the device, when it runs in the same process, counts for
// both alike) and its voluntary context switches per op (vcsw/op: how
// often a thread blocked, the hand-offs), and ratio = adapter ops/s / bare
// ops/s (wall) and cpu-ratio = bare CPU / adapter CPU. The machine's load
// weighs on both sides alike; CPU time per op depends on it much less than
// wall time does.
func Alternate(b *testing.B, adapter, bare func(op int) error) {
	b.Helper()
	var a, w side
	for i := 0; b.Loop(); i++ {
		first, second := adapter, bare
		sf, ss := &a, &w
		if i%2 == 1 {
			first, second, sf, ss = bare, adapter, &w, &a
		}
		u0, t0 := now(b), time.Now()
		if err := first(2 * i); err != nil {
			b.Fatal(err)
		}
		u1, t1 := now(b), time.Now()
		if err := second(2*i + 1); err != nil {
			b.Fatal(err)
		}
		u2, t2 := now(b), time.Now()
		sf.add(t1.Sub(t0), u0, u1)
		ss.add(t2.Sub(t1), u1, u2)
	}
	n := float64(b.N)
	b.ReportMetric(n/a.wall.Seconds(), "adapter-ops/s")
	b.ReportMetric(n/w.wall.Seconds(), "bare-ops/s")
	b.ReportMetric(w.wall.Seconds()/a.wall.Seconds(), "ratio")
	b.ReportMetric(float64(a.use.cpu.Microseconds())/n, "adapter-cpu-µs/op")
	b.ReportMetric(float64(w.use.cpu.Microseconds())/n, "bare-cpu-µs/op")
	b.ReportMetric(w.use.cpu.Seconds()/a.use.cpu.Seconds(), "cpu-ratio")
	b.ReportMetric(float64(a.use.vcsw)/n, "adapter-vcsw/op")
	b.ReportMetric(float64(w.use.vcsw)/n, "bare-vcsw/op")
}
