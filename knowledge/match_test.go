package knowledge

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/netagent/netagent/internal/store"
)

// labelled is one error message of the labelled set and the case it is.
type labelled struct {
	Observation
	Want string `json:"want"` // "" when no case describes it
}

func readLabelled(t testing.TB, file string) []labelled {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var l labelled
		dec := json.NewDecoder(bytesReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("%s:%d: %v", file, n, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func newBase(t testing.TB, opts Options) *Base {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "kb.db"), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b, err := New(context.Background(), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// evaluate looks every message up and returns precision (of the matches
// returned, how many are the labelled case) and recall (of the messages a
// case describes, how many were matched to it).
func evaluate(t *testing.T, b *Base, set []labelled) (precision, recall float64) {
	t.Helper()
	var tp, fp, described int
	for _, l := range set {
		ms, err := b.Lookup(context.Background(), l.Observation)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if len(ms) > 0 {
			got = ms[0].Case.ID
		}
		if l.Want != "" {
			described++
		}
		switch {
		case got == "":
			if l.Want != "" {
				t.Logf("missed   %-32s %s %s %q", l.Want, l.Protocol, l.Tag, l.Message)
			}
		case got == l.Want:
			tp++
			if ms[0].Score < 0.8 {
				t.Logf("weak     %-32s %.2f %v %q", got, ms[0].Score, ms[0].Why, l.Message)
			}
		default:
			fp++
			t.Logf("mismatch %-32s got %s (%.2f %v): %s %s %q", l.Want, got, ms[0].Score, ms[0].Why, l.Protocol, l.Tag, l.Message)
		}
	}
	if tp+fp > 0 {
		precision = float64(tp) / float64(tp+fp)
	}
	if described > 0 {
		recall = float64(tp) / float64(described)
	}
	return precision, recall
}

func checkSet(t *testing.T, file string) {
	set := readLabelled(t, file)
	b := newBase(t, Options{})
	p, r := evaluate(t, b, set)
	t.Logf("%s: %d messages, precision %.3f, recall %.3f", filepath.Base(file), len(set), p, r)
	if p < 0.9 || r < 0.9 {
		t.Errorf("%s: precision %.3f, recall %.3f; want at least 0.9 both", file, p, r)
	}
}

// TestMatchingTrainingSet is the part of the labelled set the matcher was
// tuned on.
func TestMatchingTrainingSet(t *testing.T) { checkSet(t, "testdata/labelled/train.jsonl") }

// TestMatchingHeldOut is the held-out part: written before the matcher,
// never used to tune it.
func TestMatchingHeldOut(t *testing.T) { checkSet(t, "testdata/labelled/heldout.jsonl") }

// TestMatchingInterop checks the messages captured from real yuma123 and
// FRR by `make interop` (TestInteropMessages -update).
func TestMatchingInterop(t *testing.T) { checkSet(t, "testdata/labelled/interop.jsonl") }

func TestLabelledSetSize(t *testing.T) {
	seeds, err := Seeds()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range seeds {
		ids[c.ID] = true
	}
	n := 0
	for _, f := range []string{"train", "heldout", "interop"} {
		for _, l := range readLabelled(t, "testdata/labelled/"+f+".jsonl") {
			n++
			if l.Want != "" && !ids[l.Want] {
				t.Errorf("%s: %q labelled with unknown case %s", f, l.Message, l.Want)
			}
		}
	}
	if n < 150 {
		t.Errorf("labelled set has %d messages, want at least 150", n)
	}
	if len(seeds) < 40 {
		t.Errorf("%d seed cases, want at least 40", len(seeds))
	}
}
