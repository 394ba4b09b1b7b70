// Lore as a Model Context Protocol server: search, ask and list_collections tools and each collection as a resource.

import {
  AskRequest,
  AskResponse,
  addMessage,
  authorize,
  CollectionsResponse,
  ConversationId,
  type LoreContext,
  listCollections,
  type Principal,
  prepareAsk,
  SearchRequest,
  SearchResponse,
  search,
} from "@lore/core";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { prepareWithQuota } from "../routes/answer-response";

/** The ask tool's input: /v1/ask's question and options, and a conversation to continue. */
export const McpAskRequest = AskRequest.pick({
  question: true,
  collection: true,
  topK: true,
  filters: true,
})
  .extend({
    conversationId: ConversationId.optional().describe(
      "Continue a conversation made with POST /v1/conversations: the question is a follow-up.",
    ),
  })
  .strict();

export interface LoreMcpOptions {
  /** The caller's API key; undefined with auth off or over stdio (trusted like the CLI). */
  principal?: Principal;
  /** How long a continued conversation lives after this message (LORE_CONVERSATION_TTL_MS). */
  conversationTtlMs?: number | undefined;
  version?: string;
}

/**
 * One server per caller: a tool the key's scopes do not allow is not registered, so it is not
 * listed either; collections are checked per call, as the HTTP routes check them.
 */
export function createLoreMcpServer(context: LoreContext, options: LoreMcpOptions = {}): McpServer {
  const { principal } = options;
  const server = new McpServer({ name: "lore", version: options.version ?? "0.1.0" });
  const may = (scope: "ask" | "search") =>
    !principal || principal.scopes.includes(scope) || principal.scopes.includes("admin");
  const allow = (scope: "ask" | "search", collection: string) => {
    if (principal) authorize(principal, scope, collection);
  };
  const visible = async () => {
    const rows = await listCollections(context);
    const allowed = principal?.collections;
    return rows
      .filter((row) => !allowed || allowed.includes(row.name))
      .map(({ id: _id, ...collection }) => collection);
  };

  if (may("search")) {
    server.registerTool(
      "search",
      {
        title: "Search documents",
        description:
          "Hybrid (vector + full-text) search over a Lore collection: the best-matching chunks, each with its source file, heading and line range.",
        inputSchema: SearchRequest,
        outputSchema: SearchResponse,
      },
      async (input, extra) => {
        const request = SearchRequest.parse(input);
        allow("search", request.collection);
        const result = await search(context, request, { signal: extra.signal });
        return {
          content: [{ type: "text", text: JSON.stringify(result) }],
          structuredContent: result,
        };
      },
    );
  }

  if (may("ask")) {
    server.registerTool(
      "ask",
      {
        title: "Ask a question",
        description:
          "Answer a question from a Lore collection's documents. Every claim cites its sources as [n]; `citations` gives each source's file, heading, line range and quoted snippet. Says so when the documents do not answer.",
        inputSchema: McpAskRequest,
        outputSchema: AskResponse,
      },
      async (input, extra) => {
        const { conversationId, ...fields } = McpAskRequest.parse(input);
        const askOptions = { keyId: principal?.keyId ?? null, signal: extra.signal };
        const turn = conversationId
          ? await addMessage(context, {
              ...fields,
              id: conversationId,
              keyId: principal?.keyId ?? null,
              ...(options.conversationTtlMs === undefined
                ? {}
                : { ttlMs: options.conversationTtlMs }),
            })
          : { request: fields, prepare: undefined };
        const request = turn.request;
        allow("ask", request.collection);
        const prepared = await prepareWithQuota(
          context,
          principal,
          request,
          turn.prepare ?? ((prepareOptions) => prepareAsk(context, request, prepareOptions)),
          askOptions,
        );
        const response = await prepared.answer();
        return {
          content: [{ type: "text", text: JSON.stringify(response) }],
          structuredContent: response,
        };
      },
    );
  }

  server.registerTool(
    "list_collections",
    {
      title: "List collections",
      description: "The collections this key may use, with their document and chunk counts.",
      outputSchema: CollectionsResponse,
    },
    async () => {
      const result = { collections: await visible() };
      return {
        content: [{ type: "text", text: JSON.stringify(result) }],
        structuredContent: result,
      };
    },
  );

  server.registerResource(
    "collection",
    new ResourceTemplate("lore://collections/{name}", {
      list: async () => ({
        resources: (await visible()).map((collection) => ({
          uri: `lore://collections/${collection.name}`,
          name: collection.name,
          description: `${collection.documents} documents, ${collection.chunks} chunks`,
          mimeType: "application/json",
        })),
      }),
    }),
    { title: "Collection", description: "A Lore collection: its counts and embedding model." },
    async (uri, variables) => {
      const collection = (await visible()).find((row) => row.name === variables.name);
      if (!collection) throw new Error(`No collection "${String(variables.name)}".`);
      return {
        contents: [
          { uri: uri.href, mimeType: "application/json", text: JSON.stringify(collection) },
        ],
      };
    },
  );
  return server;
}
