package fleet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/labtest"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/yang"
)

// agent is the intent half of a netagent running against the simulated lab.
type agent struct {
	lab *lab.Lab
	svc *intent.Service
	url string
}

func startAgent(t *testing.T) *agent {
	t.Helper()
	l, _ := labtest.Start(t, topologies.TwoNode, lab.Options{})
	svc, f := startService(t, l.InventoryPath(), adapters.TargetOptions{}, nil)
	parser, err := nl.New(f)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rest.New(svc, parser, nil).Serve())
	t.Cleanup(srv.Close)
	return &agent{lab: l, svc: svc, url: srv.URL}
}

func (a *agent) post(t *testing.T, path, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(a.url+path, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (a *agent) wait(t *testing.T, id string, states ...intent.State) *intent.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rec, err := a.svc.Wait(ctx, id, states...)
	if err != nil {
		t.Fatalf("wait %s: %v", id, err)
	}
	return rec
}

func (a *agent) leaf(t *testing.T, device string, p yang.Path) any {
	t.Helper()
	tr, err := a.lab.Running(device)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := tr.Get(p)
	return v
}

// TestIntentsOnTheLab submits intents over REST to an agent whose devices
// are the simulated lab's (r1 over gNMI/NETCONF, r2 over CLI only) and reads
// the result back from the lab's own datastores.
func TestIntentsOnTheLab(t *testing.T) {
	a := startAgent(t)
	mtu := yang.InterfacePath("e1-1").Leaf("config", "mtu")

	code, body := a.post(t, "/v1/intents", `{"id":"lab-mtu","kind":"interface","targets":{"selector":{"role":"core"}},"spec":{"name":"e1-1","mtu":9000}}`)
	if code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", code, body)
	}
	if rec := a.wait(t, "lab-mtu", intent.StateApplied, intent.StateFailed, intent.StateRolledBack); rec.State != intent.StateApplied {
		t.Fatalf("lab-mtu: %s %s", rec.State, rec.Error)
	}
	if v := a.leaf(t, "r1", mtu); v != uint64(9000) {
		t.Errorf("r1 e1-1 mtu on the lab = %v, want 9000", v)
	}

	// r2 speaks only CLI: the change goes through the FRR shell.
	code, body = a.post(t, "/v1/intents", `{"id":"lab-route","kind":"static-route","targets":{"devices":["r2"]},"spec":{"prefix":"192.0.2.0/24","next_hops":[{"next_hop":"10.0.0.0"}]}}`)
	if code != http.StatusAccepted {
		t.Fatalf("submit route: %d %s", code, body)
	}
	if rec := a.wait(t, "lab-route", intent.StateApplied, intent.StateFailed, intent.StateRolledBack); rec.State != intent.StateApplied {
		t.Fatalf("lab-route: %s %s", rec.State, rec.Error)
	}
	if v := a.leaf(t, "r2", yang.NextHopPath("192.0.2.0/24", "0").Leaf("config", "next-hop")); v != "10.0.0.0" {
		tr, _ := a.lab.Running("r2")
		t.Errorf("r2 route next hop on the lab = %v, want 10.0.0.0\n%s", v, tr)
	}

	// Satisfied intents, read back from the devices, plan nothing.
	for _, body := range []string{
		`{"kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":9000}}`,
		`{"kind":"static-route","targets":{"devices":["r2"]},"spec":{"prefix":"192.0.2.0/24","next_hops":[{"next_hop":"10.0.0.0"}]}}`,
	} {
		code, resp := a.post(t, "/v1/intents:plan", body)
		var pr rest.PlanResult
		if err := json.Unmarshal(resp, &pr); err != nil || code != 200 || pr.Plan.Len() != 0 {
			t.Errorf("plan of a satisfied intent: %d %v %s", code, err, resp)
		}
	}

	// Semantic refusal from the device's real configuration.
	code, body = a.post(t, "/v1/intents", `{"kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","ipv4":["10.5.0.0/24"]}}`)
	if code != http.StatusUnprocessableEntity {
		t.Errorf("conflicting address: %d %s", code, body)
	}

	// Withdraw restores the MTU on the lab.
	req, _ := http.NewRequest("DELETE", a.url+"/v1/intents/lab-mtu", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if rec := a.wait(t, "lab-mtu", intent.StateWithdrawn, intent.StateFailed); rec.State != intent.StateWithdrawn {
		t.Fatalf("withdraw: %s %s", rec.State, rec.Error)
	}
	if v := a.leaf(t, "r1", mtu); v != uint64(1500) {
		t.Errorf("r1 e1-1 mtu after withdraw = %v, want 1500", v)
	}

	// Natural language to the lab: parse, confirm, submit.
	code, body = a.post(t, "/v1/intents:parse", `{"text":"把 r1 的 e1-1 接口 MTU 改成 9100"}`)
	var res nl.Result
	if err := json.Unmarshal(body, &res); err != nil || res.Status != nl.StatusConfirm {
		t.Fatalf("parse: %d %v %s", code, err, body)
	}
	in, _ := json.Marshal(res.Intent)
	code, body = a.post(t, "/v1/intents", string(in))
	var rec intent.Record
	if err := json.Unmarshal(body, &rec); err != nil || code != http.StatusAccepted {
		t.Fatalf("submit parsed: %d %v %s", code, err, body)
	}
	if r := a.wait(t, rec.ID, intent.StateApplied, intent.StateFailed, intent.StateRolledBack); r.State != intent.StateApplied {
		t.Fatalf("parsed intent: %s %s", r.State, r.Error)
	}
	if v := a.leaf(t, "r1", yang.InterfacePath("e1-1").Leaf("config", "mtu")); v != uint64(9100) {
		t.Errorf("r1 e1-1 mtu = %v, want 9100", v)
	}
}
