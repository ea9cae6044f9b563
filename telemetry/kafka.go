package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// DefaultKafkaTopic is the topic samples are exported to.
const DefaultKafkaTopic = "telemetry"

// KafkaConfig configures a KafkaExporter.
type KafkaConfig struct {
	Brokers []string
	// Topic; default DefaultKafkaTopic.
	Topic string
	// Buffer is how many samples may wait for the broker (default 65536);
	// beyond it a sample is counted as not exported (Stats) instead of
	// holding collection back.
	Buffer int
	// Transport is the kafka-go transport (TLS, SASL); nil is plain TCP.
	Transport kafka.RoundTripper
	Log       *slog.Logger
}

// ExportedSample is the JSON of one sample on the topic; the message key
// is the device, so one device's samples stay in order on one partition.
type ExportedSample struct {
	Metric string    `json:"metric"`
	Device string    `json:"device"`
	Label  string    `json:"label,omitempty"`
	Unit   string    `json:"unit"`
	Time   time.Time `json:"time"`
	Value  float64   `json:"value"`
}

// KafkaExporter publishes every sample it is offered on a Kafka topic as
// JSON keyed by device. Offer never blocks the collector: samples wait in
// a bounded buffer and Run writes them in batches. Offer and Stats are
// safe for concurrent use; Run is called once and owns the writer.
type KafkaExporter struct {
	cfg      KafkaConfig
	w        *kafka.Writer
	ch       chan Sample
	exported atomic.Uint64
	dropped  atomic.Uint64 // buffer full or the broker refused the batch
}

// NewKafkaExporter returns an exporter; Run starts it.
func NewKafkaExporter(cfg KafkaConfig) (*KafkaExporter, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("telemetry: kafka export needs brokers")
	}
	if cfg.Topic == "" {
		cfg.Topic = DefaultKafkaTopic
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 1 << 16
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	w := &kafka.Writer{
		Addr:                   kafka.TCP(cfg.Brokers...),
		Topic:                  cfg.Topic,
		Balancer:               &kafka.Hash{},
		BatchSize:              1000,
		BatchTimeout:           5 * time.Millisecond,
		RequiredAcks:           kafka.RequireOne,
		AllowAutoTopicCreation: true,
		Transport:              cfg.Transport,
	}
	return &KafkaExporter{cfg: cfg, w: w, ch: make(chan Sample, cfg.Buffer)}, nil
}

// Offer queues s for export; with the buffer full it counts s as dropped.
func (e *KafkaExporter) Offer(s Sample) {
	select {
	case e.ch <- s:
	default:
		e.dropped.Add(1)
	}
}

// Stats returns how many samples were written to the topic and how many
// were not (buffer full, broker errors).
func (e *KafkaExporter) Stats() (exported, dropped uint64) {
	return e.exported.Load(), e.dropped.Load()
}

// Run writes queued samples until ctx ends, then writes what is queued
// (for a few seconds at most), closes the writer and returns nil.
func (e *KafkaExporter) Run(ctx context.Context) error {
	batch := make([]kafka.Message, 0, 1000)
	flush := func(ctx context.Context) {
		if len(batch) == 0 {
			return
		}
		if err := e.w.WriteMessages(ctx, batch...); err != nil {
			e.dropped.Add(uint64(len(batch)))
			if ctx.Err() == nil {
				e.cfg.Log.Warn("telemetry: kafka export failed", "topic", e.cfg.Topic, "samples", len(batch), "err", err)
			}
		} else {
			e.exported.Add(uint64(len(batch)))
		}
		batch = batch[:0]
	}
	add := func(s Sample) {
		m, err := e.message(s)
		if err != nil {
			e.dropped.Add(1)
			return
		}
		batch = append(batch, m)
	}
	defer func() {
		// Drain what is queued, bounded in time, then close.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for done := false; !done; {
			select {
			case s := <-e.ch:
				add(s)
				if len(batch) == cap(batch) {
					flush(dctx)
				}
			default:
				done = true
			}
		}
		flush(dctx)
		if err := e.w.Close(); err != nil {
			e.cfg.Log.Warn("telemetry: kafka writer close", "err", err)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-e.ch:
			add(s)
		}
		// Take what else is waiting, up to a batch, without waiting.
		for more := true; more && len(batch) < cap(batch); {
			select {
			case s := <-e.ch:
				add(s)
			default:
				more = false
			}
		}
		flush(ctx)
	}
}

func (e *KafkaExporter) message(s Sample) (kafka.Message, error) {
	info, _ := Info(s.Key.Metric)
	b, err := json.Marshal(ExportedSample{Metric: s.Key.Metric, Device: s.Key.Device, Label: s.Key.Label, Unit: info.Unit, Time: s.Time.UTC(), Value: s.Value})
	if err != nil {
		return kafka.Message{}, fmt.Errorf("telemetry: export %s: %w", s.Key, err)
	}
	return kafka.Message{Key: []byte(s.Key.Device), Value: b}, nil
}
