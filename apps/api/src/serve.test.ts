// The node server closes sockets of slow header senders and idle keep-alive clients within seconds.
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { OpenAPIHono } from "@hono/zod-openapi";
import { afterEach, describe, expect, it } from "vitest";
import type { AppEnv } from "./env";
import { type RunningServer, serveApp } from "./serve";

const servers: RunningServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(timeouts: Parameters<typeof serveApp>[1]): Promise<RunningServer> {
  const app = new OpenAPIHono<AppEnv>();
  app.get("/", (c) => c.text("ok"));
  const server = await serveApp(app, timeouts);
  servers.push(server);
  return server;
}

async function open(server: RunningServer): Promise<Socket> {
  const socket = connect(server.port, "127.0.0.1");
  await once(socket, "connect");
  return socket;
}

/** Milliseconds until the server ends the socket; the test's own deadline fails it if never. */
async function closedAfter(socket: Socket): Promise<{ ms: number; reply: string }> {
  const started = Date.now();
  let reply = "";
  socket.on("data", (data: Buffer) => {
    reply += data.toString("utf8");
  });
  await once(socket, "close");
  return { ms: Date.now() - started, reply };
}

describe("serveApp timeouts", () => {
  // Node's defaults held a slow header sender for 60-90 s and an idle keep-alive socket for 5 s.
  it.each([
    {
      case: "answers 408 and closes a socket whose headers never finish",
      timeouts: { headersTimeoutMs: 500 },
      sent: "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a",
      status: 408,
    },
    {
      case: "closes an idle keep-alive connection after keepAliveTimeoutMs",
      timeouts: { keepAliveTimeoutMs: 300 },
      sent: "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      status: 200,
    },
  ])(
    "$case",
    async ({ timeouts, sent, status }) => {
      const server = await start({ port: 0, host: "127.0.0.1", ...timeouts });
      const socket = await open(server);
      socket.write(sent);
      const { ms, reply } = await closedAfter(socket);
      expect(reply).toMatch(new RegExp(`^HTTP/1\\.1 ${status}`));
      expect(ms).toBeLessThan(3000);
    },
    10_000,
  );
});
