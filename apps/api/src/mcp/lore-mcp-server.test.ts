// The MCP server over Streamable HTTP, driven by the official SDK client: tools per scope, same citations as HTTP.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AskResponse,
  Conversation,
  createApiKey,
  ingestFolder,
  type LoreContext,
  SearchResponse,
} from "@lore/core";
import type { Database } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";
import { type RunningServer, serveApp } from "../serve";

const DOCS: Record<string, string> = {
  "deploy.md":
    "# Deploy guide\n\n## Rolling back\n\nTo roll back a bad release, run `kubectl argo rollouts undo ledger-api`.\n",
  "leave.md":
    "# Holidays and Leave\n\n## Paid time off\n\nFull-time employees get 25 days of PTO per calendar year.\n",
};

describe("MCP server at /mcp", () => {
  let database: Database;
  let context: LoreContext;
  let server: RunningServer;
  let docs: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    docs = await mkdtemp(join(tmpdir(), "lore-mcp-"));
    for (const [name, content] of Object.entries(DOCS)) await writeFile(join(docs, name), content);
    database = await createTestDatabase();
    context = { db: database.db, embedder: createLocalEmbedder() };
    await ingestFolder(context, docs, { collection: "default" });
    await ingestFolder(context, docs, { collection: "other" });
    server = await serveApp(
      createApp({ context, logger: pino({ level: "silent" }), auth: "required" }),
      { port: 0, host: "127.0.0.1" },
    );
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await server?.close();
    await database?.close();
    if (docs) await rm(docs, { recursive: true, force: true });
  });

  async function connect(key: string): Promise<Client> {
    const client = new Client({ name: "lore-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    clients.push(client);
    return client;
  }

  async function key(name: string, scopes: ("ask" | "search")[], collections?: string[]) {
    return (
      await createApiKey(context, {
        name,
        scopes,
        ...(collections ? { collections } : {}),
      })
    ).key;
  }

  async function http(path: string, body: unknown, bearer: string, status = 200): Promise<unknown> {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(status);
    return response.json();
  }

  it("lists the tools a key's scopes allow: no search tool without the search scope", async () => {
    const full = await connect(await key("mcp-full", ["ask", "search"]));
    const names = (await full.listTools()).tools.map((tool) => tool.name).sort();
    expect(names).toEqual(["ask", "list_collections", "search"]);
    const search = (await full.listTools()).tools.find((tool) => tool.name === "search");
    // The schema is /v1/search's own.
    expect(Object.keys(search?.inputSchema.properties ?? {}).sort()).toEqual([
      "collection",
      "filters",
      "query",
      "topK",
    ]);
    const askOnly = await connect(await key("mcp-ask", ["ask"]));
    expect((await askOnly.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      "ask",
      "list_collections",
    ]);
    const refused = await askOnly.callTool({ name: "search", arguments: { query: "rollback" } });
    expect(refused.isError).toBe(true);
  });

  it("answers search and ask with the same results and citations as the HTTP API", async () => {
    const bearer = await key("mcp-same", ["ask", "search"]);
    const client = await connect(bearer);
    const searched = await client.callTool({
      name: "search",
      arguments: { query: "roll back a bad release", topK: 3 },
    });
    expect(searched.isError).toBeFalsy();
    const viaHttp = SearchResponse.parse(
      await http("/v1/search", { query: "roll back a bad release", topK: 3 }, bearer),
    );
    expect(SearchResponse.parse(searched.structuredContent)).toEqual(viaHttp);
    expect(viaHttp.results[0]?.source).toBe("deploy.md");

    const question = "How do I roll back a bad release?";
    const asked = AskResponse.parse(
      (await client.callTool({ name: "ask", arguments: { question } })).structuredContent,
    );
    const askedHttp = AskResponse.parse(await http("/v1/ask", { question }, bearer));
    expect(asked.answer).toBe(askedHttp.answer);
    expect(asked.citations).toEqual(askedHttp.citations);
    expect(asked.citations[0]?.source).toBe("deploy.md");
    // Logged like any answer, under the key that asked.
    const logged = await fetch(`${server.url}/v1/feedback`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ queryId: asked.queryId, rating: "up" }),
    });
    expect(logged.status).toBe(201);
  });

  it("keeps a collection-limited key to its collections, in tools and resources", async () => {
    const client = await connect(await key("mcp-limited", ["ask", "search"], ["other"]));
    const listed = await client.callTool({ name: "list_collections", arguments: {} });
    expect(
      (listed.structuredContent as { collections: { name: string }[] }).collections.map(
        (collection) => collection.name,
      ),
    ).toEqual(["other"]);
    const resources = await client.listResources();
    expect(resources.resources.map((resource) => resource.uri)).toEqual([
      "lore://collections/other",
    ]);
    const read = await client.readResource({ uri: "lore://collections/other" });
    const content = read.contents[0];
    expect(JSON.parse(content && "text" in content ? content.text : "null")).toMatchObject({
      name: "other",
      documents: 2,
    });
    const refused = await client.callTool({
      name: "ask",
      arguments: { question: "How many PTO days?", collection: "default" },
    });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('may not use collection \\"default\\"');
  });

  it("continues a conversation the key made, and no other key's", async () => {
    const bearer = await key("mcp-conversation", ["ask"]);
    const client = await connect(bearer);
    const { id } = Conversation.parse(await http("/v1/conversations", {}, bearer, 201));
    const first = await client.callTool({
      name: "ask",
      arguments: { question: "How do I roll back a bad release?", conversationId: id },
    });
    expect(AskResponse.parse(first.structuredContent).citations[0]?.source).toBe("deploy.md");
    const stored = await fetch(`${server.url}/v1/conversations/${id}`, {
      headers: { authorization: `Bearer ${bearer}` },
    });
    expect(Conversation.parse(await stored.json()).messages.map((message) => message.role)).toEqual(
      ["user", "assistant"],
    );
    const other = await connect(await key("mcp-conversation-other", ["ask"]));
    const refused = await other.callTool({
      name: "ask",
      arguments: { question: "and then?", conversationId: id },
    });
    expect(refused.isError).toBe(true);
  });

  it("refuses a request without a valid key, as /v1 does", async () => {
    const response = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(401);
  });
});
