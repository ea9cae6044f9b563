//go:build interop

package mcp_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netagent/netagent/internal/auth"
	"github.com/netagent/netagent/lab/topologies"
	"github.com/netagent/netagent/mcp"
	"github.com/netagent/netagent/yang"
)

// sdkVersion is the MCP TypeScript SDK the interop test drives netagent with.
const sdkVersion = "1.32.2"

// inspectorVersion is the MCP Inspector whose CLI lists netagent's tools.
const inspectorVersion = "2.12.0"

// npmDir installs pkg@version (pinned) into dir under the system temp
// directory once, outside the repository, and returns dir.
func npmDir(t *testing.T, env, name, pkg, version string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("interop: node is not installed: the MCP TypeScript SDK and Inspector run on it (interop never skips)")
	}
	dir := os.Getenv(env)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "netagent-interop", name+"-"+version)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", filepath.FromSlash(pkg), "package.json")); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir, pkg+"@"+version)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm install %s@%s: %v\n%s", pkg, version, err, out)
		}
	}
	return dir
}

// optionalTool reports a tool offered only when its service is wired (the
// embedded agent wires them all, the test harness not).
func optionalTool(name string) bool {
	return name == "query_telemetry" || name == "search_knowledge" || name == "txn_status"
}

func buildNetagent(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "netagent")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/netagent").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestInspectorCLI: the MCP Inspector's CLI starts `netagent mcp`, lists
// the tools with no schema-portability warning (--strict), and calls a read tool.
func TestInspectorCLI(t *testing.T) {
	dir := npmDir(t, "NETAGENT_MCP_INSPECTOR", "mcp-inspector", "@modelcontextprotocol/inspector", inspectorVersion)
	bin := buildNetagent(t)
	data := t.TempDir()
	run := func(args ...string) ([]byte, string) {
		t.Helper()
		full := []string{"--cli"}
		if args[1] == "tools/list" {
			full = append(full, "--strict") // schema portability checks; only for tools/list
		}
		full = append(full, "-e", "NETAGENT_LOG_LEVEL=warn", "-e", "NETAGENT_DATA_DIR="+data, bin, "mcp")
		full = append(full, args...)
		cmd := exec.Command(filepath.Join(dir, "node_modules", ".bin", "inspector"), full...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("inspector %v: %v\n%s\n%s", args, err, out, stderr.String())
		}
		return out, stderr.String()
	}
	out, stderr := run("--method", "tools/list")
	var list struct{ Tools []struct{ Name string } }
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("tools/list: %v\n%s", err, out)
	}
	var names []string
	for _, tl := range list.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	core := slices.DeleteFunc(slices.Clone(names), optionalTool)
	if !slices.Equal(core, wantTools) {
		t.Errorf("inspector tools = %v, want %v (and optionally query_telemetry, search_knowledge, txn_status)", names, wantTools)
	}
	if strings.Contains(stderr, "Warning:") {
		t.Errorf("schema portability warnings:\n%s", stderr)
	}
	out, _ = run("--method", "tools/call", "--tool-name", "get_config", "--tool-arg", "device=r1", "--tool-arg", "path=/interfaces/interface[name=e1-1]/config/mtu")
	if !strings.Contains(string(out), "1500") {
		t.Errorf("inspector get_config: %s", out)
	}
}

// sdkDir installs the SDK (pinned) outside the repository once, or uses
// NETAGENT_MCP_SDK when set, and returns the directory holding node_modules.
func sdkDir(t *testing.T) string {
	t.Helper()
	dir := npmDir(t, "NETAGENT_MCP_SDK", "mcp-sdk", "@modelcontextprotocol/sdk", sdkVersion)
	script, err := os.ReadFile(filepath.Join("testdata", "interop.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "interop.mjs"), script, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type interopOut struct {
	Protocol string
	Tools    []string
	Devices  []string
	Bad      struct {
		IsError bool
		Text    string
	}
	Plan struct {
		Status, Diff string
		Token        bool
	}
	Applied struct {
		Status  string
		IsError bool
	}
	Progress []string
}

func runSDK(t *testing.T, dir string, args ...string) interopOut {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join(dir, "interop.mjs")}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node interop.mjs %v: %v\n%s", args, err, out)
	}
	var res interopOut
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("interop output: %v\n%s", err, out)
	}
	t.Logf("TypeScript SDK %s: %s", sdkVersion, out)
	return res
}

