package mcp

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/intent/nl"
	"github.com/netagent/netagent/txn"
)

var update = flag.Bool("update", false, "rewrite golden files")

type noTelemetry struct{}

func (noTelemetry) Query(context.Context, TelemetryQuery) (any, error) { return nil, nil }

type noKnowledge struct{}

func (noKnowledge) Search(context.Context, string, int) (any, error) { return nil, nil }

// TestToolsGolden pins what clients see of every tool: names, descriptions,
// schemas and annotations (testdata/tools.golden.json; -update rewrites it).
func TestToolsGolden(t *testing.T) {
	s, err := New(Config{Intents: (*intent.Service)(nil), Devices: &PoolDevices{}, Parser: (*nl.Parser)(nil), Telemetry: noTelemetry{}, Knowledge: noKnowledge{},
		Transactions: (*txn.Coordinator)(nil)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range s.tools {
		names = append(names, n)
	}
	sort.Strings(names)
	var defs []json.RawMessage
	for _, n := range names {
		b, err := json.Marshal(s.tools[n].def)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		b, _ = json.MarshalIndent(map[string]any{"tool": v, "scope": s.tools[n].scope}, "", "  ")
		defs = append(defs, b)
	}
	got, _ := json.MarshalIndent(defs, "", "  ")
	got = append(got, '\n')
	path := filepath.Join("testdata", "tools.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("tools changed (-want +got); run with -update if intended:\n%s", d)
	}
}
