package adapters

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSessionLimitFIFO: opens beyond the limit wait, and freed slots go to
// the waiters in the order they came, never to a later caller first.
func TestSessionLimitFIFO(t *testing.T) {
	l := NewSessionLimit(2)
	ctx := context.Background()
	for range 2 {
		if err := l.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan int, 3)
	for i := range 3 {
		go func() {
			if err := l.Acquire(ctx); err == nil {
				got <- i
			}
		}()
		for l.Waiting() != i+1 { // queue them in a known order
			time.Sleep(time.Millisecond)
		}
	}
	var order []int
	for range 3 {
		l.Release()
		order = append(order, <-got)
	}
	if d := cmp.Diff([]int{0, 1, 2}, order); d != "" {
		t.Errorf("slots given in order (-want +got):\n%s", d)
	}
	if l.Open() != 2 || l.Waiting() != 0 {
		t.Errorf("open %d waiting %d, want 2 0", l.Open(), l.Waiting())
	}
}

func TestSessionLimitCancel(t *testing.T) {
	l := NewSessionLimit(1)
	if err := l.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if l.Waiting() != 0 {
		t.Errorf("a cancelled waiter stays queued")
	}
	l.Release()
	if err := l.Acquire(context.Background()); err != nil || l.Open() != 1 {
		t.Errorf("after release: err %v open %d", err, l.Open())
	}
	if NewSessionLimit(0) != nil {
		t.Error("limit 0 is not unlimited")
	}
	var unlimited *SessionLimit
	if err := unlimited.Acquire(context.Background()); err != nil {
		t.Error(err)
	}
	unlimited.Release()
}
