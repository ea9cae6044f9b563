package mcp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/mcp"
	"github.com/netagent/netagent/yang"
)

func post(t *testing.T, url, token, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestStreamableHTTP: 401 with the metadata URL without a principal, the
// RFC 9728 document, 403 insufficient_scope for a read-only principal's
// write (and nothing changes on the lab), and a writer's plan then apply
// over streamable HTTP.
func TestStreamableHTTP(t *testing.T) {
	n := startNetwork(t, topologies.TwoNode)
	srv := httpServer(t, n.server(t, nil))
	endpoint := srv.URL + mcp.Path
	initBody := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

	resp := post(t, endpoint, "", initBody)
	wantMeta := srv.URL + mcp.MetadataPath
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != fmt.Sprintf(`Bearer resource_metadata=%q`, wantMeta) {
		t.Errorf("no token: %d %q, want 401 pointing at %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), wantMeta)
	}
	if resp := post(t, endpoint, "unknown-token", initBody); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown token: %d, want 401", resp.StatusCode)
	}
	// No standalone SSE stream: a call's progress stays on its POST's stream.
	greq, _ := http.NewRequest("GET", endpoint, nil)
	greq.Header.Set("Authorization", "Bearer reader")
	greq.Header.Set("Accept", "text/event-stream")
	gresp, err := noRedirects.Do(greq)
	if err != nil {
		t.Fatal(err)
	}
	gresp.Body.Close()
	if gresp.StatusCode != http.StatusMethodNotAllowed || gresp.Header.Get("Allow") != "POST, DELETE" {
		t.Errorf("GET %s: %d Allow %q, want 405 (no standalone stream)", mcp.Path, gresp.StatusCode, gresp.Header.Get("Allow"))
	}
	mresp, err := noRedirects.Get(wantMeta)
	if err != nil {
		t.Fatal(err)
	}
	var meta mcp.ResourceMetadata
	if err := json.NewDecoder(mresp.Body).Decode(&meta); err != nil || meta.Resource != endpoint || !slices.Contains(meta.ScopesSupported, "intents:write") {
		t.Errorf("metadata: %v %+v", err, meta)
	}
	mresp.Body.Close()

	// A read-only principal lists and reads, but cannot change.
	rc := httpClient(t, srv, "reader")
	checkTools(t, rc)
	var devs struct{ Devices []mcp.DeviceStatus }
	mustCall(t, rc, "list_devices", nil, "", &devs)
	if len(devs.Devices) != 2 {
		t.Errorf("reader list_devices: %+v", devs)
	}
	var plan result
	mustCall(t, rc, "plan_intent", map[string]any{"intent": map[string]any{"kind": "interface", "targets": map[string]any{"devices": []string{"r1"}},
		"spec": map[string]any{"name": "e1-1", "mtu": 9000}}}, "", &plan)
	if plan.ConfirmationToken == "" {
		t.Errorf("reader plan_intent: %+v", plan)
	}
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"set_interface","arguments":{"devices":["r1"],"name":"e1-1","mtu":9000}}}`
	resp = post(t, endpoint, "reader", call)
	if wa := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusForbidden || !strings.Contains(wa, `error="insufficient_scope"`) || !strings.Contains(wa, `scope="intents:write"`) {
		t.Errorf("reader's write: %d %q, want 403 insufficient_scope naming intents:write", resp.StatusCode, wa)
	}
	mtu := yang.InterfacePath("e1-1").Leaf("config", "mtu")
	if v := n.leaf(t, "r1", mtu); v != uint64(1500) {
		t.Errorf("lab mtu after the refused write = %v", v)
	}

	// The writer plans, then applies with the token; progress arrives on the POST's stream.
	wc := httpClient(t, srv, "writer")
	prog := watchProgress(wc)
	_, applied := planApply(t, wc, "set_interface", map[string]any{"devices": []string{"r1"}, "name": "e1-1", "mtu": 9000}, "http-1")
	if applied.Status != string(intent.StateApplied) || n.leaf(t, "r1", mtu) != uint64(9000) {
		t.Errorf("writer set_interface: %+v, lab %v", applied, n.leaf(t, "r1", mtu))
	}
	if msgs := prog.messagesUntil("http-1", ": applied:"); len(msgs) < 2 {
		t.Errorf("progress over HTTP = %q", msgs)
	}
	if applied.Record == nil || applied.Record.Requester != "ops-bot for alice" {
		t.Errorf("requester = %+v, want the agent and on whose behalf", applied.Record)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	last := n.audits[len(n.audits)-1]
	if last.Principal != "ops-bot" || last.OnBehalfOf != "alice" || last.Tool != "set_interface" || last.IntentID != applied.IntentID {
		t.Errorf("audit = %+v", last)
	}
}

// TestProgressLeafSpine changes both spines of the leaf-spine fabric in one
// intent over streamable HTTP and checks the client saw every lifecycle
// step of it as progress notifications, in order.
func TestProgressLeafSpine(t *testing.T) {
	n := startNetwork(t, topologies.LeafSpine)
	srv := httpServer(t, n.server(t, nil))
	c := httpClient(t, srv, "writer")
	prog := watchProgress(c)
	_, applied := planApply(t, c, "set_interface", map[string]any{"selector": map[string]string{"role": "spine"}, "name": "e1-1", "mtu": 9000}, "fabric")
	if applied.Status != string(intent.StateApplied) {
		t.Fatalf("fabric change: %+v", applied)
	}
	for _, d := range []string{"spine1", "spine2"} {
		if v := n.leaf(t, d, yang.InterfacePath("e1-1").Leaf("config", "mtu")); v != uint64(9000) {
			t.Errorf("%s mtu = %v", d, v)
		}
	}
	msgs := prog.messagesUntil("fabric", ": applied:")
	var states []string
	for _, m := range msgs {
		for _, st := range []intent.State{intent.StateAccepted, intent.StatePlanned, intent.StateApplying, intent.StateApplied} {
			if strings.Contains(m, ": "+string(st)+":") {
				states = append(states, string(st))
			}
		}
	}
	if !slices.Equal(states, []string{"accepted", "planned", "applying", "applied"}) {
		t.Errorf("progress steps = %q\nmessages %q", states, msgs)
	}
	t.Logf("progress notifications for a 2-device change: %d: %q", len(msgs), msgs)
}

// TestProgressPerDevice changes both spines of the leaf-spine fabric in one
// intent over streamable HTTP and stdio, run by the device executor and by
// the two-phase-commit coordinator, and checks that each device's steps
// reached the client as progress notifications, in order, between the
// change's start and end markers, before the call's answer.
func TestProgressPerDevice(t *testing.T) {
	executor := []string{"configuring", "configured"}
	twoPhase := []string{"prepared", "committed", "verified", "confirmed"}
	for _, tc := range []struct {
		name  string
		txn   bool
		stdio bool
		steps []string
	}{
		{"device executor over HTTP", false, false, executor},
		{"transaction over HTTP", true, false, twoPhase},
		{"device executor over stdio", false, true, executor},
		{"transaction over stdio", true, true, twoPhase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startNetworkWith(t, topologies.LeafSpine, tc.txn)
			var c *client.Client
			if tc.stdio {
				c = stdioClient(t, n.server(t, func(c *mcp.Config) { c.Local = &local }))
			} else {
				c = httpClient(t, httpServer(t, n.server(t, nil)), "writer")
			}
			prog := watchProgress(c)
			_, applied := planApply(t, c, "set_interface", map[string]any{"selector": map[string]string{"role": "spine"}, "name": "e1-1", "mtu": 9000}, "fabric")
			// Taken as the answer arrives: every step must be there already.
			msgs := prog.messages("fabric")
			if applied.Status != string(intent.StateApplied) {
				t.Fatalf("fabric change: %+v", applied)
			}
			begin, end := -1, -1
			for i, m := range msgs {
				if strings.Contains(m, ": change started") && begin < 0 {
					begin = i
				}
				if strings.Contains(m, ": change ended") {
					end = i
				}
			}
			if begin < 0 || end < begin {
				t.Fatalf("no change start/end markers in order: %q", msgs)
			}
			for _, d := range []string{"spine1", "spine2"} {
				var got []string
				for i, m := range msgs {
					_, rest, ok := strings.Cut(m, ": device "+d+": ")
					if !ok {
						continue
					}
					if i < begin || i > end {
						t.Errorf("%s step %q outside the change's markers", d, m)
					}
					step, _, _ := strings.Cut(rest, " ")
					got = append(got, strings.TrimSuffix(step, ":"))
				}
				if !slices.Equal(got, tc.steps) {
					t.Errorf("%s steps = %q, want %q\nmessages %q", d, got, tc.steps, msgs)
				}
				if v := n.leaf(t, d, yang.InterfacePath("e1-1").Leaf("config", "mtu")); v != uint64(9000) {
					t.Errorf("%s mtu = %v", d, v)
				}
			}
			if !strings.Contains(strings.Join(msgs, "\n"), ": applied:") {
				t.Errorf("no applied step before the answer: %q", msgs)
			}
			t.Logf("%d progress notifications: %q", len(msgs), msgs)
		})
	}
}
