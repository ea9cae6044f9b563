package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/netagent/netagent/intent/kafkaintake"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/yang"
)

// TestIntentLandsOnTheLab is the README quickstart as a test: the agent
// drives the embedded two-node lab, an intent submitted over REST is
// applied, and the device's running configuration (read from the lab's
// datastore, not through the agent) holds it.
func TestIntentLandsOnTheLab(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tp, err := topo.Parse(topologies.TwoNode)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l, err := lab.Start(ctx, tp, lab.Options{Dir: filepath.Join(dir, "lab"), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, kafkaintake.DefaultTopic, kafkaintake.DefaultResultsTopic, kafkaintake.DefaultDLQTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()

	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Inventory = l.InventoryPath()
	cfg.Intake.KafkaBrokers = strings.Join(cluster.ListenAddrs(), ",")
	a, err := New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	addr, err := a.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	api := bearerClient(t, cfg.AdminTokenPath())

	for _, tc := range []struct {
		device, body string
		path         string
		want         any
	}{
		{"r1", `{"id":"qs-mtu","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":9000}}`,
			"/interfaces/interface[name=e1-1]/config/mtu", uint64(9000)},
		{"r2", `{"id":"qs-shut","kind":"interface","targets":{"devices":["r2"]},"spec":{"name":"eth1","enabled":false}}`,
			"/interfaces/interface[name=eth1]/config/enabled", false},
	} {
		resp, err := api.Post("http://"+addr+"/v1/intents", "application/json", bytes.NewReader([]byte(tc.body)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %s: %s", tc.body, resp.Status)
		}
		var id struct{ ID string }
		_ = json.Unmarshal([]byte(tc.body), &id)
		state := waitState(ctx, t, api, addr, id.ID)
		if state != "applied" {
			t.Fatalf("intent %s ended %s", id.ID, state)
		}
		checkRunning(t, l, tc.device, tc.path, tc.want)
	}

	// The same agent takes intents from files dropped in its inbox...
	file := filepath.Join(cfg.InboxDir(), "descr.json")
	body := `{"id":"qs-file","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","description":"from a file"}}`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	waitAccepted(ctx, t, api, addr, "qs-file")
	if state := waitState(ctx, t, api, addr, "qs-file"); state != "applied" {
		t.Fatalf("file intent ended %s", state)
	}
	checkRunning(t, l, "r1", "/interfaces/interface[name=e1-1]/config/description", "from a file")

	// ...and from Kafka.
	w := &kafka.Writer{Addr: kafka.TCP(cluster.ListenAddrs()...), Topic: kafkaintake.DefaultTopic, BatchTimeout: time.Millisecond}
	defer w.Close()
	msg := `{"id":"qs-kafka","kind":"interface","targets":{"devices":["r2"]},"spec":{"name":"eth1","description":"from kafka"}}`
	if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("qs-kafka"), Value: []byte(msg)}); err != nil {
		t.Fatal(err)
	}
	waitAccepted(ctx, t, api, addr, "qs-kafka")
	if state := waitState(ctx, t, api, addr, "qs-kafka"); state != "applied" {
		t.Fatalf("kafka intent ended %s", state)
	}
	checkRunning(t, l, "r2", "/interfaces/interface[name=eth1]/config/description", "from kafka")

	// Each channel's intents act for its principal: the REST token's
	// subject, the configured identities of the inbox and of Kafka.
	for id, want := range map[string]string{"qs-mtu": "admin", "qs-file": "file-inbox", "qs-kafka": "kafka"} {
		rec, err := a.net.intent.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Source.Principal == nil || rec.Source.Principal.Subject != want || rec.Source.TraceID == "" {
			t.Errorf("%s: principal %+v, trace %q; want %s and a trace id", id, rec.Source.Principal, rec.Source.TraceID, want)
		}
	}
}

func waitAccepted(ctx context.Context, t *testing.T, api *http.Client, addr, id string) {
	t.Helper()
	for {
		resp, err := api.Get("http://" + addr + "/v1/intents/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("intent %s was never accepted", id)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func checkRunning(t *testing.T, l *lab.Lab, device, path string, want any) {
	t.Helper()
	run, err := l.Running(device)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := run.Get(yang.MustParsePath(path)); got != want {
		t.Errorf("%s %s = %v, want %v", device, path, got, want)
	}
}

func waitState(ctx context.Context, t *testing.T, api *http.Client, addr, id string) string {
	t.Helper()
	for {
		resp, err := api.Get("http://" + addr + "/v1/intents/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var rec struct{ State string }
		err = json.NewDecoder(resp.Body).Decode(&rec)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		switch rec.State {
		case "applied", "failed", "rolled-back":
			return rec.State
		}
		select {
		case <-ctx.Done():
			t.Fatalf("intent %s still %s", id, rec.State)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
