package agent

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/datastore"
	"github.com/netagent/netagent/yang"
)

// TestDriftIsReconciledOrReported changes two devices behind the agent's
// back (a write straight into the lab's datastore, as an operator at the
// console would): the intent that asks for reconciliation gets its MTU
// back, the one that only reports goes drifted with the diff and keeps the
// out-of-band value.
func TestDriftIsReconciledOrReported(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	_, base, l, cfg := startLabAgentWith(t, ctx, nil, lab.Options{}, func(cfg *config.Config) {
		cfg.Telemetry.DriftInterval = 300 * time.Millisecond
	})
	addr := strings.TrimPrefix(base, "http://")
	api := bearerClient(t, cfg.AdminTokenPath())
	for _, body := range []string{
		`{"id":"mtu-fix","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":9000},"options":{"on_drift":"reconcile"}}`,
		`{"id":"desc-report","kind":"interface","targets":{"devices":["r2"]},"spec":{"name":"eth1","description":"uplink"}}`,
	} {
		resp, err := api.Post("http://"+addr+"/v1/intents", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("submit: %s", resp.Status)
		}
	}
	for _, id := range []string{"mtu-fix", "desc-report"} {
		if st := waitState(ctx, t, api, addr, id); st != "applied" {
			t.Fatalf("%s: %s", id, st)
		}
	}
	outOfBand := func(dev, path string, v any) {
		st, err := l.Store(dev)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Edit(datastore.Running, 0, "console", func(tr *yang.Tree) error { return tr.SetPath(path, v) }); err != nil {
			t.Fatal(err)
		}
	}
	outOfBand("r1", "/interfaces/interface[name=e1-1]/config/mtu", uint64(1400))
	outOfBand("r2", "/interfaces/interface[name=eth1]/config/description", "changed at the console")

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		run, _ := l.Running("r1")
		mtu, _ := run.Get(yang.MustParsePath("/interfaces/interface[name=e1-1]/config/mtu"))
		if mtu == uint64(9000) && intentState(t, api, addr, "desc-report") == "drifted" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	checkRunning(t, l, "r1", "/interfaces/interface[name=e1-1]/config/mtu", uint64(9000))
	checkRunning(t, l, "r2", "/interfaces/interface[name=eth1]/config/description", "changed at the console")
	if st := intentState(t, api, addr, "desc-report"); st != "drifted" {
		t.Errorf("desc-report is %s, want drifted", st)
	}
	if st := intentState(t, api, addr, "mtu-fix"); st != "applied" && st != "planned" && st != "applying" {
		t.Errorf("mtu-fix is %s after reconciling", st)
	}
}
