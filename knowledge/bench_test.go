package knowledge

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchBase stores the seeds plus generated cases, 10,000 in all: each a
// seed's wording with words of a 5,000-word vocabulary mixed in, so the
// index has realistic posting lists.
func benchBase(b *testing.B) *Base {
	base := newBase(b, Options{})
	seeds, err := Seeds()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 5000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("%c%cword%c", 'a'+rune(i%26), 'a'+rune(i/26%26), 'a'+rune(i/676%26))
	}
	ex := &Export{Version: 1}
	for i := len(seeds); i < 10000; i++ {
		s := seeds[i%len(seeds)]
		words := make([]string, 6)
		for j := range words {
			words[j] = vocab[rng.IntN(len(vocab))]
		}
		ex.Cases = append(ex.Cases, Case{ID: fmt.Sprintf("bench-%05d", i), Title: s.Title + " " + words[0], ErrorType: s.ErrorType,
			Protocol: s.Protocol, Platform: s.Platform, Tag: s.Tag, Fix: s.Fix,
			Messages: []string{s.Messages[0] + " " + strings.Join(words, " ")}})
	}
	start := time.Now()
	if _, _, err := base.Import(context.Background(), ex); err != nil {
		b.Fatal(err)
	}
	b.Logf("stored %d cases in %v", len(ex.Cases)+len(seeds), time.Since(start).Round(time.Millisecond))
	return base
}

// BenchmarkLookup measures lookups per second with 10,000 cases stored, on
// one goroutine. "bm25" looks up the messages of the labelled set, each
// with a value of its own (a fingerprint miss: the normaliser, BM25 over
// the in-memory index, the re-ranking; nothing is cached between
// lookups); "fingerprint" a failure recorded before, with other values
// each time.
func BenchmarkLookup(b *testing.B) {
	base := benchBase(b)
	var obs []Observation
	for _, f := range []string{"train", "heldout"} {
		for _, l := range readLabelled(b, "testdata/labelled/"+f+".jsonl") {
			obs = append(obs, l.Observation)
		}
	}
	ctx := context.Background()
	b.Run("bm25", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		i := 0
		for b.Loop() {
			o := obs[i%len(obs)]
			o.Device = fmt.Sprintf("leaf%d", i)
			o.Message = fmt.Sprintf("%s (request %d)", o.Message, i)
			if _, err := base.Lookup(ctx, o); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		b.ReportMetric(cpuPerOp(b, cpu0), "cpu-µs/op")
	})
	seen := Observation{Device: "leaf1", Protocol: "netconf", Kind: "rejected", Tag: "operation-failed", Message: "FPC 3 is offline"}
	if _, err := base.Record(ctx, seen); err != nil {
		b.Fatal(err)
	}
	b.Run("fingerprint", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		i := 0
		for b.Loop() {
			o := seen
			o.Device, o.Message = fmt.Sprintf("leaf%d", i%90), fmt.Sprintf("FPC %d is offline", i%16)
			if ms, err := base.Lookup(ctx, o); err != nil || len(ms) != 1 || !ms[0].Exact {
				b.Fatalf("%+v %v", ms, err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		b.ReportMetric(cpuPerOp(b, cpu0), "cpu-µs/op")
	})
}

// cpuTime is the CPU time this process has used: on a shared machine it
// says what a lookup costs where the wall clock says how busy the machine
// was.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cpuPerOp(b *testing.B, since time.Duration) float64 {
	return float64((cpuTime() - since).Microseconds()) / float64(b.N)
}
