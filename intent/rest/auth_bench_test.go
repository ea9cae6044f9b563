package rest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/store"
)

// BenchmarkRESTDryRunAuth measures REST intake of dry-run intents with the
// agent's auth layer off and on (a hashed bearer token checked per request,
// traceparent handled), in one run so the two figures compare:
//
//	go test -run X -bench RESTDryRunAuth -benchtime 2s ./intent/rest
func BenchmarkRESTDryRunAuth(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	net := intenttest.Lab()
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net})
	if err != nil {
		b.Fatal(err)
	}
	parser, err := nl.New(net)
	if err != nil {
		b.Fatal(err)
	}
	h := rest.New(svc, parser, nil)
	tokens, err := auth.OpenTokenStore(filepath.Join(b.TempDir(), "tokens.json"))
	if err != nil {
		b.Fatal(err)
	}
	_, secret, err := tokens.Create("bench", []auth.Scope{auth.IntentsWrite}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	layer, err := auth.NewLayer(auth.WithTokens(tokens))
	if err != nil {
		b.Fatal(err)
	}
	modes := []struct {
		name    string
		handler http.Handler
		token   string
	}{
		{"off", h.Serve(), ""},
		{"on", layer.Handler(h.Routes()), secret},
	}
	// Alternate off and on (three rounds) so drift on a shared machine
	// hits both alike; compare the medians.
	for i := range 6 {
		mode := modes[i%2]
		b.Run(mode.name, func(b *testing.B) {
			srv := httptest.NewServer(mode.handler)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			var n atomic.Int64
			b.SetParallelism(4)
			b.ReportAllocs()
			start, cpu0 := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					body := fmt.Sprintf(`{"id":"dry-%d","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth%d","mtu":%d},"options":{"dry_run":true}}`, i, 1+i%4, 1600+i%5000)
					req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/intents", bytes.NewReader([]byte(body)))
					req.Header.Set("Content-Type", "application/json")
					if mode.token != "" {
						req.Header.Set("Authorization", "Bearer "+mode.token)
					}
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "intents/s")
			// CPU time per intent (client and server, this process) is
			// steadier than wall time on a shared machine.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n.Load()), "cpu-µs/intent")
		})
	}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
