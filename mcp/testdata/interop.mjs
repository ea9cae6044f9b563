// Drives netagent's MCP server with the MCP TypeScript SDK, a client nobody
// on the project wrote. Usage: node interop.mjs stdio <netagent> <data-dir>
//                          or: node interop.mjs http <url> <bearer-token>
//                          or: node interop.mjs oauth <url> <client-id> <client-secret> <issuer> <scope>
// Prints one JSON summary line on stdout.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ClientCredentialsProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";

const [mode, a, b, c, d, e] = process.argv.slice(2);

if (mode === "oauth") {
  // No token up front: the SDK's client-credentials provider answers the
  // 401 by discovering the metadata and getting a token, then retries.
  const provider = new ClientCredentialsProvider({ clientId: b, clientSecret: c, expectedIssuer: d, scope: e });
  const client = new Client({ name: "netagent-interop-oauth", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(a), { authProvider: provider }));
  const out = { protocol: client.getServerVersion()?.name };
  out.tools = (await client.listTools()).tools.map(t => t.name).sort();
  const devices = await client.callTool({ name: "list_devices", arguments: {} });
  out.devices = devices.structuredContent.devices.map(d => d.name + ":" + d.active);
  const cfg = await client.callTool({ name: "get_config", arguments: { device: "r1", path: "/interfaces/interface[name=e1-1]/config/mtu" } });
  out.mtu = cfg.structuredContent.leaves[0].value;
  out.scope = provider.tokens()?.scope;
  // A write needs a scope this client is not granted: refused.
  try {
    await client.callTool({ name: "set_interface", arguments: { devices: ["r1"], name: "e1-1", mtu: 9000 } });
    out.write = "accepted";
  } catch (err) {
    out.write = "refused: " + err.message;
  }
  await client.close();
  console.log(JSON.stringify(out));
  process.exit(0);
}

const transport = mode === "stdio"
  ? new StdioClientTransport({ command: a, args: ["mcp", "--log-level", "warn"], env: { ...process.env, NETAGENT_DATA_DIR: b }, stderr: "inherit" })
  : new StreamableHTTPClientTransport(new URL(a), { requestInit: { headers: { Authorization: "Bearer " + b } } });
const client = new Client({ name: "netagent-interop", version: "1.0.0" });
await client.connect(transport);
const out = { protocol: client.getServerVersion()?.name };
out.tools = (await client.listTools()).tools.map(t => t.name).sort();
const devices = await client.callTool({ name: "list_devices", arguments: {} });
out.devices = devices.structuredContent.devices.map(d => d.name + ":" + d.active);
const bad = await client.callTool({ name: "set_interface", arguments: { devices: ["r1"], name: "e1-1", mtu: 10 } });
out.bad = { isError: bad.isError, text: bad.content[0].text };
const args = { devices: ["r1"], name: "e1-1", mtu: 9000 };
const plan = await client.callTool({ name: "set_interface", arguments: args });
out.plan = { status: plan.structuredContent.status, diff: plan.structuredContent.diff, token: !!plan.structuredContent.confirmation_token };
const progress = [];
const applied = await client.callTool({ name: "set_interface", arguments: { ...args, confirmation_token: plan.structuredContent.confirmation_token } },
  undefined, { onprogress: p => progress.push(p.message), timeout: 60000 });
out.applied = { status: applied.structuredContent.status, isError: !!applied.isError };
out.progress = progress;
await client.close();
console.log(JSON.stringify(out));
