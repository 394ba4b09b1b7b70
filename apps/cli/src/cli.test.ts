import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { AskResponse } from "@lore/core";
import { createTestDatabase, serveOverWire } from "@lore/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loreCommand, waitForOutput } from "./cli-testing";

const run = promisify(execFile);
// Each test runs several `lore` processes (tsx start-up, migrations, an ingest): on a loaded
// 2-core machine that takes minutes, not the default 60 s. Outcomes are still their results.
const PROCESS_TEST_MS = 240_000;

function lore(args: string[], env: Record<string, string>) {
  return run(...loreCommand(args), {
    env: { ...process.env, LORE_LOG_LEVEL: "warn", ...env },
    timeout: PROCESS_TEST_MS,
  });
}

async function failure(promise: Promise<unknown>): Promise<{ code: number; stderr: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: number; stderr: string };
  }
  throw new Error("expected the command to fail");
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "lore-cli-"));
  await writeFile(
    path.join(folder, "kitchen.md"),
    "# Kitchen rules\n\n## Dishwasher\n\nThe dishwasher runs every evening at 19:30.\nEmpty it before 10:00 the next morning.\n",
  );
  await writeFile(
    path.join(folder, "parking.md"),
    "# Parking\n\nVisitors park on level P2.\nThe garage gate code changes on the first Monday of each month.\n",
  );
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("lore CLI, embedded mode", { timeout: PROCESS_TEST_MS }, () => {
  let dataDir: string;
  let server: ChildProcess | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "lore-data-"));
  });
  afterAll(async () => {
    server?.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("ingests a new folder, then `serve` on the same data dir answers about it with citations", async () => {
    const env = { LORE_DATA_DIR: dataDir };
    const ingested = await lore(["ingest", folder, "--collection", "x", "--json"], env);
    expect(JSON.parse(ingested.stdout)).toMatchObject({
      collection: "x",
      documents: { added: 2, updated: 0, unchanged: 0, deleted: 0 },
    });

    const child = spawn(...loreCommand(["serve", "--port", "0"]), {
      env: { ...process.env, ...env, LORE_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server = child;
    const url = await waitForOutput(child, /"url":"(http:[^"]+)"/);

    const ask = async (question: string) => {
      const response = await fetch(`${url}/v1/ask`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ question, collection: "x" }),
      });
      expect(response.status).toBe(200);
      return AskResponse.parse(await response.json());
    };
    const answered = await ask("When does the dishwasher run?");
    expect(answered.abstained).toBe(false);
    expect(answered.answer).toContain("19:30");
    expect(answered.citations[0]).toMatchObject({ source: "kitchen.md", startLine: 5, endLine: 5 });
    expect((await ask("What is the wifi password for guests?")).abstained).toBe(true);

    // The sample docs were loaded into the empty default collection at start.
    const collections = (await (await fetch(`${url}/v1/collections`)).json()) as {
      collections: { name: string; documents: number }[];
    };
    expect(
      collections.collections.find((entry) => entry.name === "default")?.documents,
    ).toBeGreaterThan(10);

    // A second process must not open the data directory the server holds.
    const locked = await failure(lore(["stats"], env));
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/in use by another Lore process/);

    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    server = undefined;
  });

  it("stops with a message naming an invalid variable", async () => {
    const result = await failure(lore(["stats"], { LORE_DATA_DIR: dataDir, LORE_AUTH: "maybe" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/LORE_AUTH="maybe"/);
  });

  it("says plainly when the database at DATABASE_URL cannot be reached", async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const result = await failure(
      lore(["jobs"], { DATABASE_URL: "postgres://lore@127.0.0.1:1/lore" }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^lore: cannot reach the database at DATABASE_URL \(connect ECONNREFUSED/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("lore CLI, server mode over the Postgres wire protocol", {
  timeout: PROCESS_TEST_MS,
}, () => {
  const cleanups: (() => Promise<void>)[] = [];
  let env: Record<string, string>;
  beforeAll(async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.close());
    const wire = await serveOverWire(database);
    cleanups.push(wire.stop);
    env = { DATABASE_URL: wire.url };
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("migrates, ingests and answers the same way", async () => {
    const migrated = await lore(["migrate"], env);
    expect(migrated.stdout).toMatch(/up to date/);
    // In server mode `lore ingest` queues a job and waits for a `lore worker` to run it.
    const worker = spawn(...loreCommand(["worker"]), {
      env: { ...process.env, LORE_LOG_LEVEL: "warn", ...env },
      stdio: "ignore",
    });
    try {
      const ingested = JSON.parse((await lore(["ingest", folder, "--json"], env)).stdout);
      expect(ingested.documents.added).toBe(2);
      const again = JSON.parse((await lore(["ingest", folder, "--json", "--sync"], env)).stdout);
      expect(again.documents).toEqual({ added: 0, updated: 0, unchanged: 2, deleted: 0 });
    } finally {
      worker.kill("SIGTERM");
    }
    const answer = AskResponse.parse(
      JSON.parse((await lore(["ask", "Where do visitors park?", "--json"], env)).stdout),
    );
    expect(answer.citations[0]).toMatchObject({ source: "parking.md", startLine: 3 });
    const stats = JSON.parse((await lore(["stats", "--json"], env)).stdout);
    expect(stats.collections).toEqual([expect.objectContaining({ name: "default", documents: 2 })]);
  });

  it("creates, lists and revokes API keys, printing the secret only once", async () => {
    const created = JSON.parse(
      (
        await lore(
          [
            "keys",
            "create",
            "--name",
            "handbook-app",
            "--scopes",
            "ask,search",
            "--collections",
            "handbook",
            "--rate",
            "5/min",
            "--json",
          ],
          env,
        )
      ).stdout,
    );
    expect(created.key).toMatch(/^lore_[\w-]{43}$/);
    expect(created.info).toMatchObject({
      name: "handbook-app",
      scopes: ["ask", "search"],
      collections: ["handbook"],
      rateLimitPerMinute: 5,
    });
    const listed = (await lore(["keys", "list"], env)).stdout;
    expect(listed).toContain("handbook-app");
    expect(listed).not.toContain(created.key);
    expect((await lore(["keys", "revoke", "handbook-app"], env)).stdout).toMatch(
      /Revoked handbook-app/,
    );
    const badRate = await failure(
      lore(["keys", "create", "--name", "x", "--scopes", "ask", "--rate", "lots"], env),
    );
    expect(badRate.stderr).toMatch(/--rate looks like/);
  });
});
