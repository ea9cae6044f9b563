package audit

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzCanonical: ParseCanonical accepts only what Canonical writes (parse,
// print, parse again), and an entry built from fuzzed fields survives the
// round trip with the same hash.
func FuzzCanonical(f *testing.F) {
	seed := Entry{Seq: 7, Time: time.Date(2026, 12, 1, 10, 0, 0, 5, time.UTC), Actor: json.RawMessage(`{"subject":"alice"}`),
		Action: ActionDeviceChange, Intent: "i-1", Device: "r1", Trace: "4bf92f3577b34da6a3ce929d0e0e4736",
		Detail: json.RawMessage(`{"before":"sha256:aa","after":"sha256:bb"}`), Prev: ZeroHash}
	f.Add(seed.Canonical(), "intent.accepted", "r1\n2:xx", `{"a":1}`)
	f.Add(Entry{Action: "x"}.Canonical(), "", "", "")
	f.Add([]byte(canonicalMagic+"1:1\n"), "a", "b", "c")
	f.Add([]byte("garbage"), ":", "10:", "\n")
	f.Fuzz(func(t *testing.T, b []byte, action, device, detail string) {
		if e, err := ParseCanonical(b); err == nil {
			if got := e.Canonical(); !bytes.Equal(got, b) {
				t.Fatalf("ParseCanonical(%q).Canonical() = %q", b, got)
			}
		}
		e := seed
		e.Action, e.Device = action, device
		if detail != "" {
			e.Detail = json.RawMessage(detail)
		}
		back, err := ParseCanonical(e.Canonical())
		if err != nil {
			t.Fatalf("ParseCanonical(Canonical(%+v)): %v", e, err)
		}
		if back.ComputeHash() != e.ComputeHash() || back.Action != action || back.Device != device {
			t.Fatalf("round trip changed the entry: %+v -> %+v", e, back)
		}
	})
}
