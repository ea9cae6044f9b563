package txnplan

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/txn"
)

func TestWithHints(t *testing.T) {
	base := txn.Request{ID: "t1", Participants: []txn.Participant{{Device: "a"}, {Device: "b"}, {Device: "c"}}}
	for _, tc := range []struct {
		name   string
		hints  intent.ExecHints
		fanOut int
		stages map[string]string
	}{
		{"none", intent.ExecHints{}, 0, map[string]string{"a": "", "b": "", "c": ""}},
		{"fan-out", intent.ExecHints{FanOut: 1}, 1, map[string]string{"a": "", "b": "", "c": ""}},
		{"b last", intent.ExecHints{FanOut: 1, Last: []string{"b"}}, 1, map[string]string{"a": "", "b": LastStage, "c": ""}},
		{"everyone last is no order", intent.ExecHints{Last: []string{"a", "b", "c"}}, 0, map[string]string{"a": "", "b": "", "c": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := WithHints(base, tc.hints)
			if _, err := req.Validate(); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, p := range req.Participants {
				got[p.Device] = p.Stage
			}
			if diff := cmp.Diff(tc.stages, got); diff != "" {
				t.Errorf("stages (-want +got):\n%s", diff)
			}
			if req.Options.FanOut != tc.fanOut {
				t.Errorf("fan-out %d, want %d", req.Options.FanOut, tc.fanOut)
			}
			waves, _ := req.Validate()
			if len(tc.hints.Last) == 1 && (len(waves) != 2 || len(waves[1]) != 1) {
				t.Errorf("waves %v, want the last device alone in a second wave", waves)
			}
		})
	}
	if base.Participants[1].Stage != "" {
		t.Error("WithHints changed the request it was given")
	}
}
