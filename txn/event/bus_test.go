package event

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestBusStreamsSignedEvents publishes events on a bus served over SSE and
// reads them as a receiver would: the filter selects by type, device and
// intent, every message verifies, Last-Event-ID resumes, and a message
// read twice is refused as a replay.
func TestBusStreamsSignedEvents(t *testing.T) {
	p := newPKI(t)
	key, cert := p.agent(t, "a")
	s, err := NewSigner(key, []*x509.Certificate{cert})
	if err != nil {
		t.Fatal(err)
	}
	bus := NewBus(s)
	srv := httptest.NewServer(bus)
	defer srv.Close()

	type got struct {
		ids  []int64
		msgs []*Signed
	}
	follow := func(query, lastID string, n int) got {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/events?"+query, nil)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var g got
		stop := errors.New("enough")
		err = ReadSigned(resp.Body, func(id int64, m *Signed) error {
			g.ids, g.msgs = append(g.ids, id), append(g.msgs, m)
			if len(g.msgs) == n {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Fatalf("read: %v", err)
		}
		return g
	}
	publish := func() {
		for _, e := range []struct {
			typ    string
			params map[string]any
		}{
			{TypeTxnProgress, map[string]any{"txn": "tx-1", "intent": "i1", "device": "leaf1", "step": "prepared"}},
			{TypeFailover, map[string]any{"device": "leaf2", "from": "netconf", "to": "gnmi"}},
			{TypeTxnOutcome, map[string]any{"txn": "tx-1", "intent": "i1", "devices": []string{"leaf1", "leaf2"}, "state": "confirmed"}},
			{TypeIntentState, map[string]any{"intent": "i2", "to": "applied"}},
		} {
			if err := bus.Publish(e.typ, "s", e.params); err != nil {
				t.Error(err)
			}
		}
	}
	// Subscribers only see what is published after they connect: publish
	// once the streams are open (each stream's first line is a comment).
	type result struct {
		name string
		g    got
	}
	cases := []struct {
		name, query string
		n           int
		want        []string
	}{
		{"all", "", 4, []string{TypeTxnProgress, TypeFailover, TypeTxnOutcome, TypeIntentState}},
		{"type prefix", "type=txn", 2, []string{TypeTxnProgress, TypeTxnOutcome}},
		{"device", "device=leaf2", 2, []string{TypeFailover, TypeTxnOutcome}},
		{"intent and type", "intent=i1&type=txn.outcome", 1, []string{TypeTxnOutcome}},
	}
	results := make(chan result, len(cases))
	for _, tc := range cases {
		go func() { results <- result{tc.name, follow(tc.query, "", tc.n)} }()
	}
	// Wait for the four subscribers.
	deadline := time.Now().Add(30 * time.Second)
	for bus.subscribers() < len(cases) {
		if time.Now().After(deadline) {
			t.Fatal("subscribers did not connect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	publish()
	byName := map[string]got{}
	for range cases {
		r := <-results
		byName[r.name] = r.g
	}
	for _, tc := range cases {
		g := byName[tc.name]
		v := &Verifier{Roots: p.roots}
		var types []string
		for _, m := range g.msgs {
			env, err := v.Verify(m)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			types = append(types, env.Type)
		}
		if strings.Join(types, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: types %v, want %v", tc.name, types, tc.want)
		}
	}
	all := byName["all"]
	// Resume after the second event: the last two again.
	again := follow("", "2", 2)
	if again.ids[0] != 3 || !bytes.Equal(again.msgs[1].Envelope, all.msgs[3].Envelope) {
		t.Fatalf("Last-Event-ID 2 resumed at %v", again.ids)
	}
	// A receiver that saw them refuses them again.
	v := &Verifier{Roots: p.roots}
	for _, m := range all.msgs {
		if _, err := v.Verify(m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.Verify(again.msgs[0]); !errors.Is(err, ErrReplay) {
		t.Fatalf("replayed event: %v, want ErrReplay", err)
	}
	// A bad filter is refused.
	resp, err := http.Get(srv.URL + "/v1/events?type=a%20b")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("bad type filter: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestResumeAboveRestart: a signer resumed from the clock sends sequences
// above those of the signer it replaces, so receivers accept a restarted
// agent's events.
func TestResumeAboveRestart(t *testing.T) {
	p := newPKI(t)
	key, cert := p.agent(t, "a")
	v := &Verifier{Roots: p.roots}
	for range 2 {
		s, _ := NewSigner(key, []*x509.Certificate{cert})
		s.Resume(uint64(time.Now().UnixMicro()))
		for range 3 {
			m, err := s.Sign(TypeTxnProgress, "x", nil, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(m); err != nil {
				t.Fatalf("after a restart: %v", err)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// FuzzReadSigned: the SSE reader of signed events never panics, and what
// it reads re-verifies as malformed or not, never crashing the verifier.
func FuzzReadSigned(f *testing.F) {
	f.Add("id: 1\nevent: txn.progress\ndata: {\"envelope\":{\"type\":\"x\"},\"signature\":\"a..b\"}\n\n")
	f.Add(": comment\n\nid: x\ndata: {}\n\n")
	f.Add("data: {\"envelope\":1,\n\n")
	f.Add("data: {\"envelope\":{},\"signature\":\"\",\"extra\":1}\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		v := &Verifier{}
		_ = ReadSigned(strings.NewReader(s), func(id int64, m *Signed) error {
			_, _ = v.Verify(m)
			return nil
		})
	})
}