func checkInterop(t *testing.T, res interopOut) {
	t.Helper()
	// The embedded agent also offers the optional telemetry and knowledge
	// tools; a harness without those services does not.
	core := slices.DeleteFunc(slices.Clone(res.Tools), optionalTool)
	if !slices.Equal(core, wantTools) {
		t.Errorf("tools = %v, want %v (and optionally query_telemetry, search_knowledge, txn_status)", res.Tools, wantTools)
	}
	if len(res.Devices) != 2 || !strings.HasPrefix(res.Devices[0], "r1:") {
		t.Errorf("devices = %v", res.Devices)
	}
	if !res.Bad.IsError || !strings.Contains(res.Bad.Text, "/mtu") {
		t.Errorf("bad mtu = %+v", res.Bad)
	}
	if res.Plan.Status != "needs_confirmation" || !res.Plan.Token || !strings.Contains(res.Plan.Diff, "9000") {
		t.Errorf("plan = %+v", res.Plan)
	}
	if res.Applied.Status != "applied" || res.Applied.IsError {
		t.Errorf("applied = %+v", res.Applied)
	}
	if len(res.Progress) < 2 {
		t.Errorf("progress = %q", res.Progress)
	}
}

// TestTypeScriptSDKOverStdio: the SDK starts `netagent mcp` (embedded, on
// the simulated lab), lists tools, reads, is refused bad input, plans and
// applies with the token, and receives progress.
func TestTypeScriptSDKOverStdio(t *testing.T) {
	dir := sdkDir(t)
	bin := buildNetagent(t)
	checkInterop(t, runSDK(t, dir, "stdio", bin, t.TempDir()))
}

// TestTypeScriptSDKOverHTTP: the same over streamable HTTP with a bearer token.
func TestTypeScriptSDKOverHTTP(t *testing.T) {
	dir := sdkDir(t)
	n := startNetwork(t, topologies.TwoNode)
	srv := httpServer(t, n.server(t, nil))
	checkInterop(t, runSDK(t, dir, "http", srv.URL+"/mcp", "writer"))
}

// TestTypeScriptSDKOAuthClientCredentials: the SDK's client-credentials
// provider, given no token, meets /mcp behind the agent's auth layer
// (trusting the test authorisation server's JWKS, audience bound to this
// /mcp): 401 -> Protected Resource Metadata -> authorisation server
// metadata -> token -> retry; it then lists the tools and reads the lab. Its
// read-only grant cannot change anything (403, the lab unchanged).
func TestTypeScriptSDKOAuthClientCredentials(t *testing.T) {
	dir := sdkDir(t)
	n := startNetwork(t, topologies.TwoNode)
	rec := &requestLog{}
	as := startAuthServer(t, rec, map[string]asClient{
		"peer-agent": {secret: "cc-secret", scopes: []auth.Scope{auth.IntentsRead, auth.DevicesRead}},
	})
	srv, _ := jwtAgent(t, n, as, rec)

	cmd := exec.Command("node", filepath.Join(dir, "interop.mjs"), "oauth", srv.URL+mcp.Path, "peer-agent", "cc-secret", as.issuer, "intents:read devices:read")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node interop.mjs oauth: %v\n%s\n%s", err, out, stderr.String())
	}
	t.Logf("TypeScript SDK %s, client credentials: %s", sdkVersion, out)
	var res struct {
		Tools   []string
		Devices []string
		MTU     float64
		Scope   string
		Write   string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("output: %v\n%s", err, out)
	}
	if core := slices.DeleteFunc(slices.Clone(res.Tools), optionalTool); !slices.Equal(core, wantTools) {
		t.Errorf("tools = %v, want %v", res.Tools, wantTools)
	}
	if len(res.Devices) != 2 || res.MTU != 1500 || res.Scope != "intents:read devices:read" {
		t.Errorf("devices %v, mtu %v, scope %q", res.Devices, res.MTU, res.Scope)
	}
	if !strings.HasPrefix(res.Write, "refused") {
		t.Errorf("read-only client's write: %s", res.Write)
	}
	if v := n.leaf(t, "r1", yang.InterfacePath("e1-1").Leaf("config", "mtu")); v != uint64(1500) {
		t.Errorf("lab mtu = %v after a read-only client's write", v)
	}

	// The discovery, in order: the first POST is refused, the client reads
	// the resource metadata, then the authorisation server's, gets a
	// token, and its retry is served.
	lines := rec.all()
	t.Logf("requests: %q", lines)
	want := []string{"POST /mcp 401", "GET " + mcp.MetadataPath + " 200", "GET /.well-known/oauth-authorization-server/as 200", "POST /as/token 200", "POST /mcp 200"}
	i := 0
	for _, l := range lines {
		if i < len(want) && l == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("requests %q\ndo not hold %q in order (missing from %q)", lines, want, want[i])
	}
	if slices.Contains(lines, "GET /as/authorize 200") {
		t.Errorf("the client-credentials flow went to the authorization endpoint: %q", lines)
	}
}
