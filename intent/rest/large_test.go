package rest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/intenttest"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/intent/rest"
	"github.com/netagent/netagent/internal/store"
)

// largeIntent stores a static-route intent planned on n devices (no worker
// runs: it stays planned) behind a REST server, and returns the server's
// URL and the intent's id.
func largeIntent(tb testing.TB, n int) (string, string) {
	tb.Helper()
	ctx := context.Background()
	lab := intenttest.Lab()
	net := intenttest.NewNetwork()
	for i := range n {
		net.Add(fmt.Sprintf("leaf%04d", i), map[string]string{"role": "leaf"}, lab.Config("leaf1"))
	}
	db, err := store.Open(ctx, filepath.Join(tb.TempDir(), "netagent.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := intent.New(ctx, intent.Config{Store: db, Inventory: net, Devices: net})
	if err != nil {
		tb.Fatal(err)
	}
	parser, err := nl.New(net)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(rest.New(svc, parser, nil).Serve())
	tb.Cleanup(func() { srv.Close(); db.Close() })
	body := `{"id":"big","kind":"static-route","targets":{"selector":{"role":"leaf"}},"spec":{"prefix":"198.51.100.0/24","next_hops":[{"next_hop":"192.0.2.1"}]}}`
	rec, err := svc.Submit(ctx, []byte(body), intent.Source{Channel: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	if len(rec.Plan.Devices) != n {
		tb.Fatalf("planned on %d devices, want %d", len(rec.Plan.Devices), n)
	}
	return srv.URL, rec.ID
}

func getBody(tb testing.TB, url string) []byte {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// BenchmarkGetLargeIntent: GET /v1/intents/{id} of an intent planned on
// 1,000 devices (the default page of device plans), reporting the answer's
// size.
func BenchmarkGetLargeIntent(b *testing.B) {
	url, id := largeIntent(b, 1000)
	var size int
	start := time.Now()
	for b.Loop() {
		size = len(getBody(b, url+"/v1/intents/"+id))
	}
	b.ReportMetric(float64(size)/1024, "KiB/answer")
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/1000, "ms/answer")
}
