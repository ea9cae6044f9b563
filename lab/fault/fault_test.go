package fault

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSet(t *testing.T) {
	t.Parallel()
	s := NewSet()
	if err := s.Inject(Fault{Kind: "explode"}); !errors.Is(err, ErrBadFault) {
		t.Errorf("unknown kind: %v", err)
	}
	if err := s.Inject(Fault{Kind: Latency}); !errors.Is(err, ErrBadFault) {
		t.Errorf("latency without delay: %v", err)
	}
	if err := s.Inject(Fault{Kind: RejectCommit, Count: 2, Message: "no"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, ok := s.Take(NETCONF, RejectCommit); !ok {
			t.Fatalf("take %d: fault missing", i)
		}
	}
	if _, ok := s.Take(GNMI, RejectCommit); ok {
		t.Error("one-shot fault fired a third time")
	}
	want := map[string]uint64{"netconf/reject-commit": 2}
	if d := cmp.Diff(want, s.Hits()); d != "" {
		t.Errorf("hits (-want +got):\n%s", d)
	}
	_ = s.Inject(Fault{Kind: Latency, Protocol: GNMI, Delay: time.Millisecond})
	if _, ok := s.Active(CLI, Latency); ok {
		t.Error("gnmi latency applies to cli")
	}
	if n := s.Clear(Any, ""); n != 1 {
		t.Errorf("cleared %d", n)
	}
}

func TestHangWhile(t *testing.T) {
	t.Parallel()
	s := NewSet()
	_ = s.Inject(Fault{Kind: Hang, Protocol: CLI})
	done := make(chan error, 1)
	go func() { done <- s.HangWhile(context.Background(), CLI) }()
	select {
	case err := <-done:
		t.Fatalf("HangWhile returned under a hang: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	s.Clear(CLI, Hang)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_ = s.Inject(Fault{Kind: Hang})
	cancel()
	if err := s.HangWhile(ctx, NETCONF); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestListenerDown(t *testing.T) {
	t.Parallel()
	s := NewSet()
	l, err := Listen("127.0.0.1:0", s, GNMI)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	server := <-accepted
	_ = s.Inject(Fault{Kind: Down, Protocol: GNMI})
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("dial under down succeeded")
	}
	// The accepted connection was dropped.
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("open connection survived down")
	}
	_ = server
	s.Clear(GNMI, Down)
	c2, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("dial after clearing down: %v", err)
	}
	c2.Close()
	if got := <-accepted; got == nil {
		t.Error("no connection accepted after up")
	}
	_ = l.Close()
	for range accepted {
	}
}

func TestBeforeCommit(t *testing.T) {
	t.Parallel()
	s := NewSet()
	if rf, err := s.BeforeCommit(context.Background(), NETCONF); rf != nil || err != nil {
		t.Fatalf("no faults: %v %v", rf, err)
	}
	_ = s.Inject(Fault{Kind: RejectCommit, Protocol: GNMI})
	_ = s.Inject(Fault{Kind: RejectCommit, Protocol: CLI, ErrorTag: "resource-denied", Message: "out of TCAM", Count: 1})
	rf, err := s.BeforeCommit(context.Background(), GNMI)
	if err != nil || rf == nil {
		t.Fatalf("reject-commit on gnmi: %v %v", rf, err)
	}
	if rf.ErrorTag != "operation-failed" || rf.Message != "commit rejected (injected fault)" {
		t.Errorf("defaults: tag %q, message %q", rf.ErrorTag, rf.Message)
	}
	if rf, _ := s.BeforeCommit(context.Background(), GNMI); rf != nil {
		t.Error("the one-shot rejection fired twice")
	}
	// A slow commit whose context ends rejects nothing and keeps the rejection.
	_ = s.Inject(Fault{Kind: SlowCommit, Protocol: CLI, Delay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rf, err := s.BeforeCommit(ctx, CLI); rf != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("slow commit, context ended: %v %v", rf, err)
	}
	s.Clear(CLI, SlowCommit)
	if rf, _ := s.BeforeCommit(context.Background(), CLI); rf == nil || rf.ErrorTag != "resource-denied" || rf.Message != "out of TCAM" {
		t.Errorf("reject-commit on cli: %+v", rf)
	}
}
