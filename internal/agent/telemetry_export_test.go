package agent

import (
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/netagent/netagent/intent/kafkaintake"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/telemetry"
)

// TestTelemetryExportedToKafka runs the agent with Kafka configured: the
// samples it collects from both lab devices arrive on the telemetry topic
// as JSON keyed by device, and /metrics counts them.
func TestTelemetryExportedToKafka(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, kafkaintake.DefaultTopic, kafkaintake.DefaultResultsTopic, kafkaintake.DefaultDLQTopic, telemetry.DefaultKafkaTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	_, base, _, cfg := startLabAgentWith(t, ctx, nil, lab.Options{}, func(cfg *config.Config) {
		cfg.Intake.KafkaBrokers = strings.Join(cluster.ListenAddrs(), ",")
		cfg.Telemetry.Interval, cfg.Telemetry.MinInterval, cfg.Telemetry.MaxInterval = 500*time.Millisecond, 100*time.Millisecond, time.Second
	})
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: cluster.ListenAddrs(), Topic: cfg.Telemetry.KafkaTopic, Partition: 0, MaxWait: 100 * time.Millisecond})
	t.Cleanup(func() { r.Close() })
	cpu := map[string]bool{}
	for n := 0; !cpu["r1"] || !cpu["r2"]; n++ {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("after %d messages (CPU of %v): %v", n, cpu, err)
		}
		var s telemetry.ExportedSample
		if err := json.Unmarshal(m.Value, &s); err != nil {
			t.Fatalf("message %d: %v: %s", n, err, m.Value)
		}
		if string(m.Key) != s.Device || s.Time.IsZero() {
			t.Fatalf("message %d keyed %q: %s", n, m.Key, m.Value)
		}
		if s.Metric == telemetry.CPUUtil {
			cpu[s.Device] = true
		}
	}
	api := bearerClient(t, cfg.AdminTokenPath())
	re := regexp.MustCompile(`(?m)^netagent_telemetry_kafka_exported_total\{topic="telemetry"\} (\S+)$`)
	for {
		res, err := api.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if m := re.FindSubmatch(body); m != nil {
			if v, _ := strconv.ParseFloat(string(m[1]), 64); v > 0 {
				break
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("/metrics counts no export:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
