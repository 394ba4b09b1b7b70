// /mcp: the MCP server over Streamable HTTP (stateless), behind the same keys, limits and body checks as /v1.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { LoreContext } from "@lore/core";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { AppEnv } from "../env";
import { createLoreMcpServer } from "../mcp/lore-mcp-server";
import { problemResponse } from "../problem";
import { jsonProblem } from "../text-hygiene";

export interface McpRouteOptions {
  conversationTtlMs?: number | undefined;
}

export function mcpRoutes(
  context: LoreContext,
  options: McpRouteOptions = {},
): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.all("/mcp", async (c) => {
    // Parsed here so text hygiene applies as on /v1; a body that is not JSON is the transport's to refuse.
    const parsedBody: unknown =
      c.req.method === "POST" ? await c.req.json().catch(() => undefined) : undefined;
    const problem = parsedBody === undefined ? undefined : jsonProblem(parsedBody);
    if (problem) return problemResponse(c, "invalid_request", problem);
    // Stateless: a server per request, built for this key, so its tools follow the key's scopes.
    const principal = c.get("principal");
    const server = createLoreMcpServer(context, {
      ...(principal ? { principal } : {}),
      conversationTtlMs: options.conversationTtlMs,
    });
    // No sessionIdGenerator: stateless. JSON responses: each is complete when handleRequest returns.
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(
        c.req.raw,
        parsedBody === undefined ? {} : { parsedBody },
      );
    } finally {
      await server.close();
    }
  });
  return app;
}
