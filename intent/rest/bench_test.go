package rest_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRESTDryRun measures REST intake of dry-run intents over real
// HTTP on loopback (keep-alive connections, parallel clients): decode,
// validate, plan against the device, answer with the plan.
func BenchmarkRESTDryRun(b *testing.B) {
	s := newServer(b, false)
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var n atomic.Int64
	b.SetParallelism(4)
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"id":"dry-%d","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth%d","mtu":%d},"options":{"dry_run":true}}`, i, 1+i%4, 1600+i%5000)
			resp, err := client.Post(s.URL+"/v1/intents", "application/json", bytes.NewReader([]byte(body)))
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
}
