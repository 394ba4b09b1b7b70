// Lore's HTTP API as a Hono app, built from a LoreContext by the caller's composition root.

export type { AppOptions } from "./app";
export { createApp, DEFAULT_MAX_BODY_BYTES } from "./app";
export type { AppEnv } from "./env";
export { createLoreMcpServer, type LoreMcpOptions, McpAskRequest } from "./mcp/lore-mcp-server";
export type { RunningServer } from "./serve";
export { serveApp } from "./serve";
