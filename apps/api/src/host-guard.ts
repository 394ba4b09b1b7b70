// With auth off, serves only requests addressed to this machine: stops DNS rebinding and cross-site requests from web pages.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env";
import { problemResponse } from "./problem";

interface HostGuardOptions {
  /** Host names served besides loopback ones (LORE_ALLOWED_HOSTS); "*" serves any. */
  allowedHosts?: readonly string[];
  /** Browser origins allowed to call the API (LORE_CORS_ORIGINS); their pages may send requests too. */
  corsOrigins?: readonly string[];
}

/** The host name of a Host header value or URL authority, lower-cased, without port or IPv6 brackets. */
export function hostName(authority: string): string | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^\s:/?#[\]@]+))(?::\d{1,5})?$/i.exec(authority.trim());
  const name = match?.[1] ?? match?.[2];
  return name?.toLowerCase().replace(/\.$/, "");
}

/** localhost, 127.0.0.0/8 and ::1: names a web page elsewhere cannot make a browser send to this server. */
export function isLoopback(name: string): boolean {
  if (name === "localhost" || name === "::1" || name === "0:0:0:0:0:0:0:1") return true;
  return /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(name);
}

/**
 * Refuses, with 403 forbidden, a request whose Host is neither loopback nor in `allowedHosts`
 * (a DNS-rebinding page reaches the server under its own name), and one sent by a web page
 * (Origin header) from anywhere else. Requests without Origin (curl, scripts) pass on Host alone.
 */
export function hostGuard(options: HostGuardOptions): MiddlewareHandler<AppEnv> {
  const allowed = new Set((options.allowedHosts ?? []).map((host) => host.toLowerCase()));
  const anyHost = allowed.has("*");
  const corsOrigins = new Set(options.corsOrigins ?? []);
  const hostAllowed = (name: string | undefined) =>
    name !== undefined && (anyHost || isLoopback(name) || allowed.has(name));
  return async (c, next) => {
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!hostAllowed(hostName(host))) {
      return problemResponse(
        c,
        "forbidden",
        "This server answers requests for localhost only; add the host name to LORE_ALLOWED_HOSTS to serve it.",
      );
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !corsOrigins.has("*") && !corsOrigins.has(origin)) {
      let originHost: string | undefined;
      try {
        originHost = origin === "null" ? undefined : hostName(new URL(origin).host);
      } catch {
        originHost = undefined;
      }
      if (!hostAllowed(originHost)) {
        return problemResponse(
          c,
          "forbidden",
          "Requests from web pages on other sites are refused; add the site to LORE_CORS_ORIGINS or its host to LORE_ALLOWED_HOSTS.",
        );
      }
    }
    await next();
  };
}
