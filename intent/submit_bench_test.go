package intent_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/internal/trace"
)

// BenchmarkDurableSubmit measures the accept path of durable submissions
// as the agent runs it: 16 submitters at once (wrk-bench.sh's
// connections), each intent decoded, validated, planned against the
// device, stored with its transitions and its two audit entries (hash
// chain), durable before Submit returns (a file store, WAL,
// synchronous=FULL, group commit). Nothing applies them (no Run), so the
// figure is intake alone. cpu-µs/submit is the process's CPU time per
// submission (user and system), steadier than the rate on a shared
// machine; writes/batch is the group-commit factor.
//
//	go test -run '^$' -bench DurableSubmit -benchtime 20000x ./intent
func BenchmarkDurableSubmit(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "netagent.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	alog, err := audit.New(ctx, db, audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	net := intenttest.Lab()
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net, Audit: alog})
	if err != nil {
		b.Fatal(err)
	}
	// A request's context: cancelled when its client goes away.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sctx := trace.With(auth.WithPrincipal(rctx, auth.Principal{Subject: "admin", Kind: "token", Via: "bearer"}), trace.New())
	var n atomic.Int64
	b.SetParallelism(8) // 16 submitters on 2 cores
	b.ReportAllocs()
	batches0, writes0 := db.WriterStats()
	start, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Appendf(nil, `{"id":"bench-%d","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":%d}}`, i, 1501+i%1000)
			rec, err := svc.Submit(sctx, body, intent.Source{Channel: "rest", Ref: "127.0.0.1:1"})
			if err != nil {
				b.Error(err)
				return
			}
			if rec.State != intent.StatePlanned || rec.Duplicate {
				b.Errorf("%s: state %s, duplicate %v", rec.ID, rec.State, rec.Duplicate)
				return
			}
		}
	})
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	batches1, writes1 := db.WriterStats()
	b.ReportMetric(float64(n.Load())/elapsed.Seconds(), "submits/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n.Load()), "cpu-µs/submit")
	if batches1 > batches0 {
		b.ReportMetric(float64(writes1-writes0)/float64(batches1-batches0), "writes/batch")
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
