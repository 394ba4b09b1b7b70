// `lore mcp` over stdio, driven by the official MCP SDK client as a local agent would run it.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { AskResponse, ingestFolder, SearchResponse } from "@lore/core";
import { createTestDatabase, serveOverWire } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LORE_BIN } from "./cli-testing";

describe("lore mcp (stdio)", () => {
  let folder: string;
  let client: Client | undefined;
  let env: Record<string, string>;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "lore-mcp-docs-"));
    await writeFile(
      path.join(folder, "kitchen.md"),
      "# Kitchen rules\n\n## Dishwasher\n\nThe dishwasher runs every evening at 19:30.\n",
    );
    // Server mode over the wire: the documents are loaded here, and one process is spawned.
    const database = await createTestDatabase();
    cleanups.push(() => database.close());
    await ingestFolder({ db: database.db, embedder: createLocalEmbedder() }, folder, {
      collection: "default",
    });
    const wire = await serveOverWire(database);
    cleanups.push(wire.stop);
    env = Object.fromEntries(
      Object.entries({ ...process.env, DATABASE_URL: wire.url, LORE_LOG_LEVEL: "warn" }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
  });
  afterAll(async () => {
    await client?.close();
    await rm(folder, { recursive: true, force: true });
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("lists every tool and answers search and ask with citations", async () => {
    client = new Client({ name: "lore-stdio-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [LORE_BIN, "mcp"], env }),
    );
    const tools = (await client.listTools()).tools.map((tool) => tool.name).sort();
    expect(tools).toEqual(["ask", "list_collections", "search"]);
    const searched = await client.callTool({
      name: "search",
      arguments: { query: "dishwasher" },
    });
    expect(SearchResponse.parse(searched.structuredContent).results[0]?.source).toBe("kitchen.md");
    const asked = await client.callTool({
      name: "ask",
      arguments: { question: "When does the dishwasher run?" },
    });
    const answer = AskResponse.parse(asked.structuredContent);
    expect(answer.answer).toContain("19:30");
    expect(answer.citations[0]?.source).toBe("kitchen.md");
  }, 120_000);
});
