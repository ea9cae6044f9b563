package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/fleet"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/intent/txnplan"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/txn"
)

type txnPool struct{ p *adapters.Pool }

func (d txnPool) Device(ctx context.Context, name string) (adapters.Device, error) {
	return d.p.Device(ctx, name)
}

// TestFollow100Devices submits one intent to 100 simulated devices and
// follows its transaction with two SSE subscribers and `netagent txn
// follow`: each sees percentages that never decrease, ending with the
// outcome at 100%.
func TestFollow100Devices(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 100-device lab; skipped with -short")
	}
	ctx := context.Background()
	src, err := topo.Generate("follow", 100)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := topo.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(ctx, tp, lab.Options{Dir: filepath.Join(t.TempDir(), "lab"), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	inv, err := adapters.LoadInventory(l.InventoryPath(), adapters.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := newRegistry()
	if err != nil {
		t.Fatal(err)
	}
	// Generous timeouts: the race detector on a shared 2-core machine is slow.
	pool := adapters.NewPool(inv, reg, adapters.TargetOptions{Timeouts: adapters.Timeouts{Connect: 30 * time.Second, Auth: 30 * time.Second, RPC: 60 * time.Second, Commit: 60 * time.Second}},
		// A health probe that times out kills the session it shares with a
		// running transaction; give probes room under load.
		adapters.FailoverOptions{Health: adapters.HealthConfig{Interval: 30 * time.Second, ProbeTimeout: 60 * time.Second}})
	defer pool.Close()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	coord, err := txn.New(ctx, txn.Config{Store: db, Devices: txnPool{pool}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	f := fleet.New(inv, pool)
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: f, Devices: f, Executor: txnplan.New(coord)})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(rctx) }()
	defer func() { cancel(); <-done }()
	parser, err := nl.New(f)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, rt := range rest.New(svc, parser, nil).Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	for _, rt := range coord.Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	t.Setenv("NETAGENT_SERVER", srv.URL)

	var names []string
	for _, d := range inv.Names() {
		names = append(names, fmt.Sprintf("%q", d))
	}
	if len(names) != 100 {
		t.Fatalf("%d devices", len(names))
	}
	// The soak holds the transaction open between read-back and confirm,
	// so every follower joins while it runs.
	body := fmt.Sprintf(`{"id":"follow-100","kind":"static-route","targets":{"devices":[%s]},"spec":{"prefix":"198.18.0.0/24","next_hops":[{"next_hop":"192.0.2.1"}]},"options":{"soak":"3s","confirm_timeout":"300s"}}`, strings.Join(names, ","))
	resp, err := http.Post(srv.URL+"/v1/intents", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	var txnID string
	for deadline := time.Now().Add(3 * time.Minute); txnID == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		rec, err := svc.Get(ctx, "follow-100")
		if err != nil {
			t.Fatal(err)
		}
		txnID = rec.Txn
	}
	if txnID == "" {
		t.Fatal("the intent record never linked a transaction")
	}

	var wg sync.WaitGroup
	streams := make([][]txn.Event, 2)
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.URL + "/v1/txns/" + txnID + "/events")
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Errorf("content type %q", ct)
			}
			if err := txn.ReadEvents(resp.Body, func(e txn.Event) error { streams[i] = append(streams[i], e); return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	out, err := runCLIFor(t, 5*time.Minute, "txn", "follow", txnID)
	wg.Wait()
	if err != nil {
		t.Fatalf("txn follow: %v\n%s", err, out)
	}
	for i, evs := range streams {
		checkMonotonic(t, fmt.Sprintf("subscriber %d", i+1), evs)
	}
	// txn follow, not on a terminal, prints plain lines: "<id> <pct>% <state> ...".
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := -1
	for _, ln := range lines {
		var id string
		var pct int
		if _, err := fmt.Sscanf(ln, "%s %d%%", &id, &pct); err != nil || id != txnID {
			t.Fatalf("txn follow line %q", ln)
		}
		if pct < last {
			t.Fatalf("txn follow: %d%% after %d%%:\n%s", pct, last, out)
		}
		last = pct
	}
	if len(lines) < 3 || !strings.HasSuffix(lines[len(lines)-1], "100% confirmed") {
		t.Fatalf("txn follow output ends %q, want the outcome:\n%s", lines[len(lines)-1], out)
	}
	if _, err := svc.Wait(ctx, "follow-100"); err != nil {
		t.Fatal(err)
	}
	rec, err := svc.Get(ctx, "follow-100")
	if err != nil || rec.State != intent.StateApplied || rec.Txn != txnID {
		t.Fatalf("intent: %s txn %s, %v", rec.State, rec.Txn, err)
	}
	// Resume: Last-Event-ID replays what came after.
	req, _ := http.NewRequest("GET", srv.URL+"/v1/txns/"+txnID+"/events", nil)
	req.Header.Set("Last-Event-ID", "3")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var resumed []txn.Event
	_ = txn.ReadEvents(resp.Body, func(e txn.Event) error { resumed = append(resumed, e); return nil })
	resp.Body.Close()
	if len(resumed) == 0 || resumed[0].Seq != 4 || resumed[len(resumed)-1].Type != "outcome" {
		t.Fatalf("resumed after 3: first %+v, %d events", resumed[0], len(resumed))
	}
	var st txn.Status
	resp, err = http.Get(srv.URL + "/v1/txns/" + txnID)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.State != txn.StateConfirmed || st.Devices != 100 || st.Percent != 100 || st.Intent != "follow-100" {
		t.Fatalf("GET txn: %+v", st)
	}
}

// runCLIFor runs the command line with a longer deadline than runCLI's.
func runCLIFor(t *testing.T, d time.Duration, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

func checkMonotonic(t *testing.T, who string, evs []txn.Event) {
	t.Helper()
	if len(evs) < 2 {
		t.Fatalf("%s: %d events", who, len(evs))
	}
	distinct := map[int]bool{}
	for i, e := range evs {
		distinct[e.Percent] = true
		if i > 0 && (e.Percent < evs[i-1].Percent || e.Seq <= evs[i-1].Seq) {
			t.Fatalf("%s: event %d (seq %d, %d%%) after seq %d at %d%%", who, i, e.Seq, e.Percent, evs[i-1].Seq, evs[i-1].Percent)
		}
	}
	lastEv := evs[len(evs)-1]
	if lastEv.Type != "outcome" || lastEv.Percent != 100 || lastEv.State != txn.StateConfirmed || lastEv.Result == nil {
		t.Fatalf("%s: last event %+v, want the confirmed outcome", who, lastEv)
	}
	if len(distinct) < 3 {
		t.Fatalf("%s: only percentages %v", who, distinct)
	}
}
