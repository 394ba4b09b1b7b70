// Serves the app on a port with @hono/node-server and closes it gracefully.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env";

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Socket limits. Node's defaults let a client that sends its headers a byte at a time hold a
 * socket for ~80 s (60 s headers timeout, checked every 30 s); these close it within seconds.
 */
export interface ServerTimeouts {
  /** Time allowed to receive the request line and headers. */
  headersTimeoutMs?: number;
  /** Time allowed to receive the whole request, body included (not the response). */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open; raise it above a load balancer's idle timeout. */
  keepAliveTimeoutMs?: number;
}

const DEFAULT_SERVER_TIMEOUTS: Required<ServerTimeouts> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
};

export function serveApp(
  app: OpenAPIHono<AppEnv>,
  options: { port: number; host: string } & ServerTimeouts,
): Promise<RunningServer> {
  const timeouts = { ...DEFAULT_SERVER_TIMEOUTS, ...definedOnly(options) };
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
        port: options.port,
        hostname: options.host,
        serverOptions: {
          headersTimeout: timeouts.headersTimeoutMs,
          requestTimeout: timeouts.requestTimeoutMs,
          keepAliveTimeout: timeouts.keepAliveTimeoutMs,
          // Node checks the two timeouts above only this often (30 s by default).
          connectionsCheckingInterval: Math.min(1000, timeouts.headersTimeoutMs),
        },
      },
      (info) => {
        const address = info as AddressInfo;
        const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
        resolve({
          url: `http://${host}:${address.port}`,
          port: address.port,
          close: () =>
            new Promise<void>((done, fail) => {
              server.close((error) => (error ? fail(error) : done()));
              // Idle keep-alive sockets would otherwise hold close() open.
              if ("closeIdleConnections" in server) server.closeIdleConnections();
            }),
        });
      },
    );
    server.once("error", reject);
  });
}

function definedOnly(options: ServerTimeouts): ServerTimeouts {
  return Object.fromEntries(
    Object.entries({
      headersTimeoutMs: options.headersTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    }).filter(([, value]) => value !== undefined),
  );
}
