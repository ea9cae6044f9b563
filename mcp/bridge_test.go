package mcp_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/netagent/netagent/intent"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/mcp"
	"github.com/netagent/netagent/yang"
)

func bridgeClient(t *testing.T, url, token string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- (&mcp.Bridge{URL: url, Token: token}).Run(ctx, inR, outW)
		outW.Close()
	}()
	c := client.NewClient(transport.NewIO(outR, inW, io.NopCloser(strings.NewReader(""))))
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	initialize(t, c)
	t.Cleanup(func() {
		inW.Close()
		if err := <-done; err != nil {
			t.Errorf("bridge: %v", err)
		}
		cancel()
		c.Close()
	})
	return c
}

// TestBridge drives a running agent's /mcp through `netagent mcp --url`'s
// bridge: reads, plan then apply with progress, and a read-only token's
// write refused with the 403 named.
func TestBridge(t *testing.T) {
	n := startNetwork(t, topologies.TwoNode)
	srv := httpServer(t, n.server(t, nil))
	c := bridgeClient(t, srv.URL+mcp.Path, "writer")
	checkTools(t, c)
	prog := watchProgress(c)
	_, applied := planApply(t, c, "set_interface", map[string]any{"devices": []string{"r2"}, "name": "eth1", "description": "via the bridge"}, "via-bridge")
	if applied.Status != string(intent.StateApplied) || n.leaf(t, "r2", yang.InterfacePath("eth1").Leaf("config", "description")) != "via the bridge" {
		t.Errorf("through the bridge: %+v", applied)
	}
	if msgs := prog.messagesUntil("via-bridge", ": applied:"); len(msgs) < 2 {
		t.Errorf("progress through the bridge = %q", msgs)
	}

	ro := bridgeClient(t, srv.URL+mcp.Path, "reader")
	req := mcpgo.CallToolRequest{}
	req.Params.Name = "set_interface"
	req.Params.Arguments = map[string]any{"devices": []string{"r1"}, "name": "e1-1", "mtu": 9000}
	if _, err := ro.CallTool(context.Background(), req); err == nil || !strings.Contains(err.Error(), "insufficient_scope") {
		t.Errorf("read-only write through the bridge: %v", err)
	}
}
