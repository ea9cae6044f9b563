package kafkaintake_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/kafkaintake"
	"github.com/netagent/netagent/internal/audit"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/yang"
)

type rig struct {
	t       *testing.T
	cluster *kfake.Cluster
	brokers []string
	net     *intenttest.Network
	svc     *intent.Service
	audit   *audit.Log
	db      *store.DB
	sec     rigOptions
	w       *kafka.Writer
	results *kafka.Reader
	dlq     *kafka.Reader
	pending [2][]kafkaintake.Result // read but not yet asked for: answers, outcomes
}

// rigOptions secure the rig's broker (kfake options) and its test
// clients (Dialer, Transport).
type rigOptions struct {
	cluster   []kfake.Opt
	dialer    *kafka.Dialer
	transport kafka.RoundTripper
}

func newRig(t *testing.T) *rig { return newRigWith(t, rigOptions{}) }

func newRigWith(t *testing.T, o rigOptions) *rig {
	t.Helper()
	cluster, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1),
		kfake.SeedTopics(1, kafkaintake.DefaultTopic, kafkaintake.DefaultResultsTopic, kafkaintake.DefaultDLQTopic)}, o.cluster...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	net := intenttest.Lab()
	alog, err := audit.New(ctx, db, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net, Audit: alog})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(rctx) }()
	r := &rig{t: t, cluster: cluster, brokers: cluster.ListenAddrs(), net: net, svc: svc, audit: alog, db: db, sec: o}
	r.w = &kafka.Writer{Addr: kafka.TCP(r.brokers...), BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll, Transport: o.transport}
	r.results = kafka.NewReader(kafka.ReaderConfig{Brokers: r.brokers, Topic: kafkaintake.DefaultResultsTopic, Partition: 0, MaxWait: 100 * time.Millisecond, Dialer: o.dialer})
	r.dlq = kafka.NewReader(kafka.ReaderConfig{Brokers: r.brokers, Topic: kafkaintake.DefaultDLQTopic, Partition: 0, MaxWait: 100 * time.Millisecond, Dialer: o.dialer})
	t.Cleanup(func() {
		r.w.Close()
		r.results.Close()
		r.dlq.Close()
		cancel()
		<-done
		db.Close()
	})
	return r
}

// startConsumer runs a consumer until the returned stop is called.
func (r *rig) startConsumer() (stop func()) { return r.startConsumerWith(nil) }

// startConsumerWith runs a consumer whose configuration mutate adjusts.
func (r *rig) startConsumerWith(mutate func(*kafkaintake.Config)) (stop func()) {
	cfg := kafkaintake.Config{Brokers: r.brokers, Service: r.svc, Dialer: r.sec.dialer, Transport: r.sec.transport}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := kafkaintake.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-errc; err != nil {
			r.t.Errorf("consumer Run: %v", err)
		}
	}
	r.t.Cleanup(stop)
	return stop
}

