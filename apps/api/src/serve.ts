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

export function serveApp(
  app: OpenAPIHono<AppEnv>,
  options: { port: number; host: string },
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, port: options.port, hostname: options.host },
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
