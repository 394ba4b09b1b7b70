// CORS for publishable keys (the <lore-ask> widget): only origins a key lists get CORS headers, and only for that key.
import { isAllowedOrigin, type LoreContext, LoreError } from "@lore/core";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env";

const ALLOW_HEADERS = "authorization, content-type, accept";
const EXPOSE_HEADERS = "x-request-id, retry-after";

/**
 * Before authentication: a preflight carries no key, so it is answered with CORS headers when
 * some active key lists the origin, and without any (the browser then refuses) otherwise.
 * Origins in LORE_CORS_ORIGINS are left to the static CORS middleware.
 */
export function keyOriginPreflight(
  context: LoreContext,
  staticOrigins: readonly string[],
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header("origin");
    const preflight = c.req.method === "OPTIONS" && c.req.header("access-control-request-method");
    if (!origin || !preflight || staticOrigins.includes(origin)) return next();
    c.header("vary", "Origin");
    if (!(await isAllowedOrigin(context, origin))) return c.body(null, 204);
    return c.body(null, 204, {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": "GET, POST",
      "access-control-allow-headers": ALLOW_HEADERS,
      "access-control-max-age": "600",
    });
  };
}

/**
 * After authentication: a request from a browser origin gets CORS headers only when its key lists
 * that origin; a publishable key used from another page is refused outright (403), so a copied
 * key does not work on a site its owner did not list.
 */
export function keyOriginCheck(staticOrigins: readonly string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header("origin");
    const allowed = c.get("principal")?.allowedOrigins;
    if (!origin || staticOrigins.includes(origin)) return next();
    const listed = allowed?.includes(origin.toLowerCase()) ?? false;
    if (allowed && !listed) {
      throw new LoreError("forbidden", `This API key may not be used from ${origin}.`);
    }
    if (listed) {
      c.header("access-control-allow-origin", origin);
      c.header("access-control-expose-headers", EXPOSE_HEADERS);
      c.header("vary", "Origin");
    }
    await next();
  };
}
