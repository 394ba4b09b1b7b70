import { type ChildProcess, execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { getIngestJob, type IngestJobView, ingestFolder } from "@lore/core";
import { pollUntil } from "@lore/core/testing";
import { type Database, openDatabase, queryRows } from "@lore/db";
import { createTestDatabase, serveOverWire } from "@lore/db/testing";
import { type FakeOpenAI, startFakeOpenAI } from "@lore/fake-openai";
import { createOpenAIEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killRunningLore, loreCommand, startLore, waitForOutput } from "./cli-testing";
import { readServerFile } from "./server-file";

const run = promisify(execFile);
// Each test starts several `lore` processes, each compiling TypeScript as it starts: on a loaded
// two-core machine that alone can take a minute. The outcome is decided by polling, never by this.
const PROCESS_TEST_MS = 240_000;

let env: Record<string, string>;

function lore(args: string[], extra: Record<string, string> = {}) {
  return run(...loreCommand(args), {
    env: { ...process.env, LORE_LOG_LEVEL: "warn", ...env, ...extra },
    timeout: 90_000,
  });
}

// Node itself running the bundle (no wrapper process a SIGKILL would stop short of).
function startChild(args: string[], extra: Record<string, string> = {}): ChildProcess {
  return startLore(args, { ...process.env, LORE_LOG_LEVEL: "info", ...env, ...extra });
}

afterAll(killRunningLore);

describe("lore worker and lore ingest in server mode", { timeout: PROCESS_TEST_MS }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  let database: Database;
  let fake: FakeOpenAI;
  let folder: string;

  beforeAll(async () => {
    const embedded = await createTestDatabase();
    cleanups.push(() => embedded.close());
    const wire = await serveOverWire(embedded, { maxConnections: 20 });
    cleanups.push(wire.stop);
    database = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 3 });
    cleanups.push(() => database.close());
    // Slow embeddings give the test a window to kill a worker in the middle of a job.
    fake = await startFakeOpenAI({ embeddingDimensions: 32, embeddingLatencyMs: 400 });
    cleanups.push(() => fake.close());
    env = {
      DATABASE_URL: wire.url,
      LORE_AUTH: "off",
      LORE_EMBED_PROVIDER: "openai",
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: "test",
      LORE_EMBED_MODEL: "fake-embed",
      LORE_EMBED_DIMENSIONS: "32",
      LORE_CHAT_PROVIDER: "extractive",
      LORE_WORKER_LEASE_SECONDS: "2",
      // Two files (four texts) a request, one request at a time: the job advances in steps.
      LORE_EMBED_BATCH_SIZE: "4",
      LORE_EMBED_CONCURRENCY: "1",
    };
    folder = await mkdtemp(path.join(tmpdir(), "lore-worker-"));
    for (let index = 0; index < 14; index++) {
      await writeFile(
        path.join(folder, `service-${index}.md`),
        `# Service ${index}\n\nService ${index} listens on port ${7000 + index}.\n\n## Owners\n\nTeam ${index} owns service ${index}.\n`,
      );
    }
    await migrated();
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await rm(folder, { recursive: true, force: true });
  });

  async function migrated(): Promise<void> {
    await lore(["migrate"]);
  }

  async function collectionState(collection: string) {
    const [row] = await queryRows<{
      documents: number;
      sources: number;
      chunks: number;
      orphans: number;
      content: string;
    }>(
      database.db,
      sql`SELECT
        (SELECT count(*)::int FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = ${collection}) AS documents,
        (SELECT count(DISTINCT d.source)::int FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = ${collection}) AS sources,
        (SELECT count(*)::int FROM chunks k JOIN collections c ON c.id = k.collection_id WHERE c.name = ${collection}) AS chunks,
        (SELECT count(*)::int FROM chunks k LEFT JOIN documents d ON d.id = k.document_id WHERE d.id IS NULL) AS orphans,
        (SELECT string_agg(d.source || '#' || k.ordinal || ':' || k.content_hash, ',' ORDER BY d.source, k.ordinal)
           FROM chunks k JOIN documents d ON d.id = k.document_id JOIN collections c ON c.id = d.collection_id
           WHERE c.name = ${collection}) AS content`,
    );
    return row;
  }

  it("a worker killed with SIGKILL mid-job: another worker retries it and the end state equals a clean run", async () => {
    const embedder = await createOpenAIEmbedder({
      model: "fake-embed",
      dimensions: 32,
      baseUrl: fake.baseURL,
      apiKey: "test",
    });
    await ingestFolder({ db: database.db, embedder }, folder, { collection: "clean" });
    const clean = await collectionState("clean");

    const queued = await lore([
      "ingest",
      folder,
      "--collection",
      "killed",
      "--sync",
      "--no-wait",
      "--json",
    ]);
    const { jobId } = JSON.parse(queued.stdout) as { jobId: string };
    expect(jobId).toMatch(/^job_/);

    const first = startChild(["worker"]);
    const midway = await pollUntil(
      () => getIngestJob({ db: database.db }, jobId),
      (job) => job.status === "running" && (job.progress.filesProcessed ?? 0) >= 2,
      { timeoutMs: PROCESS_TEST_MS, what: "the job to be running with two files processed" },
    );
    expect(midway.progress.filesProcessed).toBeLessThan(14);
    first.kill("SIGKILL");
    await once(first, "exit");
    expect((await getIngestJob({ db: database.db }, jobId)).status).toBe("running");

    const second = startChild(["worker"]);
    const finished = await pollUntil(
      () => getIngestJob({ db: database.db }, jobId),
      (job: IngestJobView) => job.status !== "running" && job.status !== "queued",
      { timeoutMs: PROCESS_TEST_MS, what: "the job to end" },
    );
    expect(finished).toMatchObject({ status: "succeeded", attempts: 2 });
    const killed = await collectionState("killed");
    expect(killed?.documents).toBe(14);
    expect(killed?.sources).toBe(14);
    expect(killed?.chunks).toBe(clean?.chunks);
    expect(killed?.content).toBe(clean?.content);
    expect(killed?.orphans).toBe(0);

    // `lore ingest` waits for the worker and prints the summary; an unchanged re-run embeds nothing.
    const before = fake.counts.embeddedTexts;
    const again = JSON.parse(
      (await lore(["ingest", folder, "--collection", "killed", "--sync", "--json"])).stdout,
    );
    expect(again).toMatchObject({
      documents: { added: 0, updated: 0, unchanged: 14, deleted: 0 },
      chunks: { added: 0, deleted: 0 },
      textsEmbedded: 0,
      skipped: [],
    });
    expect(fake.counts.embeddedTexts).toBe(before);

    const listed = JSON.parse((await lore(["jobs", "--json"])).stdout) as {
      jobs: IngestJobView[];
    };
    expect(listed.jobs.map((job) => job.id)).toContain(jobId);
    const shown = JSON.parse((await lore(["jobs", jobId, "--json"])).stdout) as IngestJobView;
    expect(shown).toMatchObject({ id: jobId, status: "succeeded", attempts: 2 });

    // A graceful stop exits cleanly.
    second.kill("SIGTERM");
    const [code] = await once(second, "exit");
    expect(code).toBe(0);
  });
});

