package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/internal/store"
)

type server struct {
	*httptest.Server
	svc *intent.Service
	net *intenttest.Network
	h   *rest.Handler
}

func newServer(t testing.TB, run bool) *server {
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
	parser, err := nl.New(net)
	if err != nil {
		t.Fatal(err)
	}
	h := rest.New(svc, parser, nil)
	srv := httptest.NewServer(h.Serve())
	s := &server{Server: srv, svc: svc, net: net, h: h}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	if run {
		go func() { defer close(done); _ = svc.Run(rctx) }()
	} else {
		close(done)
	}
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		db.Close()
	})
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (s *server) do(t testing.TB, method, path, contentType string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

const goodIntent = `{"id":"mtu-eth2","kind":"interface","targets":{"devices":["leaf1"]},"spec":{"name":"eth2","mtu":9000}}`

func TestSubmitGetListWithdraw(t *testing.T) {
	s := newServer(t, true)
	r := s.do(t, "POST", "/v1/intents", "application/json", []byte(goodIntent))
	if r.status != http.StatusAccepted || r.header.Get("Location") != "/v1/intents/mtu-eth2" {
		t.Fatalf("submit: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.svc.Wait(ctx, "mtu-eth2", intent.StateApplied); err != nil {
		t.Fatal(err)
	}
	r = s.do(t, "GET", "/v1/intents/mtu-eth2", "", nil)
	var rec intent.Record
	if err := json.Unmarshal(r.body, &rec); err != nil || r.status != 200 {
		t.Fatalf("get: %d %v %s", r.status, err, r.body)
	}
	if rec.State != intent.StateApplied || rec.Plan.Len() != 1 {
		t.Errorf("get: state %s, %d changes", rec.State, rec.Plan.Len())
	}
	// Duplicate: 200 with the stored record.
	r = s.do(t, "POST", "/v1/intents", "application/json", []byte(goodIntent))
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"duplicate":true`) {
		t.Errorf("duplicate submit: %d %s", r.status, r.body)
	}
	r = s.do(t, "GET", "/v1/intents?state=applied&limit=10", "", nil)
	var page intent.Page
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Records) != 1 {
		t.Errorf("list: %d %v %s", r.status, err, r.body)
	}
	r = s.do(t, "DELETE", "/v1/intents/mtu-eth2", "", nil)
	if r.status != http.StatusAccepted {
		t.Errorf("withdraw: %d %s", r.status, r.body)
	}
	if _, err := s.svc.Wait(ctx, "mtu-eth2", intent.StateWithdrawn); err != nil {
		t.Fatal(err)
	}
	if !s.net.Config("leaf1").Equal(intenttest.Lab().Config("leaf1")) {
		t.Errorf("leaf1 not restored after withdraw")
	}
}

func TestPlanAndParse(t *testing.T) {
	s := newServer(t, false)
	r := s.do(t, "POST", "/v1/intents:plan", "application/json", []byte(goodIntent))
	var pr rest.PlanResult
	if err := json.Unmarshal(r.body, &pr); err != nil || r.status != 200 {
		t.Fatalf("plan: %d %v %s", r.status, err, r.body)
	}
	want := "leaf1:\n  ~ /interfaces/interface[name=eth2]/config/mtu: 1500 -> 9000\n"
	if diff := cmp.Diff(want, pr.Diff); diff != "" {
		t.Errorf("plan diff (-want +got):\n%s", diff)
	}
	if _, err := s.svc.Get(context.Background(), "mtu-eth2"); err == nil {
		t.Error("plan stored the intent")
	}
	r = s.do(t, "POST", "/v1/intents:parse", "application/json", []byte(`{"text":"把 leaf1 的 eth1 接口 MTU 改成 9000"}`))
	var res nl.Result
	if err := json.Unmarshal(r.body, &res); err != nil || r.status != 200 {
		t.Fatalf("parse: %d %v %s", r.status, err, r.body)
	}
	if res.Status != nl.StatusConfirm || res.Intent == nil {
		t.Fatalf("parse: %+v", res)
	}
	// The parsed intent, confirmed, is submitted as is.
	body, _ := json.Marshal(res.Intent)
	r = s.do(t, "POST", "/v1/intents", "application/json", body)
	if r.status != http.StatusAccepted {
		t.Errorf("submitting the parsed intent: %d %s", r.status, r.body)
	}
}

func TestRulesReloadOverREST(t *testing.T) {
	s := newServer(t, false)
	r := s.do(t, "PUT", "/v1/nl/rules", "application/yaml", []byte("intents: [{name: x, kind: nope}]"))
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad rules: %d %s", r.status, r.body)
	}
	rules := s.do(t, "GET", "/v1/nl/rules", "", nil)
	edited := bytes.Replace(rules.body, []byte(`"(shut down|shutdown|shut|disable|turn off|bring down|take down) (the )?(interface |port )?{interface} (on|of|at)`),
		[]byte(`"(quiesce|shut down|shutdown|shut|disable|turn off|bring down|take down) (the )?(interface |port )?{interface} (on|of|at)`), 1)
	r = s.do(t, "PUT", "/v1/nl/rules", "application/yaml", edited)
	if r.status != http.StatusOK {
		t.Fatalf("put rules: %d %s", r.status, r.body)
	}
	r = s.do(t, "POST", "/v1/intents:parse", "application/json", []byte(`{"text":"quiesce eth2 on leaf2"}`))
	if !strings.Contains(string(r.body), `"status":"confirm"`) {
		t.Errorf("parse after reload: %s", r.body)
	}
}
