package agent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/internal/config"
	"github.com/netagent/netagent/lab"
	"github.com/netagent/netagent/lab/topo"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/mcp"
)

func labConfig(t *testing.T) config.Config {
	t.Helper()
	tp, err := topo.Parse(topologies.TwoNode)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l, err := lab.Start(context.Background(), tp, lab.Options{Dir: filepath.Join(dir, "lab"), NoAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Inventory = l.InventoryPath()
	return cfg
}

// TestMCPMounted: the agent mounts /mcp (intents:read, the tools check
// their own scopes) and its Protected Resource Metadata (public), and /mcp
// answers 401 pointing at the metadata when no principal was established.
func TestMCPMounted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, err := New(ctx, labConfig(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	scopes := map[string]auth.Scope{}
	for _, rt := range a.Routes() {
		scopes[rt.Pattern] = rt.Scope
	}
	if s, ok := scopes["POST "+mcp.Path]; !ok || s != auth.IntentsRead {
		t.Errorf("POST /mcp scope %q mounted %v", s, ok)
	}
	if s, ok := scopes["GET "+mcp.MetadataPath]; !ok || s != auth.Public {
		t.Errorf("metadata route scope %q mounted %v", s, ok)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	addr, err := a.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + mcp.MetadataPath)
	if err != nil {
		t.Fatal(err)
	}
	var meta mcp.ResourceMetadata
	err = json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if err != nil || meta.Resource != "http://"+addr+mcp.Path {
		t.Errorf("metadata: %v %+v", err, meta)
	}
	resp, err = http.Post("http://"+addr+mcp.Path, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "resource_metadata=") {
		t.Errorf("POST /mcp without a principal: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// TestServeMCP runs the agent embedded behind stdio, as `netagent mcp`
// does: a client lists the devices as the local operator, and closing
// stdin stops the agent cleanly and keeps the token key in the data dir.
func TestServeMCP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := labConfig(t)
	a, err := New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- a.ServeMCP(ctx, inR, outW); outW.Close() }()
	c := client.NewClient(transport.NewIO(outR, inW, io.NopCloser(strings.NewReader(""))))
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcpgo.InitializeRequest{}
	init.Params.ProtocolVersion = mcpgo.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcpgo.Implementation{Name: "t", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	req := mcpgo.CallToolRequest{}
	req.Params.Name = "list_devices"
	res, err := c.CallTool(ctx, req)
	if err != nil || res.IsError {
		t.Fatalf("list_devices: %v %+v", err, res)
	}
	inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeMCP: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("ServeMCP did not return after stdin closed")
	}
	c.Close()
	if fi, err := os.Stat(filepath.Join(cfg.DataDir, mcpKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token key file: %v %v", err, fi)
	}
}