describe("lore ingest in embedded mode while `lore serve` holds the data directory", {
  timeout: PROCESS_TEST_MS,
}, () => {
  let dataDir: string;
  let root: string;
  let outside: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "lore-handoff-data-"));
    root = await mkdtemp(path.join(tmpdir(), "lore-handoff-root-"));
    outside = await mkdtemp(path.join(tmpdir(), "lore-handoff-outside-"));
    await writeFile(
      path.join(root, "wifi.md"),
      "# Wifi\n\nThe guest network is called Fern-Guest.\n",
    );
    await writeFile(path.join(outside, "secret.md"), "# Secret\n\nDo not read me.\n");
    env = { LORE_DATA_DIR: dataDir, LORE_SAMPLE_DOCS: "off", LORE_INGEST_ROOTS: root };
  });
  afterAll(async () => {
    for (const folder of [dataDir, root, outside])
      await rm(folder, { recursive: true, force: true });
  });

  it("hands the job to the running server, and refuses a folder outside its ingest roots", async () => {
    const server = startChild(["serve", "--port", "0"]);
    await waitForOutput(server, /Lore is listening/);
    // The server publishes its address just after it listens: the hand-off needs the file.
    await pollUntil(
      () => readServerFile(dataDir),
      (file) => file !== undefined,
      { timeoutMs: PROCESS_TEST_MS, what: "lore serve to write server.json" },
    );
    const handed = JSON.parse(
      (await lore(["ingest", root, "--collection", "handoff", "--json"])).stdout,
    );
    expect(handed).toMatchObject({ collection: "handoff", documents: { added: 1 } });
    expect(handed.jobId).toMatch(/^job_/);

    const refused = await lore(["ingest", outside, "--collection", "handoff"]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toMatch(/LORE_INGEST_ROOTS/);

    server.kill("SIGTERM");
    const [code] = await once(server, "exit");
    expect(code).toBe(0);
    // With the server gone, the CLI opens the data directory and runs the job itself.
    const local = JSON.parse(
      (await lore(["ingest", outside, "--collection", "handoff", "--json"])).stdout,
    );
    expect(local).toMatchObject({ documents: { added: 1, unchanged: 0 } });
  });
});
