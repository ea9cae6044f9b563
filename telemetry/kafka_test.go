package telemetry_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/netagent/netagent/telemetry"
)

// TestKafkaExportOfTheLab collects the two-node lab and exports every
// stored sample to the telemetry topic of an in-process broker: each
// message is the sample's JSON keyed by its device, and what arrives
// matches the store.
func TestKafkaExportOfTheLab(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, telemetry.DefaultKafkaTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	ex, err := telemetry.NewKafkaExporter(telemetry.KafkaConfig{Brokers: cluster.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	exDone := make(chan error, 1)
	go func() { exDone <- ex.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-exDone; err != nil {
			t.Errorf("exporter: %v", err)
		}
	})

	_, pool := startLab(t)
	store := telemetry.NewStore(telemetry.StoreOptions{})
	iv := 300 * time.Millisecond
	c, err := telemetry.NewCollector(telemetry.CollectorConfig{
		Devices: poolDevices(pool), Names: []string{"r1", "r2"}, Store: store,
		Adaptive: telemetry.NewAdaptive(telemetry.AdaptiveOptions{Base: iv, Min: iv, Max: iv}),
		OnSample: ex.Offer,
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, c)

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: cluster.ListenAddrs(), Topic: telemetry.DefaultKafkaTopic, Partition: 0, MaxWait: 100 * time.Millisecond})
	t.Cleanup(func() { r.Close() })
	rctx, rcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer rcancel()
	want := map[telemetry.Key]bool{
		{Metric: telemetry.CPUUtil, Device: "r1"}:                         false,
		{Metric: telemetry.IfInBps, Device: "r1", Label: "e1-1"}:          false,
		{Metric: telemetry.LinkLatencyMs, Device: "r1", Label: "r1:e1-1"}: false,
		{Metric: telemetry.CPUUtil, Device: "r2"}:                         false,
		{Metric: telemetry.IfOperStatus, Device: "r2", Label: "eth1"}:     false,
	}
	missing := len(want)
	for n := 0; missing > 0; n++ {
		m, err := r.ReadMessage(rctx)
		if err != nil {
			t.Fatalf("after %d messages, still missing %d series: %v (exporter stats %v)", n, missing, err, fmtStats(ex))
		}
		var s telemetry.ExportedSample
		if err := json.Unmarshal(m.Value, &s); err != nil {
			t.Fatalf("message %d: %v: %s", n, err, m.Value)
		}
		if string(m.Key) != s.Device {
			t.Fatalf("message %d keyed %q carries device %q", n, m.Key, s.Device)
		}
		info, ok := telemetry.Info(s.Metric)
		if !ok || s.Unit != info.Unit || s.Value < info.Min || s.Value > info.Max || s.Time.IsZero() {
			t.Fatalf("message %d: %s", n, m.Value)
		}
		k := telemetry.Key{Metric: s.Metric, Device: s.Device, Label: s.Label}
		// The store holds the same point.
		found := false
		for _, p := range store.Points(k, s.Time.Add(-time.Millisecond)) {
			found = found || (p.Time.Sub(s.Time).Abs() < time.Millisecond && float32(p.Value) == float32(s.Value))
		}
		if !found {
			t.Fatalf("message %d (%s) is not in the store", n, m.Value)
		}
		if seen, ok := want[k]; ok && !seen {
			want[k] = true
			missing--
		}
	}
	if exported, _ := ex.Stats(); exported == 0 {
		t.Errorf("exporter stats %v", fmtStats(ex))
	}
}

func fmtStats(ex *telemetry.KafkaExporter) [2]uint64 {
	e, d := ex.Stats()
	return [2]uint64{e, d}
}
