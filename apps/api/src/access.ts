// Authentication, authorisation and per-key limits for /v1 routes, decided from method and path.
import {
  authenticate,
  authorize,
  checkTokenQuota,
  consumeRateLimit,
  type LoreContext,
  LoreError,
  type Scope,
} from "@lore/core";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env";

interface Requirement {
  scope?: Scope;
  /** Where the collection named by the request is found, when the route acts on one. */
  collectionFrom?: "body" | "path";
}

// Route → what a key needs. Listing collections needs only a valid key (the list is filtered).
function requirementFor(method: string, path: string): Requirement {
  if (path === "/v1/ask" || path === "/v1/feedback")
    return { scope: "ask", collectionFrom: "body" };
  if (path === "/v1/search") return { scope: "search", collectionFrom: "body" };
  if (path.startsWith("/v1/ingest-jobs")) {
    return method === "POST" ? { scope: "ingest", collectionFrom: "body" } : { scope: "ingest" };
  }
  if (/^\/v1\/collections\/[^/]+\/documents$/.test(path)) {
    return { scope: "ingest", collectionFrom: "path" };
  }
  if (path.startsWith("/v1/keys")) return { scope: "admin" };
  return {};
}

export function accessControl(context: LoreContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const principal = token ? await authenticate(context.db, token) : undefined;
    if (!principal) {
      throw new LoreError(
        "unauthorized",
        token
          ? "The API key is not valid."
          : "An API key is required: send Authorization: Bearer <key>.",
      );
    }
    c.set("principal", principal);
    const requirement = requirementFor(c.req.method, c.req.path);
    if (requirement.scope) {
      authorize(principal, requirement.scope, await requestedCollection(c, requirement));
    }
    await consumeRateLimit(context.db, principal);
    if (c.req.path === "/v1/ask") await checkTokenQuota(context.db, principal);
    await next();
  };
}

async function requestedCollection(
  c: Parameters<MiddlewareHandler<AppEnv>>[0],
  requirement: Requirement,
): Promise<string | undefined> {
  if (requirement.collectionFrom === "path") {
    return decodeURIComponent(c.req.path.split("/")[3] ?? "");
  }
  if (requirement.collectionFrom !== "body" || c.req.path === "/v1/feedback") return undefined;
  // Hono caches the parsed body, so the route's validator reads it again for free; a body that
  // does not parse is left for the validator to reject with a 400.
  const body: unknown = await c.req.json().catch(() => undefined);
  if (typeof body !== "object" || body === null) return undefined;
  const collection = (body as { collection?: unknown }).collection;
  return typeof collection === "string" ? collection : "default";
}
