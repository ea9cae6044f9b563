package txn

import (
	"errors"
	"strings"
	"testing"
)

func TestReadEvents(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []int // percents
		wantErr string
	}{
		{name: "two events", in: "id: 1\nevent: state\ndata: {\"seq\":1,\"txn\":\"t\",\"type\":\"state\",\"percent\":0,\"done\":0,\"total\":4,\"at\":\"2026-01-01T00:00:00Z\"}\n\n: comment\nid: 2\ndata: {\"seq\":2,\"txn\":\"t\",\"type\":\"outcome\",\"percent\":100,\"done\":4,\"total\":4,\"at\":\"2026-01-01T00:00:00Z\"}\n\n", want: []int{0, 100}},
		{name: "no trailing blank line", in: "data: {\"seq\":1,\"txn\":\"t\",\"type\":\"step\",\"percent\":50,\"done\":2,\"total\":4,\"at\":\"2026-01-01T00:00:00Z\"}", want: []int{50}},
		{name: "id mismatch", in: "id: 7\ndata: {\"seq\":1,\"txn\":\"t\",\"type\":\"step\",\"percent\":5,\"done\":0,\"total\":4,\"at\":\"2026-01-01T00:00:00Z\"}\n\n", wantErr: "does not match"},
		{name: "unknown type", in: "data: {\"seq\":1,\"type\":\"boom\",\"percent\":5,\"at\":\"2026-01-01T00:00:00Z\"}\n\n", wantErr: "unknown type"},
		{name: "bad json", in: "data: {\n\n", wantErr: "line 2"},
		{name: "percent out of range", in: "data: {\"seq\":1,\"type\":\"step\",\"percent\":101,\"at\":\"2026-01-01T00:00:00Z\"}\n\n", wantErr: "out of range"},
		{name: "unknown member", in: "data: {\"seq\":1,\"type\":\"step\",\"extra\":1,\"at\":\"2026-01-01T00:00:00Z\"}\n\n", wantErr: "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			err := ReadEvents(strings.NewReader(tt.in), func(e Event) error { got = append(got, e.Percent); return nil })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	stop := errors.New("stop")
	if err := ReadEvents(strings.NewReader(tests[0].in), func(Event) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("fn error: %v", err)
	}
}

// FuzzReadEvents feeds arbitrary streams to the client's SSE reader: it
// never panics, and every event it accepts has a known type and a percent
// in range.
func FuzzReadEvents(f *testing.F) {
	f.Add("id: 1\nevent: state\ndata: {\"seq\":1,\"txn\":\"t\",\"type\":\"state\",\"percent\":0,\"at\":\"2026-01-01T00:00:00Z\"}\n\n")
	f.Add("data: {\"seq\":2,\"type\":\"outcome\",\"percent\":100,\"result\":{\"id\":\"t\",\"state\":\"confirmed\",\"phase\":\"confirm\",\"devices\":[],\"started\":\"2026-01-01T00:00:00Z\",\"ended\":\"2026-01-01T00:00:00Z\"},\"at\":\"2026-01-01T00:00:00Z\"}\n\n")
	f.Add(": hello\n\nid: x\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		_ = ReadEvents(strings.NewReader(in), func(e Event) error {
			if e.Percent < 0 || e.Percent > 100 {
				t.Fatalf("accepted percent %d", e.Percent)
			}
			switch e.Type {
			case "snapshot", "state", "step", "outcome":
			default:
				t.Fatalf("accepted type %q", e.Type)
			}
			return nil
		})
	})
}

// FuzzDecodeChanges checks the write-ahead log's change decoder: it never
// panics, and what it accepts encodes back to something it accepts again
// with the same meaning.
func FuzzDecodeChanges(f *testing.F) {
	f.Add("create", "/interfaces/interface[name=eth1]/config/mtu", "", "9000")
	f.Add("delete", "/interfaces/interface[name=eth1]", "", "")
	f.Add("update", "/interfaces/interface[name=eth1]/config/enabled", "true", "false")
	f.Add("bogus", "/x", "", "")
	f.Fuzz(func(t *testing.T, op, path, old, nw string) {
		w := ChangeJSON{Op: op, Path: path}
		if old != "" {
			w.Old = &old
		}
		if nw != "" {
			w.New = &nw
		}
		cs, err := DecodeChanges([]ChangeJSON{w})
		if err != nil {
			return
		}
		again, err := DecodeChanges(EncodeChanges(cs))
		if err != nil {
			t.Fatalf("re-decode of %+v: %v", EncodeChanges(cs), err)
		}
		if again[0].String() != cs[0].String() {
			t.Fatalf("round trip: %s != %s", again[0], cs[0])
		}
	})
}
