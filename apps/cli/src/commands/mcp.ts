// `lore mcp`: the MCP server over stdio for a local agent, with every tool (trusted like the rest of the CLI).
import { createLoreMcpServer } from "@lore/api";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Command } from "commander";
import { resolveConfig } from "../command-input";
import { openRuntime } from "../runtime";

export async function runMcp(_options: unknown, command: Command): Promise<void> {
  const config = resolveConfig(command);
  const runtime = await openRuntime(config);
  const server = createLoreMcpServer(runtime.context, {
    conversationTtlMs: config.conversationTtlMs,
  });
  // stdout carries the protocol; nothing else may be written to it.
  const transport = new StdioServerTransport();
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await server.close();
    await runtime.close();
  };
  transport.onclose = () => void close();
  process.stdin.once("end", () => void close());
  process.once("SIGINT", () => void close());
  process.once("SIGTERM", () => void close());
  await server.connect(transport);
  process.stderr.write(`lore mcp: serving over stdio (${config.mode} mode)\n`);
}