// waitCommitted waits until the group has committed offset n on intents/0.
func (r *rig) waitCommitted(n int64) {
	r.t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(r.brokers...), Transport: r.sec.transport}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: kafkaintake.DefaultGroupID,
			Topics: map[string][]int{kafkaintake.DefaultTopic: {0}}})
		if err == nil && len(resp.Topics[kafkaintake.DefaultTopic]) == 1 && resp.Topics[kafkaintake.DefaultTopic][0].CommittedOffset == n {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("offset %d not committed: %+v %v", n, resp, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rig) produce(msgs ...kafka.Message) {
	r.t.Helper()
	for i := range msgs {
		msgs[i].Topic = kafkaintake.DefaultTopic
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.w.WriteMessages(ctx, msgs...); err != nil {
		r.t.Fatal(err)
	}
}

// nextResult returns the next answer to a message, and nextOutcome the
// next lifecycle outcome; the two kinds interleave on the topic.
func (r *rig) nextResult() kafkaintake.Result { return r.next(false) }

func (r *rig) nextOutcome() kafkaintake.Result { return r.next(true) }

func (r *rig) next(outcome bool) kafkaintake.Result {
	r.t.Helper()
	if q := &r.pending[boolIndex(outcome)]; len(*q) > 0 {
		res := (*q)[0]
		*q = (*q)[1:]
		return res
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		m, err := r.results.ReadMessage(ctx)
		if err != nil {
			r.t.Fatalf("reading results: %v", err)
		}
		var res kafkaintake.Result
		if err := json.Unmarshal(m.Value, &res); err != nil {
			r.t.Fatal(err)
		}
		if string(m.Key) != res.ID {
			r.t.Errorf("result key %q, id %q", m.Key, res.ID)
		}
		if (res.Status == "outcome") == outcome {
			return res
		}
		q := &r.pending[boolIndex(!outcome)]
		*q = append(*q, res)
	}
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

const kIntent = `{"id":"k-mtu","kind":"interface","targets":{"devices":["leaf2"]},"spec":{"name":"eth2","mtu":9000}}`

func TestDuplicateDeliveryAppliesOnce(t *testing.T) {
	r := newRig(t)
	r.startConsumer()
	r.produce(kafka.Message{Value: []byte(kIntent)}, kafka.Message{Value: []byte(kIntent)})
	// The two deliveries are handled concurrently: one is accepted, the
	// other answered as a duplicate, in either order.
	got := map[string]string{}
	for range 2 {
		res := r.nextResult()
		got[res.Status] = res.ID
		if res.Diff == "" {
			t.Errorf("result without the plan's diff: %+v", res)
		}
	}
	if diff := cmp.Diff(map[string]string{"accepted": "k-mtu", "duplicate": "k-mtu"}, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	// The outcome follows on the results topic.
	if out := r.nextOutcome(); out.State != "applied" || out.ID != "k-mtu" {
		t.Errorf("outcome = %+v, want applied for k-mtu", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := r.svc.Wait(ctx, "k-mtu", intent.StateApplied)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Source.Channel != "kafka" || (rec.Source.Ref != "intents/0/0" && rec.Source.Ref != "intents/0/1") {
		t.Errorf("source = %+v", rec.Source)
	}
	if n, _ := r.net.Applied("leaf2"); n != 1 {
		t.Errorf("leaf2 configured %d times, want 1", n)
	}
	if v, _ := r.net.Config("leaf2").Get(yang.InterfacePath("eth2").Leaf("config", "mtu")); v != uint64(9000) {
		t.Errorf("mtu = %v", v)
	}
}

func TestRejectedGoToDLQWithReason(t *testing.T) {
	r := newRig(t)
	r.startConsumer()
	bad := `{"kind":"interface","targets":{"devices":["leaf2"]},"spec":{"name":"eth2","mtu":70000}}`
	r.produce(kafka.Message{Key: []byte("bad-1"), Value: []byte(bad)})
	res := r.nextResult()
	want := []intent.Problem{{Pointer: "/spec/mtu", Reason: "70000 is above the maximum 9216"}}
	if res.Status != "rejected" || !cmp.Equal(want, res.Errors) {
		t.Errorf("result = %+v, want rejected with %v", res, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := r.dlq.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{}
	for _, h := range m.Headers {
		headers[h.Key] = string(h.Value)
	}
	if string(m.Value) != bad || string(m.Key) != "bad-1" || headers["netagent-reason"] == "" || headers["netagent-source"] != "intents/0/0" {
		t.Errorf("dlq message: key %q value %q headers %v", m.Key, m.Value, headers)
	}
	page, err := r.svc.List(context.Background(), intent.ListQuery{})
	if err != nil || len(page.Records) != 0 {
		t.Errorf("stored %d records for a rejected message (%v)", len(page.Records), err)
	}
}

func TestOffsetsCommittedAcrossRestart(t *testing.T) {
	r := newRig(t)
	stop := r.startConsumer()
	// No id: the message key is the idempotency key; without key, the position.
	r.produce(kafka.Message{Key: []byte("by-key"), Value: []byte(`{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth3","description":"a"}}`)},
		kafka.Message{Value: []byte(`{"kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth4","description":"b"}}`)})
	var ids []string
	for range 2 {
		ids = append(ids, r.nextResult().ID)
	}
	sort.Strings(ids)
	if diff := cmp.Diff([]string{"by-key", "kafka-intents-0-1"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	r.waitCommitted(2)
	stop()
	r.startConsumer()
	r.produce(kafka.Message{Value: []byte(`{"id":"after","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","description":"c"}}`)})
	// The next result is the new message: the two before were committed.
	if res := r.nextResult(); res.ID != "after" || res.Status != "accepted" {
		t.Errorf("after restart got %+v, want the new message accepted", res)
	}
	if _, err := r.svc.Get(context.Background(), "kafka-intents-0-1"); err != nil {
		t.Errorf("intent from position: %v", err)
	}
	if _, err := r.svc.Get(context.Background(), "missing"); !errors.Is(err, intent.ErrNotFound) {
		t.Errorf("Get(missing) = %v", err)
	}
}
