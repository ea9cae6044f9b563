package ncframe

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFramerRoundTrip(t *testing.T) {
	t.Parallel()
	msgs := [][]byte{[]byte("<rpc/>"), []byte("<a>]]></a>"), bytes.Repeat([]byte("x"), 70000)}
	for _, chunked := range []bool{false, true} {
		var buf bytes.Buffer
		w := NewFramer(nil, &buf)
		w.Chunked = chunked
		for _, m := range msgs {
			if chunked || !bytes.Contains(m, eom) {
				if err := w.WriteMsg(m); err != nil {
					t.Fatal(err)
				}
			}
		}
		r := NewFramer(&buf, nil)
		r.Chunked = chunked
		for _, m := range msgs {
			if !chunked && bytes.Contains(m, eom) {
				continue
			}
			got, err := r.ReadMsg()
			if err != nil {
				t.Fatalf("chunked=%v: %v", chunked, err)
			}
			if d := cmp.Diff(m, got); d != "" {
				t.Errorf("chunked=%v (-want +got):\n%s", chunked, d)
			}
		}
		if _, err := r.ReadMsg(); !errors.Is(err, io.EOF) {
			t.Errorf("chunked=%v: at end got %v, want io.EOF", chunked, err)
		}
	}
}

func TestFramerChunkedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     error
	}{
		{"multi chunk", "\n#3\nabc\n#2\nde\n##\n", nil},
		{"zero size", "\n#0\n\n##\n", ErrFrame},
		{"leading zero", "\n#03\nabc\n##\n", ErrFrame},
		{"no hash", "\n3\nabc\n##\n", ErrFrame},
		{"empty message", "\n##\n", ErrFrame},
		{"truncated", "\n#10\nabc", io.ErrUnexpectedEOF},
		{"size too long", "\n#12345678901\n", ErrFrame},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFramer(bytes.NewBufferString(tc.in), nil)
			f.Chunked = true
			got, err := f.ReadMsg()
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %q, %v; want %v", got, err, tc.want)
			}
			if tc.want == nil && string(got) != "abcde" {
				t.Errorf("got %q", got)
			}
		})
	}
}

func FuzzFramer(f *testing.F) {
	f.Add([]byte("\n#3\nabc\n##\n"), true)
	f.Add([]byte("<rpc/>]]>]]>"), false)
	f.Add([]byte("\n#1\na\n#1\nb\n##\n\n#2\ncd\n##\n"), true)
	f.Add([]byte("]]>]]]>]]>]]>"), false)
	f.Fuzz(func(t *testing.T, in []byte, chunked bool) {
		r := NewFramer(bytes.NewReader(in), nil)
		r.Chunked = chunked
		r.Max = 1 << 16
		for i := 0; i < 100; i++ {
			msg, err := r.ReadMsg()
			if err != nil {
				return
			}
			if !chunked && bytes.Contains(msg, eom) {
				t.Fatalf("1.0 message contains the end marker: %q", msg)
			}
			// Every message read re-frames and reads back identically.
			var buf bytes.Buffer
			w := NewFramer(nil, &buf)
			w.Chunked = chunked
			if len(msg) == 0 && chunked {
				t.Fatal("chunked framing produced an empty message")
			}
			if err := w.WriteMsg(msg); err != nil {
				t.Fatal(err)
			}
			back := NewFramer(&buf, nil)
			back.Chunked = chunked
			got, err := back.ReadMsg()
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("re-read %q: %q, %v", msg, got, err)
			}
		}
	})
}
