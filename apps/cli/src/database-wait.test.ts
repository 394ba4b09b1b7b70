// `lore serve` and `lore worker` started before their Postgres answers: they wait for it, then run.
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { realPostgresSuite, realPostgresUrl } from "@lore/db/real-postgres";
import { createTestDatabase, freePort, serveOverWire } from "@lore/db/testing";
import { afterAll, describe, expect, it } from "vitest";
import { killRunningLore, startLore, waitForOutput } from "./cli-testing";

// Two `lore` processes start on a loaded two-core machine; outcomes are decided by their output.
const PROCESS_TEST_MS = 240_000;
function lore(args: string[], env: Record<string, string>): ChildProcess {
  return startLore(args, {
    ...process.env,
    LORE_AUTH: "off",
    LORE_EMBED_PROVIDER: "local",
    LORE_CHAT_PROVIDER: "extractive",
    LORE_LOG_LEVEL: "info",
    ...env,
  });
}

afterAll(killRunningLore);

/** Waits for the process to end; its exit code and everything it printed. */
async function finished(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = "";
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on("data", (data: Buffer) => {
      output += data.toString();
    });
  }
  const [code] = (await once(child, "close")) as [number | null];
  return { code, output };
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, "exit")) as [number | null];
  return code;
}

describe("a database that is not up yet", { timeout: PROCESS_TEST_MS }, () => {
  it("serve and worker wait for it and start once it answers", async () => {
    const port = await freePort();
    const env = {
      DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
      LORE_DB_WAIT_SECONDS: "600",
    };
    const server = lore(["serve", "--port", "0", "--host", "127.0.0.1"], env);
    const worker = lore(["worker"], env);
    await Promise.all([server, worker].map((child) => waitForOutput(child, /does not answer yet/)));
    // Listening before Postgres appears, so no line printed after it is missed.
    const ready = Promise.all([
      waitForOutput(server, /"url":"(http:[^"]+)"/),
      waitForOutput(worker, /worker started/),
    ]);
    ready.catch(() => {});

    const embedded = await createTestDatabase();
    const wire = await serveOverWire(embedded, { port, maxConnections: 20 });
    try {
      const [url] = await ready;
      const readiness = await fetch(`${url}/readyz`);
      expect(readiness.status).toBe(200);
      server.kill("SIGTERM");
      worker.kill("SIGTERM");
      expect(await exitCode(server)).toBe(0);
      expect(await exitCode(worker)).toBe(0);
    } finally {
      await wire.stop();
      await embedded.close();
    }
  });

  it("gives up after LORE_DB_WAIT_SECONDS and says what it could not reach", async () => {
    const port = await freePort();
    const worker = lore(["worker"], {
      DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
      LORE_DB_WAIT_SECONDS: "1",
    });
    const { code, output } = await finished(worker);
    expect(code).toBe(1);
    expect(output).toMatch(/does not answer yet; waiting up to 1 s/);
    expect(output).toMatch(
      /lore: cannot reach the database at DATABASE_URL \(connect ECONNREFUSED/,
    );
  });
});

describe.skipIf(!realPostgresUrl())(realPostgresSuite("a DATABASE_URL the server refuses"), () => {
  it("exits at once, naming the refusal, instead of waiting for it", {
    timeout: PROCESS_TEST_MS,
  }, async () => {
    const url = new URL(realPostgresUrl() ?? "");
    url.pathname = "/lore_no_such_database";
    const worker = lore(["worker"], { DATABASE_URL: url.href, LORE_DB_WAIT_SECONDS: "600" });
    const { code, output } = await finished(worker);
    expect(code).toBe(1);
    expect(output).not.toMatch(/does not answer yet/);
    expect(output).toMatch(
      /lore: the database server refused DATABASE_URL \(database "lore_no_such_database" does not exist\)/,
    );
  });
});
