// Drives netagent's MCP server with the MCP TypeScript SDK, a client nobody
// on the project wrote. Usage: node interop.mjs stdio <netagent> <data-dir>
//                          or: node interop.mjs http <url> <bearer-token>
// Prints one JSON summary line on stdout.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [mode, a, b] = process.argv.slice(2);
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
