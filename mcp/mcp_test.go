package mcp_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/mcp"
	"github.com/netagent/netagent/yang"
)

var wantTools = []string{"add_static_route", "get_config", "get_state", "intent_status", "list_devices", "parse_request",
	"plan_intent", "remove_static_route", "set_bgp_neighbor", "set_interface", "submit_intent", "withdraw_intent"}

// checkTools lists the tools and checks every one has schemas, a
// description and truthful annotations.
func checkTools(t *testing.T, c *client.Client) {
	t.Helper()
	res, err := c.ListTools(context.Background(), mcpgo.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
		if tl.Description == "" || tl.InputSchema.Type != "object" || tl.OutputSchema.Type != "object" {
			t.Errorf("%s: description %q, input schema %q, output schema %q", tl.Name, tl.Description, tl.InputSchema.Type, tl.OutputSchema.Type)
		}
		ro, destructive := *tl.Annotations.ReadOnlyHint, *tl.Annotations.DestructiveHint
		write := slices.Contains([]string{"set_interface", "add_static_route", "remove_static_route", "set_bgp_neighbor", "submit_intent", "withdraw_intent"}, tl.Name)
		if ro == write || destructive != write {
			t.Errorf("%s: readOnly %v destructive %v, want readOnly %v", tl.Name, ro, destructive, !write)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, wantTools) {
		t.Errorf("tools = %v\nwant %v", names, wantTools)
	}
}

// TestToolsOverStdio drives every tool against the two-node lab through
// the stdio wire protocol, as `netagent mcp` serves it.
func TestToolsOverStdio(t *testing.T) {
	n := startNetwork(t, topologies.TwoNode)
	s := n.server(t, func(c *mcp.Config) { c.Local = &local })
	c := stdioClient(t, s)
	checkTools(t, c)
	mtu := yang.InterfacePath("e1-1").Leaf("config", "mtu")

	var devs struct{ Devices []mcp.DeviceStatus }
	mustCall(t, c, "list_devices", nil, "", &devs)
	if len(devs.Devices) != 2 || devs.Devices[0].Name != "r1" || devs.Devices[0].Active == "" || len(devs.Devices[0].Protocols) == 0 ||
		devs.Devices[0].Protocols[0].Health != "healthy" {
		t.Errorf("list_devices = %+v", devs.Devices)
	}

	var cfg struct {
		Leaves []mcp.LeafValue
	}
	mustCall(t, c, "get_config", map[string]any{"device": "r1", "path": "/interfaces/interface[name=e1-1]/config"}, "", &cfg)
	if !slices.ContainsFunc(cfg.Leaves, func(l mcp.LeafValue) bool { return l.Path == mtu.String() }) {
		t.Errorf("get_config leaves = %+v, want %s", cfg.Leaves, mtu)
	}
	var st struct {
		Updates []struct {
			Path  string
			Value any
		}
	}
	mustCall(t, c, "get_state", map[string]any{"device": "r1", "path": "/interfaces/interface[name=e1-1]/config/mtu"}, "", &st)
	if len(st.Updates) == 0 {
		t.Errorf("get_state: no updates")
	}

	// Refusals name the argument.
	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"get_config", map[string]any{"device": "r9"}, "/device"},
		{"get_config", map[string]any{}, "/device: is required"},
		{"get_config", map[string]any{"device": "r1", "path": "interfaces[["}, "/path"},
		{"set_interface", map[string]any{"devices": []string{"r1"}, "name": "e1-1", "mtu": "big"}, "/mtu"},
		{"set_interface", map[string]any{"devices": []string{"r1"}, "name": "e1-1", "mtu": 10}, "/mtu"},
		{"set_interface", map[string]any{"devices": []string{"r1"}, "name": "e1-1", "colour": "red"}, "/colour: is not an argument"},
		{"set_interface", map[string]any{"name": "e1-1", "mtu": 9000}, "/devices: give devices"},
		{"set_interface", map[string]any{"devices": []string{"r1"}, "selector": map[string]string{"role": "core"}, "name": "e1-1"}, "/selector: give devices or selector, not both"},
		{"set_interface", map[string]any{"devices": []string{"nope"}, "name": "e1-1", "mtu": 9000}, "/devices"},
		{"submit_intent", map[string]any{"intent": map[string]any{"kind": "interface", "targets": map[string]any{"devices": []string{"r1"}}, "spec": map[string]any{"name": "e1-1", "mtu": 9000}}}, "/confirmation_token"},
		{"plan_intent", map[string]any{"intent": map[string]any{"kind": "teleport"}}, "/intent/kind"},
		{"intent_status", map[string]any{"id": "no-such"}, "/id"},
	} {
		got := call(t, c, tc.tool, tc.args, "", nil)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s(%v): error %q, want it to name %q", tc.tool, tc.args, got, tc.want)
		}
	}

	// set_interface: plan (nothing changes), then apply with the token, with progress.
	prog := watchProgress(c)
	planned, applied := planApply(t, c, "set_interface", map[string]any{"devices": []string{"r1"}, "name": "e1-1", "mtu": 9000}, "p-mtu")
	if !strings.Contains(planned.Diff, "mtu") {
		t.Errorf("plan diff = %q, want the mtu change", planned.Diff)
	}
	if applied.Status != string(intent.StateApplied) {
		t.Fatalf("set_interface applied: %+v", applied)
	}
	if v := n.leaf(t, "r1", mtu); v != uint64(9000) {
		t.Errorf("r1 e1-1 mtu on the lab = %v, want 9000", v)
	}
	if msgs := prog.messagesUntil("p-mtu", ": applied:"); len(msgs) < 2 || !strings.Contains(strings.Join(msgs, "\n"), "applied") {
		t.Errorf("progress = %q, want lifecycle steps up to applied", msgs)
	}

	// add_static_route on the CLI-only r2.
	_, applied = planApply(t, c, "add_static_route", map[string]any{"devices": []string{"r2"}, "prefix": "10.20.0.0/16",
		"next_hops": []map[string]any{{"next_hop": "10.0.0.0"}}}, "")
	nh := yang.NextHopPath("10.20.0.0/16", "0").Leaf("config", "next-hop")
	if applied.Status != string(intent.StateApplied) || n.leaf(t, "r2", nh) != "10.0.0.0" {
		t.Errorf("add_static_route: %s, lab next hop %v", applied.Status, n.leaf(t, "r2", nh))
	}
	// remove_static_route needs the static-route spec's ensure: absent.
	if doc, _ := intent.Schema(intent.KindStaticRoute); strings.Contains(string(doc), `"ensure"`) {
		_, applied = planApply(t, c, "remove_static_route", map[string]any{"devices": []string{"r2"}, "prefix": "10.20.0.0/16"}, "")
		if applied.Status != string(intent.StateApplied) || n.leaf(t, "r2", nh) != nil {
			t.Errorf("remove_static_route: %s, lab next hop %v", applied.Status, n.leaf(t, "r2", nh))
		}
	} else if got := call(t, c, "remove_static_route", map[string]any{"devices": []string{"r2"}, "prefix": "10.20.0.0/16"}, "", nil); !strings.Contains(got, "/ensure") {
		t.Errorf("remove_static_route before the spec has ensure: %q, want a refusal naming /ensure", got)
	}

	_, applied = planApply(t, c, "set_bgp_neighbor", map[string]any{"devices": []string{"r1"}, "address": "10.0.0.1", "peer_as": 65002, "local_as": 65001, "router_id": "1.1.1.1"}, "")
	if applied.Status != string(intent.StateApplied) || n.leaf(t, "r1", yang.NeighborPath("10.0.0.1").Leaf("config", "peer-as")) != uint64(65002) {
		t.Errorf("set_bgp_neighbor: %+v", applied)
	}

	// plan_intent then submit_intent with its token; status; withdraw.
	doc := map[string]any{"id": "mcp-desc", "kind": "interface", "targets": map[string]any{"devices": []string{"r1"}}, "spec": map[string]any{"name": "e1-1", "description": "to r2"}}
	var plan result
	mustCall(t, c, "plan_intent", map[string]any{"intent": doc}, "", &plan)
	if plan.ConfirmationToken == "" || !strings.Contains(plan.Diff, "to r2") {
		t.Fatalf("plan_intent = %+v", plan)
	}
	var sub result
	mustCall(t, c, "submit_intent", map[string]any{"intent": doc, "confirmation_token": plan.ConfirmationToken}, "", &sub)
	if sub.Status != string(intent.StateApplied) || sub.IntentID != "mcp-desc" {
		t.Fatalf("submit_intent = %+v", sub)
	}
	var rec intent.Record
	mustCall(t, c, "intent_status", map[string]any{"id": "mcp-desc"}, "", &rec)
	if rec.State != intent.StateApplied || len(rec.History) < 3 || rec.Source.Channel != "mcp" || rec.Requester != "local-operator" {
		t.Errorf("intent_status = %s history %d source %+v requester %q", rec.State, len(rec.History), rec.Source, rec.Requester)
	}
	wplan, wd := planApply(t, c, "withdraw_intent", map[string]any{"id": "mcp-desc"}, "")
	if !strings.Contains(wplan.Diff, "description") {
		t.Errorf("withdraw plan diff = %q, want the description undone", wplan.Diff)
	}
	rec = *wd.Record
	if rec.State != intent.StateWithdrawn || n.leaf(t, "r1", yang.InterfacePath("e1-1").Leaf("config", "description")) == "to r2" {
		t.Errorf("withdraw_intent: %s, lab description %v", rec.State, n.leaf(t, "r1", yang.InterfacePath("e1-1").Leaf("config", "description")))
	}

	var parsed struct {
		Status string
		Intent *intent.Intent
	}
	mustCall(t, c, "parse_request", map[string]any{"text": "把 r2 的 eth1 接口 MTU 改成 9100"}, "", &parsed)
	if parsed.Status != "confirm" || parsed.Intent == nil || parsed.Intent.Kind != intent.KindInterface {
		t.Errorf("parse_request = %+v", parsed)
	}

	// Resources: inventory, schemas, an intent's record.
	for uri, want := range map[string]string{
		mcp.InventoryURI:              `"r2"`,
		mcp.SchemasURI:                `"static-route"`,
		mcp.SchemasURI + "/interface": `"mtu"`,
		"netagent://intents/mcp-desc": `"withdrawn"`,
	} {
		req := mcpgo.ReadResourceRequest{}
		req.Params.URI = uri
		res, err := c.ReadResource(context.Background(), req)
		if err != nil {
			t.Errorf("read %s: %v", uri, err)
			continue
		}
		if tc, ok := res.Contents[0].(mcpgo.TextResourceContents); !ok || !strings.Contains(tc.Text, want) {
			t.Errorf("read %s: %+v, want %s in it", uri, res.Contents, want)
		}
	}

	// Every call was audited with the principal and the intent it produced.
	n.mu.Lock()
	defer n.mu.Unlock()
	var sawSubmit bool
	for _, e := range n.audits {
		if e.Principal != "local-operator" {
			t.Errorf("audit %s: principal %q", e.Tool, e.Principal)
		}
		if e.Tool == "submit_intent" && e.IntentID == "mcp-desc" && e.Outcome == "submitted" {
			sawSubmit = true
		}
	}
	if !sawSubmit {
		t.Errorf("no audit entry for submit_intent of mcp-desc: %+v", n.audits)
	}
}
