// Authentication, failed-auth limits and the access rules routes declare next to their handlers (scope, collections).
import { getConnInfo } from "@hono/node-server/conninfo";
import {
  authenticate,
  authorize,
  consumeRateLimit,
  countAuthFailure,
  type LoreContext,
  LoreError,
  type Scope,
} from "@lore/core";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./env";

/** Wrong keys one client address may present per minute before its requests get 429. */
const DEFAULT_FAILED_AUTH_PER_MINUTE = 20;

/** The peer's address; "unknown" when the app is driven without a socket (app.request in tests). */
function clientAddress(c: Context<AppEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * Authenticates every /v1 request (LORE_AUTH=required) and counts it against the key's rate
 * limit. Wrong keys are counted per client address in the database, so the limit holds across
 * replicas: past `failedAuthPerMinute` in a minute the address gets 429 with Retry-After, and this
 * process refuses it without checking any key (a valid one too) until the minute ends. Requests
 * without a key are answered 401 and not counted: a browser opening the page has none yet.
 */
export function authentication(
  context: LoreContext,
  options: { failedAuthPerMinute?: number } = {},
): MiddlewareHandler<AppEnv> {
  const limit = options.failedAuthPerMinute ?? DEFAULT_FAILED_AUTH_PER_MINUTE;
  const blockedUntil = new Map<string, number>();
  const tooMany = (retryAfterSeconds: number) =>
    new LoreError("rate_limited", "Too many requests with a wrong API key from this address.", {
      retryAfterSeconds,
    });
  return async (c, next) => {
    const client = clientAddress(c);
    const until = blockedUntil.get(client);
    if (until !== undefined) {
      const left = until - Date.now();
      if (left > 0) throw tooMany(Math.ceil(left / 1000));
      blockedUntil.delete(client);
    }
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token && header === "") {
      throw new LoreError(
        "unauthorized",
        "An API key is required: send Authorization: Bearer <key>.",
      );
    }
    const principal = token ? await authenticate(context, token) : undefined;
    if (!principal) {
      const failures = await countAuthFailure(context, client);
      if (failures.count > limit) {
        if (blockedUntil.size > 10_000) {
          for (const [address, end] of blockedUntil)
            if (end <= Date.now()) blockedUntil.delete(address);
        }
        blockedUntil.set(client, Date.now() + failures.retryAfterSeconds * 1000);
        throw tooMany(failures.retryAfterSeconds);
      }
      throw new LoreError("unauthorized", "The API key is not valid.");
    }
    c.set("principal", principal);
    await consumeRateLimit(context, principal);
    await next();
  };
}

/**
 * A route's declared scope, as route middleware (createRoute's `middleware`): 403 for a key
 * without it. With auth off there is no key and nothing to check.
 */
export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    if (principal) authorize(principal, scope);
    await next();
  };
}

/** A collection the request names itself (ask, search, writes): 403 outside the key's collections. */
export function useCollection(c: Context<AppEnv>, collection: string): void {
  const allowed = c.get("principal")?.collections;
  if (allowed && !allowed.includes(collection)) {
    throw new LoreError("forbidden", `This API key may not use collection "${collection}".`);
  }
}

/**
 * The collections whose resources (jobs, answers) the key may see; null: all. Routes answer
 * 404 for the others, as for ids that do not exist, so their existence does not leak.
 */
export function visibleCollections(c: Context<AppEnv>): readonly string[] | null {
  return c.get("principal")?.collections ?? null;
}
