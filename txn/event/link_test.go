package event

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// TestLinkWatchPublishesChanges: only a change of an interface's state
// is published, once, as link.down or link.up naming the device and the
// interface; the first state seen of an interface is not.
func TestLinkWatchPublishesChanges(t *testing.T) {
	var got []string
	w := &LinkWatch{Publish: func(typ, subject string, p map[string]any) {
		got = append(got, fmt.Sprintf("%s %s %s/%s %s", typ, subject, p["device"], p["interface"], p["state"]))
	}}
	for _, o := range []struct {
		dev, ifc string
		up       bool
	}{
		{"leaf1", "e1-1", true}, {"leaf1", "e1-1", true}, {"leaf1", "e1-1", false}, {"leaf1", "e1-1", false},
		{"leaf1", "e1-2", false}, {"leaf2", "e1-1", true}, {"leaf1", "e1-1", true}, {"leaf1", "e1-2", true},
	} {
		w.Observe(o.dev, o.ifc, o.up)
	}
	want := []string{
		"link.down device/leaf1 leaf1/e1-1 down",
		"link.up device/leaf1 leaf1/e1-1 up",
		"link.up device/leaf1 leaf1/e1-2 up",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("published %q, want %q", got, want)
	}
}

// TestLinkWatchConcurrent: observers on many goroutines publish each
// change once (run with -race).
func TestLinkWatchConcurrent(t *testing.T) {
	var mu sync.Mutex
	n := 0
	w := &LinkWatch{Publish: func(string, string, map[string]any) { mu.Lock(); n++; mu.Unlock() }}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			dev := fmt.Sprintf("d%d", g)
			for i := range 100 {
				w.Observe(dev, "e1", i%2 == 0)
			}
		})
	}
	wg.Wait()
	if n != 8*99 {
		t.Fatalf("%d events, want %d (every change after the first sight)", n, 8*99)
	}
}
