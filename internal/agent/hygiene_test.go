package agent

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
)

// TestServerHygiene: request bodies are capped, and the write timeout cuts
// an ordinary response but not a streaming one (Server-Sent Events).
func TestServerHygiene(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.HTTP.WriteTimeout = 300 * time.Millisecond
	cfg.HTTP.MaxBodyBytes = 4096
	a, err := New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	slow := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			http.NewResponseController(w).Flush()
			time.Sleep(250 * time.Millisecond)
		}
	}
	a.Mount([]auth.Route{
		{Pattern: "POST /v1/echo", Scope: auth.Admin, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
				return
			}
			fmt.Fprint(w, n)
		})},
		{Pattern: "GET /v1/stream", Scope: auth.Admin, Streaming: true, Handler: http.HandlerFunc(slow)},
		{Pattern: "GET /v1/slow", Scope: auth.Admin, Handler: http.HandlerFunc(slow)},
	})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stop(); <-done }()
	addr, err := a.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := bearerClient(t, cfg.AdminTokenPath())
	for _, tc := range []struct {
		size int
		want int
	}{{4000, http.StatusOK}, {5000, http.StatusRequestEntityTooLarge}} {
		resp, err := c.Post("http://"+addr+"/v1/echo", "application/octet-stream", strings.NewReader(strings.Repeat("x", tc.size)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%d-byte body: status %d, want %d", tc.size, resp.StatusCode, tc.want)
		}
	}
	events := func(path string) int {
		resp, err := c.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		n := 0
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				n++
			}
		}
		return n
	}
	if n := events("/v1/stream"); n != 3 {
		t.Errorf("streaming route delivered %d of 3 events past the write timeout", n)
	}
	if n := events("/v1/slow"); n == 3 {
		t.Error("an ordinary route outlived the write timeout")
	}
}
