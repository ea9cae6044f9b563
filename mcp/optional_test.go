package mcp_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/mcp"
	"github.com/netagent/netagent/yang"
)

// series and cases stand in for the telemetry store and the knowledge base
// until those packages land; they record what the tools asked.
type series struct{ got []mcp.TelemetryQuery }

func (s *series) Query(_ context.Context, q mcp.TelemetryQuery) (any, error) {
	s.got = append(s.got, q)
	return []map[string]any{{"device": q.Device, "metric": q.Metric, "points": []float64{1, 2}}}, nil
}

type cases struct{ got []string }

func (c *cases) Search(_ context.Context, q string, limit int) (any, error) {
	c.got = append(c.got, q)
	return []map[string]any{{"title": "MTU mismatch", "limit": limit}}, nil
}

// TestOptionalServicesAndScopes: query_telemetry and search_knowledge are
// offered only when wired; a principal without a tool's scope is refused
// inside the tool too (stdio), naming the scope; the CLI-only device serves
// get_state by polling.
func TestOptionalServicesAndScopes(t *testing.T) {
	n := startNetwork(t, topologies.TwoNode)
	tel, kb := &series{}, &cases{}
	c := stdioClient(t, n.server(t, func(c *mcp.Config) { c.Local = &local; c.Telemetry = tel; c.Knowledge = kb }))
	res, err := c.ListTools(context.Background(), mcpgo.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	if !slices.Contains(names, "query_telemetry") || !slices.Contains(names, "search_knowledge") {
		t.Errorf("tools with telemetry and knowledge wired: %v", names)
	}
	mustCall(t, c, "query_telemetry", map[string]any{"metric": "interface.in_octets", "device": "r1", "since": "5m"}, "", nil)
	if len(tel.got) != 1 || tel.got[0].Device != "r1" || tel.got[0].Since != "5m" {
		t.Errorf("telemetry queries = %+v", tel.got)
	}
	if got := call(t, c, "query_telemetry", map[string]any{"metric": "x", "since": "yesterday"}, "", nil); !strings.Contains(got, "/since") {
		t.Errorf("bad since: %q", got)
	}
	var kr struct{ Result []map[string]any }
	mustCall(t, c, "search_knowledge", map[string]any{"query": "mtu mismatch"}, "", &kr)
	if len(kb.got) != 1 || len(kr.Result) != 1 {
		t.Errorf("knowledge: %v %+v", kb.got, kr)
	}

	var st struct{ Updates []struct{ Path string } }
	mustCall(t, c, "get_state", map[string]any{"device": "r2", "path": "/interfaces/interface[name=eth1]/config/mtu"}, "", &st)
	if len(st.Updates) == 0 {
		t.Errorf("get_state on the CLI device: no updates")
	}

	viewer := auth.Principal{Subject: "viewer", Scopes: []auth.Scope{auth.IntentsRead, auth.DevicesRead}}
	ro := stdioClient(t, n.server(t, func(c *mcp.Config) { c.Local = &viewer }))
	mustCall(t, ro, "get_config", map[string]any{"device": "r1"}, "", nil)
	if got := call(t, ro, "set_interface", map[string]any{"devices": []string{"r1"}, "name": "e1-1", "mtu": 9000}, "", nil); !strings.Contains(got, "insufficient_scope") || !strings.Contains(got, "intents:write") {
		t.Errorf("read-only write: %q", got)
	}
	if res, err := ro.ListTools(context.Background(), mcpgo.ListToolsRequest{}); err != nil || slices.ContainsFunc(res.Tools, func(tl mcpgo.Tool) bool { return tl.Name == "query_telemetry" }) {
		t.Errorf("query_telemetry offered without the service (%v)", err)
	}
	if v := n.leaf(t, "r1", yang.InterfacePath("e1-1").Leaf("config", "mtu")); v != uint64(1500) {
		t.Errorf("lab mtu after refused write = %v", v)
	}
}
