package nl_test

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/netagent/netagent/intent/nl"
)

// benchSentences are every corpus sentence, tuning and held-out.
func benchSentences(b *testing.B) []labelled {
	return append(loadLabelled(b), loadCorpus(b, "testdata/heldout.yaml")...)
}

func benchParse(b *testing.B, p *nl.Parser) {
	cases := benchSentences(b)
	ctx := context.Background()
	b.ReportAllocs()
	// The machine is shared: besides the mean wall time per sentence
	// (ns/op, which a descheduled thread or a collection under load
	// inflates), report the median and 99th percentile of each parse's
	// own wall time, and the CPU time this process spent per sentence.
	walls := make([]time.Duration, 0, 1<<16)
	before := cpuTime()
	n := 0
	for i := 0; b.Loop(); i++ {
		c := cases[i%len(cases)]
		start := time.Now()
		if _, err := p.Parse(ctx, nl.Request{Text: c.Text, Session: c.Session}); err != nil {
			b.Fatal(err)
		}
		if len(walls) < cap(walls) {
			walls = append(walls, time.Since(start))
		}
		n++
	}
	b.ReportMetric(float64((cpuTime()-before).Nanoseconds())/float64(n), "cpu-ns/op")
	slices.Sort(walls)
	if len(walls) > 0 {
		b.ReportMetric(float64(walls[len(walls)/2].Nanoseconds()), "p50-wall-ns")
		b.ReportMetric(float64(walls[len(walls)*99/100].Nanoseconds()), "p99-wall-ns")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkParse parses the corpus sentences in turn with the default rules.
func BenchmarkParse(b *testing.B) { benchParse(b, newCorpusParser(b)) }

// BenchmarkParseLargeRules does the same with four times the intent
// library (the default one and three renamed copies of it).
func BenchmarkParseLargeRules(b *testing.B) {
	var doc map[string]any
	if err := yaml.Unmarshal(nl.DefaultRules(), &doc); err != nil {
		b.Fatal(err)
	}
	intents := doc["intents"].([]any)
	out := append([]any(nil), intents...)
	for k := 1; k <= 3; k++ {
		for _, it := range intents {
			m := it.(map[string]any)
			if m["follow_up"] == true {
				continue
			}
			c := map[string]any{}
			for key, v := range m {
				c[key] = v
			}
			c["name"] = fmt.Sprintf("copy%d.%s", k, m["name"])
			out = append(out, c)
		}
	}
	doc["intents"] = out
	data, err := yaml.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	p := newCorpusParser(b)
	if err := p.LoadRules(data); err != nil {
		b.Fatal(err)
	}
	benchParse(b, p)
	b.ReportMetric(float64(len(out)), "intents")
}
