package sse

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRead(t *testing.T) {
	stream := ": comment\nid: 1\nevent: step\ndata: {\"a\":\ndata: 1}\nretry: 5\n\nid: 2\n\ndata: last"
	var got []Frame
	err := Read(strings.NewReader(stream), 1<<10, func(f Frame) error {
		f.Data = append([]byte(nil), f.Data...)
		got = append(got, f)
		return nil
	})
	want := []Frame{{ID: "1", Event: "step", Data: []byte("{\"a\":\n1}"), Line: 7}, {Data: []byte("last"), Line: 10}}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("Read = %v, %+v; want %+v (a frame without data is skipped, the last one needs no blank line)", err, got, want)
	}
	if err := Read(strings.NewReader("data: "+strings.Repeat("x", 2000)+"\n\n"), 1<<10, func(Frame) error { return nil }); err == nil {
		t.Error("a line over the limit was read")
	}
}

func FuzzRead(f *testing.F) {
	f.Add("id: 1\ndata: x\n\n")
	f.Add(":\n\ndata\nevent:\n")
	f.Fuzz(func(t *testing.T, s string) {
		_ = Read(strings.NewReader(s), 1<<12, func(fr Frame) error {
			if len(fr.Data) == 0 {
				t.Fatal("a frame without data")
			}
			return nil
		})
	})
}
