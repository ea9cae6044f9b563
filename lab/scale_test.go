package lab

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"golang.org/x/sync/errgroup"

	"github.com/netagent/netagent/lab/netconfsrv"
	"github.com/netagent/netagent/lab/topo"
)

// rssMiB reads the process's resident set size.
func rssMiB(b *testing.B) float64 {
	b.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkScale starts a generated lab of 1,000 devices in one process,
// opens a NETCONF session (SSH, hello, get-config) on every device and
// reports the start time, the time to open every session and the resident
// memory once idle, with every session open. The client side of the
// sessions runs in the same process, so the figure is an upper bound for
// the lab alone.
func BenchmarkScale(b *testing.B) {
	const n = 1000
	for i := 0; i < b.N; i++ {
		src, err := topo.Generate("scale", n)
		if err != nil {
			b.Fatal(err)
		}
		tp, err := topo.Parse(src)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		base := rssMiB(b)
		start := time.Now()
		l, err := Start(context.Background(), tp, Options{Dir: b.TempDir(), NoAdmin: true})
		if err != nil {
			b.Fatal(err)
		}
		started := time.Since(start)
		runtime.GC()
		debug.FreeOSMemory()
		idle := rssMiB(b)

		hk, err := knownhosts.New(l.KnownHostsPath())
		if err != nil {
			b.Fatal(err)
		}
		c := l.Credentials()
		cfg := &ssh.ClientConfig{User: c.Username, Auth: []ssh.AuthMethod{ssh.Password(c.Password)}, HostKeyCallback: hk, Timeout: 30 * time.Second}
		var mu sync.Mutex
		var closers []func()
		g := new(errgroup.Group)
		g.SetLimit(16)
		start = time.Now()
		for _, d := range l.Devices() {
			ep, ok := d.Endpoint(ProtoNETCONF)
			if !ok {
				b.Fatalf("%s has no netconf", d.Name)
			}
			g.Go(func() error {
				cl, err := ssh.Dial("tcp", ep.Addr(), cfg)
				if err != nil {
					return err
				}
				s, err := cl.NewSession()
				if err != nil {
					return err
				}
				w, _ := s.StdinPipe()
				r, _ := s.StdoutPipe()
				if err := s.RequestSubsystem("netconf"); err != nil {
					return err
				}
				fr := netconfsrv.NewFramer(r, w)
				if _, err := fr.ReadMsg(); err != nil {
					return err
				}
				if err := fr.WriteMsg([]byte(`<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>`)); err != nil {
					return err
				}
				fr.Chunked = true
				if err := fr.WriteMsg([]byte(`<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source></get-config></rpc>`)); err != nil {
					return err
				}
				if _, err := fr.ReadMsg(); err != nil {
					return err
				}
				mu.Lock()
				closers = append(closers, func() { _ = s.Close(); _ = cl.Close() })
				mu.Unlock()
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		sessions := time.Since(start)
		runtime.GC()
		debug.FreeOSMemory()
		withSessions := rssMiB(b)
		b.ReportMetric(float64(n), "devices")
		b.ReportMetric(float64(len(closers)), "netconf-sessions")
		b.ReportMetric(started.Seconds(), "start-s")
		b.ReportMetric(sessions.Seconds(), "sessions-s")
		b.ReportMetric(idle-base, "idle-rss-MiB")
		b.ReportMetric(withSessions-base, "rss-with-sessions-MiB")
		b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
		for _, c := range closers {
			c()
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
