package mcp

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestDeliveriesRecord counts the progress notifications of one session
// and token in what a stream writes, over SSE and as stdio JSON lines, and
// nothing else.
func TestDeliveriesRecord(t *testing.T) {
	d := newDeliveries()
	wait, done := d.watch("s1", `"tok"`)
	defer done()
	for _, tc := range []struct {
		name, session, written string
		want                   int64
	}{
		{"sse event", "s1", "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1,\"progressToken\":\"tok\"}}\n\n", 1},
		{"stdio line", "s1", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":2,\"progressToken\":\"tok\"}}\n", 2},
		{"another token", "s1", "data: {\"method\":\"notifications/progress\",\"params\":{\"progressToken\":7}}\n\n", 2},
		{"another session", "s2", "data: {\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"tok\"}}\n\n", 2},
		{"an answer", "s1", "data: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}\n\n", 2},
		{"two in one write", "s1", "data: {\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"tok\"}}\n\ndata: {\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"tok\"}}\n\n", 4},
		{"not JSON", "s1", "data: {\"method\":\"notifications/progress\",\n\n", 4},
	} {
		d.record(tc.session, []byte(tc.written))
		if !wait(context.Background(), tc.want, time.Nanosecond) || wait(context.Background(), tc.want+1, time.Nanosecond) {
			t.Errorf("%s: count is not %d", tc.name, tc.want)
		}
	}
}

// FuzzDeliveriesRecord: whatever a stream writes, counting never panics and
// never counts more notifications than the write has lines.
func FuzzDeliveriesRecord(f *testing.F) {
	f.Add([]byte("event: message\ndata: {\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"tok\"}}\n\n"))
	f.Add([]byte("{\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"tok\"}}\n"))
	f.Add([]byte("data: {\"method\":\"notifications/progress\",\"params\":{\"progressToken\":[1,2]}}"))
	f.Fuzz(func(t *testing.T, p []byte) {
		d := newDeliveries()
		wait, done := d.watch("s", `"tok"`)
		defer done()
		d.record("s", p)
		lines := int64(bytes.Count(p, []byte("\n")) + 1)
		if wait(context.Background(), lines+1, time.Nanosecond) {
			t.Fatalf("counted more than %d notifications in %q", lines, p)
		}
	})
}
