package intent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/fileintake"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/kafkaintake"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/internal/store"
)

// channelRig is one agent's intent service over its own copy of the lab.
type channelRig struct {
	net *intenttest.Network
	svc *intent.Service
}

func newChannelRig(t *testing.T) *channelRig {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	net := intenttest.Lab()
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(rctx) }()
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	return &channelRig{net: net, svc: svc}
}

const channelIntent = `{"id":"same-everywhere","kind":"interface","targets":{"selector":{"role":"leaf"}},
	"spec":{"name":"eth2","mtu":9000,"description":"fabric","ipv4":["10.9.0.1/24"]},"requester":"noc","options":{"soak":"30s"}}`

// TestSameIntentThroughEveryChannel submits one intent over REST, Kafka
// and a file, each to a fresh agent over the same lab, and checks that the
// plans and the stored records are the same (but for where it came from
// and when) and that the devices end up the same.
func TestSameIntentThroughEveryChannel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	records := map[string]*intent.Record{}

	// REST.
	restRig := newChannelRig(t)
	parser, err := nl.New(restRig.net)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rest.New(restRig.svc, parser, nil).Serve())
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/intents", "application/json", bytes.NewReader([]byte(channelIntent)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("REST status %d", resp.StatusCode)
	}

	// Kafka.
	kafkaRig := newChannelRig(t)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, kafkaintake.DefaultTopic, kafkaintake.DefaultResultsTopic, kafkaintake.DefaultDLQTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	consumer, err := kafkaintake.New(kafkaintake.Config{Brokers: cluster.ListenAddrs(), Service: kafkaRig.svc})
	if err != nil {
		t.Fatal(err)
	}
	cctx, ccancel := context.WithCancel(ctx)
	cerr := make(chan error, 1)
	go func() { cerr <- consumer.Run(cctx) }()
	w := &kafka.Writer{Addr: kafka.TCP(cluster.ListenAddrs()...), Topic: kafkaintake.DefaultTopic, BatchTimeout: time.Millisecond}
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte(channelIntent)}); err != nil {
		t.Fatal(err)
	}
	w.Close()

	// File.
	fileRig := newChannelRig(t)
	dir := filepath.Join(t.TempDir(), "inbox")
	watcher, err := fileintake.New(fileintake.Config{Dir: dir, Service: fileRig.svc})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "intent.json"), []byte(channelIntent), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := watcher.ProcessOnce(ctx); err != nil {
		t.Fatal(err)
	}

	for name, r := range map[string]*channelRig{"rest": restRig, "kafka": kafkaRig, "file": fileRig} {
		// The Kafka consumer submits in its own time: until then the id
		// is unknown, and Wait says so at once.
		rec, err := r.svc.Wait(ctx, "same-everywhere", intent.StateApplied)
		for errors.Is(err, intent.ErrNotFound) && ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
			rec, err = r.svc.Wait(ctx, "same-everywhere", intent.StateApplied)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rec.Source.Channel != name {
			t.Errorf("%s: source %+v", name, rec.Source)
		}
		records[name] = rec
	}
	ccancel()
	if err := <-cerr; err != nil {
		t.Fatal(err)
	}

	ignore := cmp.Options{
		cmpopts.IgnoreFields(intent.Record{}, "Source", "CreatedAt", "UpdatedAt"),
		cmpopts.IgnoreFields(intent.Transition{}, "At", "Reason", "By", "TraceID"), // who and the trace differ by channel, as Source does
		cmpopts.IgnoreFields(intent.DevicePlan{}, "Before"),
		cmp.Comparer(func(a, b intent.DevicePlan) bool {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return bytes.Equal(ja, jb)
		}),
	}
	if diff := cmp.Diff(records["rest"], records["kafka"], ignore); diff != "" {
		t.Errorf("REST and Kafka records differ (-rest +kafka):\n%s", diff)
	}
	if diff := cmp.Diff(records["rest"], records["file"], ignore); diff != "" {
		t.Errorf("REST and file records differ (-rest +file):\n%s", diff)
	}
	if records["rest"].Plan.Len() == 0 {
		t.Error("the plan is empty")
	}
	for _, d := range []string{"leaf1", "leaf2", "spine1"} {
		a, b, c := restRig.net.Config(d), kafkaRig.net.Config(d), fileRig.net.Config(d)
		if !a.Equal(b) || !a.Equal(c) {
			t.Errorf("%s differs between channels", d)
		}
	}
}
