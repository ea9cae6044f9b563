package fleet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/kafkaintake"
	netagent "github.com/netagent/netagent/internal/agent"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/txn"
	"github.com/netagent/netagent/yang"
)

// The test binary doubles as the agent process the crash test kills: with
// NETAGENT_TEST_AGENT set, TestMain runs the agent `netagent serve` runs
// (internal/agent: REST, Kafka and file intake over the lab's devices)
// instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("NETAGENT_TEST_AGENT") != "" {
		if err := runAgent(); err != nil {
			fmt.Fprintln(os.Stderr, "agent:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runAgent() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = os.Getenv("AGENT_DATA_DIR")
	cfg.Inventory = os.Getenv("AGENT_INVENTORY")
	cfg.Intake.Inbox = os.Getenv("AGENT_INBOX")
	cfg.Intake.InboxInterval = 50 * time.Millisecond
	cfg.Intake.KafkaBrokers = os.Getenv("AGENT_BROKERS")
	// What is under test is intake and apply across kills; telemetry's
	// collection of the lab would only share the two cores with it.
	cfg.Telemetry.Enabled = false
	a, err := netagent.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	addr, err := a.Addr(ctx)
	if err != nil {
		return errors.Join(err, <-errc)
	}
	// Announce the address only once everything is listening.
	addrFile := os.Getenv("AGENT_ADDR_FILE")
	if err := os.WriteFile(addrFile+".tmp", []byte(addr), 0o600); err != nil {
		return err
	}
	if err := os.Rename(addrFile+".tmp", addrFile); err != nil {
		return err
	}
	return <-errc
}

type agentProc struct {
	cmd  *exec.Cmd
	addr string
}

func startAgentProc(t *testing.T, env []string, addrFile string) *agentProc {
	t.Helper()
	_ = os.Remove(addrFile)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.CreateTemp(filepath.Dir(addrFile), "agent-*.log")
	if err != nil {
		t.Fatal(err)
	}
	// The child writes its log straight into the file (no pipe to drain).
	cmd.Stderr = logf
	err = cmd.Start()
	logf.Close()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil {
			return &agentProc{cmd: cmd, addr: string(b)}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("agent did not start: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var storm = flag.Int("storm", 400, "intents TestSIGKILLWhileIntentsArrive submits (make chaos: 1000)")

// TestSIGKILLWhileIntentsArrive kills the agent process (SIGKILL) twice
// while 400 intents (-storm N: N) arrive over REST, Kafka and files, restarts it each
// time, and checks that every intent that was acknowledged is stored and
// applied exactly once, reading the devices back from the lab.
func TestSIGKILLWhileIntentsArrive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agent processes and the lab; skipped with -short")
	}
	ctx := context.Background()
	tp, err := topo.Parse(topologies.LeafSpine)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l, err := lab.Start(ctx, tp, lab.Options{Dir: filepath.Join(dir, "lab")})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, kafkaintake.DefaultTopic, kafkaintake.DefaultResultsTopic, kafkaintake.DefaultDLQTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o750); err != nil {
		t.Fatal(err)
	}
	addrFile := filepath.Join(dir, "agent.addr")
	env := []string{"NETAGENT_TEST_AGENT=1", "AGENT_INVENTORY=" + l.InventoryPath(), "AGENT_DATA_DIR=" + dir,
		"AGENT_ADDR_FILE=" + addrFile, "AGENT_BROKERS=" + strings.Join(cluster.ListenAddrs(), ","), "AGENT_INBOX=" + inbox}

	var mu sync.Mutex
	agent := startAgentProc(t, env, addrFile)
	current := func() string { mu.Lock(); defer mu.Unlock(); return agent.addr }
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		_ = agent.cmd.Process.Kill()
		_ = agent.cmd.Wait()
	}()

	// Two fifths over REST, two over Kafka (in batches of 50), one in
	// files of 5: 400 intents in make test, 1,000 in make chaos.
	n := max(*storm/50*50, 250)
	nREST, nKafka, nFile, perF := n*2/5, n*2/5/50*50, 0, 5
	nFile = (n - nREST - nKafka) / perF * perF
	devices := []string{"leaf1", "leaf2", "leaf3", "leaf4", "spine1", "spine2"}
	device := func(i int) (string, string) { // device, and a next hop none of them owns
		return devices[i%len(devices)], "192.0.2.1"
	}
	prefix := func(i int) string { return fmt.Sprintf("10.%d.%d.0/24", 100+i/256, i%256) }
	body := func(id string, i int) []byte {
		dev, nh := device(i)
		return []byte(fmt.Sprintf(`{"id":%q,"kind":"static-route","targets":{"devices":[%q]},"spec":{"prefix":%q,"next_hops":[{"next_hop":%q}]}}`,
			id, dev, prefix(i), nh))
	}

	var wg sync.WaitGroup
	acked := make(chan string, nREST+nKafka+nFile)
	// REST: each client retries until its intent is acknowledged (202 or 200).
	client := &http.Client{Timeout: 30 * time.Second, Transport: adminToken(filepath.Join(dir, "admin.token"))}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < nREST; i += 4 {
				id := fmt.Sprintf("rest-%d", i)
				for {
					resp, err := client.Post("http://"+current()+"/v1/intents", "application/json", bytes.NewReader(body(id, i)))
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK {
							acked <- id
							break
						}
						t.Errorf("%s: status %d", id, resp.StatusCode)
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	// Kafka: produced to the broker; the agent acknowledges by committing.
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := &kafka.Writer{Addr: kafka.TCP(cluster.ListenAddrs()...), Topic: kafkaintake.DefaultTopic, BatchTimeout: time.Millisecond, BatchSize: 50}
		defer w.Close()
		for i := nREST; i < nREST+nKafka; i += 50 {
			var msgs []kafka.Message
			for j := i; j < i+50; j++ {
				msgs = append(msgs, kafka.Message{Value: body(fmt.Sprintf("kafka-%d", j), j)})
			}
			if err := w.WriteMessages(ctx, msgs...); err != nil {
				t.Errorf("produce: %v", err)
				return
			}
			for j := i; j < i+50; j++ {
				acked <- fmt.Sprintf("kafka-%d", j)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	// Files: written under a temporary name and renamed into the inbox.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for f := 0; f < nFile/perF; f++ {
			var docs []json.RawMessage
			for k := range perF {
				i := nREST + nKafka + f*perF + k
				docs = append(docs, body(fmt.Sprintf("file-%d", i), i))
			}
			data, _ := json.Marshal(docs)
			name := filepath.Join(inbox, fmt.Sprintf("batch-%03d.json", f))
			if err := os.WriteFile(name+".tmp", data, 0o600); err != nil {
				t.Error(err)
				return
			}
			if err := os.Rename(name+".tmp", name); err != nil {
				t.Error(err)
				return
			}
			for k := range perF {
				acked <- fmt.Sprintf("file-%d", nREST+nKafka+f*perF+k)
			}
			time.Sleep(15 * time.Millisecond)
		}
	}()

	// Kill the agent twice while intents arrive, restarting it each time.
	// Each agent is killed once it is at work on every channel: its Kafka
	// consumer has joined the group and committed something.
	kc := &kafka.Client{Addr: kafka.TCP(cluster.ListenAddrs()...)}
	committed := func() int64 {
		resp, err := kc.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: kafkaintake.DefaultGroupID,
			Topics: map[string][]int{kafkaintake.DefaultTopic: {0}}})
		if err != nil || len(resp.Topics[kafkaintake.DefaultTopic]) != 1 {
			return -1
		}
		return resp.Topics[kafkaintake.DefaultTopic][0].CommittedOffset
	}
	for kill := range 2 {
		before := committed()
		for wait := time.Now().Add(90 * time.Second); committed() <= before && committed() < int64(nKafka) && time.Now().Before(wait); {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Duration(150+100*kill) * time.Millisecond)
		mu.Lock()
		if err := agent.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = agent.cmd.Wait()
		mu.Unlock()
		t.Logf("killed the agent (%d)", kill+1)
		next := startAgentProc(t, env, addrFile)
		mu.Lock()
		agent = next
		mu.Unlock()
	}
	wg.Wait()
	close(acked)
	var ids []string
	for id := range acked {
		ids = append(ids, id)
	}
	if len(ids) != nREST+nKafka+nFile {
		t.Fatalf("%d intents acknowledged, want %d", len(ids), nREST+nKafka+nFile)
	}

	// Every acknowledged intent is stored and applied.
	deadline := time.Now().Add(6 * time.Minute)
	pending := map[string]bool{}
	for _, id := range ids {
		pending[id] = true
	}
	for len(pending) > 0 && time.Now().Before(deadline) {
		for id := range pending {
			resp, err := client.Get("http://" + current() + "/v1/intents/" + id)
			if err != nil {
				break
			}
			var rec intent.Record
			err = json.NewDecoder(resp.Body).Decode(&rec)
			resp.Body.Close()
			if err == nil && rec.State == intent.StateApplied {
				delete(pending, id)
			} else if err == nil && (rec.State == intent.StateFailed || rec.State == intent.StateRolledBack) {
				t.Fatalf("%s: %s: %s", id, rec.State, rec.Error)
			}
		}
		if len(pending) > 0 {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if len(pending) > 0 {
		logs, _ := filepath.Glob(filepath.Join(dir, "agent-*.log"))
		for _, lf := range logs {
			b, _ := os.ReadFile(lf)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("%s:\n%s", lf, b)
		}
		t.Fatalf("%d acknowledged intents not applied after restarts (e.g. %v)", len(pending), firstKeys(pending, 5))
	}

	// A transaction the kill caught after its commit and before its commit
	// decision is cancelled by the restarted coordinator (presumed abort:
	// the commit and its undo are two changes of the device, a revert on a
	// device with a confirm timer), and its intent applied again. Those are
	// the only changes beyond one per intent a device may show.
	undone := undoneByRecovery(t, client, current())

	// Read back from the lab: every route is there, and each device changed
	// exactly once per intent (no intent applied twice, none lost), beside
	// the pairs recovery undid.
	for _, dev := range devices {
		st, err := l.Store(dev)
		if err != nil {
			t.Fatal(err)
		}
		running := st.Running()
		want := 0
		for i := range nREST + nKafka + nFile {
			if d, nh := device(i); d == dev {
				want++
				if v, _ := running.Get(yang.NextHopPath(prefix(i), "0").Leaf("config", "next-hop")); v != nh {
					t.Errorf("%s: route %s next hop = %v, want %s", dev, prefix(i), v, nh)
				}
			}
		}
		_, seq := st.Changed()
		extra := int(seq) - want
		if extra < 0 || extra%2 != 0 || extra/2 > undone[dev] || int(st.Reverts()) > undone[dev] {
			t.Errorf("%s: %d configuration changes (%d reverts) for %d intents, %d transactions undone by recovery; want one each and a commit and its undo per undone transaction at most",
				dev, seq, st.Reverts(), want, undone[dev])
		}
	}
	if left, _ := os.ReadDir(inbox); len(left) != 2 { // done/ and failed/
		t.Errorf("inbox not empty: %v", left)
	}
	if failed, _ := os.ReadDir(filepath.Join(inbox, "failed")); len(failed) != 0 {
		t.Errorf("failed files: %v", failed)
	}
}

// undoneByRecovery counts, per device, the transactions a restarted
// coordinator rolled back (presumed abort), from GET /v1/txns.
func undoneByRecovery(t *testing.T, client *http.Client, addr string) map[string]int {
	t.Helper()
	get := func(path string, v any) {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	var list struct {
		Txns []txn.Summary `json:"txns"`
	}
	get("/v1/txns?state="+string(txn.StateRolledBack)+"&limit=1000", &list)
	out := map[string]int{}
	for _, s := range list.Txns {
		var one txn.Summary
		get("/v1/txns/"+s.ID, &one)
		if one.Result == nil || !strings.Contains(one.Result.Reason, "recovered after a restart") {
			t.Errorf("transaction %s of intent %s rolled back outside recovery: %+v", s.ID, s.Intent, one.Result)
			continue
		}
		for _, d := range one.Result.Devices {
			if d.Outcome == txn.OutcomeRolledBack || d.Outcome == txn.OutcomeReverted {
				out[d.Device]++
			}
		}
	}
	t.Logf("transactions undone by recovery, per device: %v", out)
	return out
}

func firstKeys(m map[string]bool, n int) []string {
	var out []string
	for k := range m {
		if len(out) == n {
			break
		}
		out = append(out, k)
	}
	return out
}

// adminToken presents the admin token the agent wrote in its data dir on
// its first start, read afresh for each request.
type adminToken string

func (f adminToken) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(b)))
	return http.DefaultTransport.RoundTrip(r)
}
