package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/internal/store"
	"github.com/netagent/netagent/yang"
)

// TestBigRecordPages: a record of 250 devices comes back with a page of
// 20 device plans and the totals; ?devices= pages on, ?devices_limit=
// sizes the page; lists carry only the totals.
func TestBigRecordPages(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	net := intenttest.NewNetwork()
	for i := range 250 {
		tr := yang.NewTree()
		p := yang.InterfacePath("eth1")
		_ = tr.Set(p.Leaf("config", "type"), "ethernetCsmacd")
		_ = tr.Set(p.Leaf("config", "mtu"), uint64(1500))
		net.Add(fmt.Sprintf("d%03d", i), map[string]string{"role": "leaf"}, tr)
	}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rest.New(svc, nil, nil).Serve())
	defer srv.Close()
	if _, err := svc.Submit(ctx, []byte(`{"id":"big","kind":"interface","targets":{"selector":{"role":"leaf"}},"spec":{"name":"eth1","mtu":9000}}`),
		intent.Source{Channel: "test"}); err != nil {
		t.Fatal(err)
	}
	type plan struct {
		Devices       []json.RawMessage `json:"devices"`
		DevicesTotal  int               `json:"devices_total"`
		ChangesTotal  int               `json:"changes_total"`
		DevicesOffset int               `json:"devices_offset"`
		NextDevices   *int              `json:"next_devices"`
	}
	get := func(path string, into any) int {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode
	}
	for _, tc := range []struct {
		query     string
		n, offset int
		next      int // -1: none
	}{{"", 20, 0, 20}, {"?devices=20", 20, 20, 40}, {"?devices=100&devices_limit=100", 100, 100, 200},
		{"?devices=200&devices_limit=100", 50, 200, -1}, {"?devices_limit=1000", 250, 0, -1}, {"?devices=900", 0, 900, -1}} {
		var rec struct{ Plan plan }
		if code := get("/v1/intents/big"+tc.query, &rec); code != http.StatusOK {
			t.Fatalf("%s: status %d", tc.query, code)
		}
		p := rec.Plan
		next := -1
		if p.NextDevices != nil {
			next = *p.NextDevices
		}
		if len(p.Devices) != tc.n || p.DevicesOffset != tc.offset || next != tc.next || p.DevicesTotal != 250 || p.ChangesTotal != 250 {
			t.Errorf("%q: %d devices from %d, next %d, totals %d/%d; want %d from %d, next %d, totals 250/250",
				tc.query, len(p.Devices), p.DevicesOffset, next, p.DevicesTotal, p.ChangesTotal, tc.n, tc.offset, tc.next)
		}
	}
	for _, q := range []string{"?devices=x", "?devices=-1", "?devices_limit=0", "?devices_limit=1001", "?devices_limit=x"} {
		if code := get("/v1/intents/big"+q, &struct{}{}); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, code)
		}
	}
	var list struct{ Records []struct{ Plan plan } }
	if code := get("/v1/intents", &list); code != http.StatusOK || len(list.Records) != 1 {
		t.Fatalf("list: status %d, %d records", code, len(list.Records))
	}
	if p := list.Records[0].Plan; len(p.Devices) != 0 || p.DevicesTotal != 250 {
		t.Errorf("list record plan: %d devices, total %d; want a summary (0 devices, total 250)", len(p.Devices), p.DevicesTotal)
	}
}
