// Chaos on the real Postgres: backends terminated and the server restarted under load; nothing exits, nothing 500s, nothing is lost.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { enqueueIngestJob, getIngestJob, type IngestJobView, ingestFolder } from "@lore/core";
import { pollUntil } from "@lore/core/testing";
import {
  type Database,
  openDatabase,
  queryRows,
  retryWhenUnreachable,
  waitUntilReachable,
} from "@lore/db";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
  type ScratchCluster,
  scratchClusterSkipReason,
  startScratchCluster,
} from "@lore/db/real-postgres";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loreCommand } from "./cli-testing";

// Issue 13's bar: 10 rounds of pg_terminate_backend and 2 restarts, back within 5 s each time.
const TERMINATE_ROUNDS = 10;
const RESTARTS = 2;
const RECOVERY_LIMIT_MS = 5000;
const LOAD_CLIENTS = 4;
const SEED_FILES = 12;
const JOB_FILES = 240;
// A request that hangs this long is counted as a failure, not waited for.
const REQUEST_DEADLINE_MS = 20_000;

interface LoreProcess {
  name: string;
  child: ChildProcess;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** The last lines it printed, shown when an assertion fails. */
  tail: string[];
}

interface Load {
  statuses: Map<number, number>;
  /** fetch failures: refused or reset sockets (a dead server), or a request past its deadline. */
  failures: string[];
  /** 503s without Retry-After. */
  missingRetryAfter: number;
  ok: number;
  stop(): Promise<void>;
}

function startLore(name: string, args: string[], env: Record<string, string>): LoreProcess {
  const child = spawn(...loreCommand(args), {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const record: LoreProcess = { name, child, tail: [] };
  const keep = (data: Buffer) => {
    record.tail.push(...data.toString("utf8").split("\n").filter(Boolean));
    record.tail.splice(0, Math.max(0, record.tail.length - 40));
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.once("exit", (code, signal) => {
    record.exit = { code, signal };
  });
  return record;
}

/** The URL `lore serve` logs once it listens. */
async function listeningUrl(server: LoreProcess): Promise<string> {
  const found = await pollUntil(
    async () => {
      if (server.exit) throw new Error(`serve exited early:\n${server.tail.join("\n")}`);
      for (const line of server.tail) {
        const url = /"url":"(http:\/\/[^"]+)"/.exec(line)?.[1];
        if (url && line.includes("listening")) return url;
      }
      return undefined;
    },
    (url) => url !== undefined,
    { timeoutMs: 90_000, what: "lore serve to listen" },
  );
  return found ?? "";
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
  });
}

/** Steady asks and searches from LOAD_CLIENTS clients until stopped. */
function startLoad(baseUrl: string): Load {
  let running = true;
  const load: Omit<Load, "stop"> = {
    statuses: new Map(),
    failures: [],
    missingRetryAfter: 0,
    ok: 0,
  };
  const client = async (index: number) => {
    for (let turn = 0; running; turn++) {
      const ask = (turn + index) % 2 === 0;
      try {
        const response = ask
          ? await post(`${baseUrl}/v1/ask`, {
              question: `When does the release train for page ${turn % SEED_FILES} leave?`,
              collection: "seed",
            })
          : await post(`${baseUrl}/v1/search`, { query: "release train", collection: "seed" });
        await response.arrayBuffer();
        load.statuses.set(response.status, (load.statuses.get(response.status) ?? 0) + 1);
        if (response.status === 200) load.ok += 1;
        if (response.status === 503 && !response.headers.get("retry-after"))
          load.missingRetryAfter += 1;
        // While the service says it is unavailable, wait as a client would (on the server's clock).
        if (response.status === 503) await new Promise((resolve) => setTimeout(resolve, 100));
      } catch (error) {
        load.failures.push(String(error));
      }
    }
  };
  const clients = Array.from({ length: LOAD_CLIENTS }, (_, index) => client(index));
  return Object.assign(load, {
    stop: async () => {
      running = false;
      await Promise.all(clients);
    },
  });
}

/** Throws, with what they printed last, when a Lore process has exited. */
function assertAlive(processes: readonly LoreProcess[]): void {
  const exited = processes.filter((entry) => entry.exit);
  if (exited.length === 0) return;
  const report = exited.map(
    (entry) => `--- ${entry.name} exited ${JSON.stringify(entry.exit)}\n${entry.tail.join("\n")}`,
  );
  throw new Error(`A Lore process exited:\n${report.join("\n")}`);
}

/** Milliseconds from now until a search answers 200 again (the service is back). */
async function recoveryMs(baseUrl: string, processes: readonly LoreProcess[]): Promise<number> {
  const started = Date.now();
  await pollUntil(
    async () => {
      assertAlive(processes);
      return post(`${baseUrl}/v1/search`, { query: "release train", collection: "seed" })
        .then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        })
        .catch(() => 0);
    },
    (status) => status === 200,
    { timeoutMs: RECOVERY_LIMIT_MS * 6, what: "the service to answer again" },
  );
  return Date.now() - started;
}

describe.skipIf(!realPostgresUrl())(realPostgresSuite("chaos: Postgres blips under load"), () => {
  let cluster: ScratchCluster | undefined;
  let real: RealTestDatabase;
  let admin: Database;
  let folder: string;
  const processes: LoreProcess[] = [];

  beforeAll(async () => {
    // Restarts happen on a cluster of the test's own: the other suites keep the shared server.
    const noRestart = scratchClusterSkipReason();
    if (noRestart) console.warn(`[lore] chaos: ${noRestart}; terminate rounds only`);
    else cluster = await startScratchCluster("lore_chaos");
    const adminUrl = cluster?.adminUrl ?? realPostgresUrl() ?? "";
    real = await createRealTestDatabase("chaos", { adminUrl, poolSize: 2 });
    admin = await openDatabase({ kind: "postgres", url: adminUrl, poolSize: 1 });
    folder = await mkdtemp(path.join(tmpdir(), "lore-chaos-"));
    for (const [name, count] of [
      ["seed", SEED_FILES],
      ["bulk", JOB_FILES],
    ] as const) {
      await mkdir(path.join(folder, name));
      for (let index = 0; index < count; index++) {
        await writeFile(
          path.join(folder, name, `page-${index}.md`),
          `# Page ${index}\n\nThe release train for page ${index} leaves on day ${(index % 9) + 1}.\n\n## Owners\n\nTeam ${index % 7} owns page ${index}.\n`,
        );
      }
    }
  }, 180_000);

  afterAll(async () => {
    for (const { child, exit } of processes) if (!exit) child.kill("SIGKILL");
    await admin?.close();
    if (cluster) await cluster.drop();
    else await real?.drop();
    if (folder) await rm(folder, { recursive: true, force: true });
  }, 60_000);

  /** Ends every connection to the test database (the API's, the worker's, the test's own). */
  async function terminateBackends(): Promise<number> {
    return retryWhenUnreachable(admin.db, async () => {
      const [row] = await queryRows<{ ended: number }>(
        admin.db,
        sql`SELECT count(pg_terminate_backend(pid))::int AS ended FROM pg_stat_activity
            WHERE datname = ${real.name} AND pid <> pg_backend_pid()`,
      );
      return row?.ended ?? 0;
    });
  }

  async function job(id: string): Promise<IngestJobView> {
    return retryWhenUnreachable(real.database.db, () => getIngestJob({ db: real.database.db }, id));
  }

  /** Per source: chunk ordinals and hashes, to compare a collection with a clean ingest. */
  async function contents(collection: string): Promise<{ documents: number; content: string }> {
    const [row] = await retryWhenUnreachable(real.database.db, () =>
      queryRows<{ documents: number; content: string }>(
        real.database.db,
        sql`SELECT
          (SELECT count(*)::int FROM documents d JOIN collections c ON c.id = d.collection_id
            WHERE c.name = ${collection}) AS documents,
          (SELECT string_agg(d.source || '#' || k.ordinal || ':' || k.content_hash, ',' ORDER BY d.source, k.ordinal)
            FROM chunks k JOIN documents d ON d.id = k.document_id JOIN collections c ON c.id = d.collection_id
            WHERE c.name = ${collection}) AS content`,
      ),
    );
    return { documents: row?.documents ?? 0, content: row?.content ?? "" };
  }

  it("keeps serving (503, never 500), recovers within 5 s and loses no document", async () => {
    const { OPENAI_API_KEY: _key, OPENAI_BASE_URL: _base, ...inherited } = process.env;
    const env: Record<string, string> = {
      ...(inherited as Record<string, string>),
      DATABASE_URL: real.url,
      LORE_AUTH: "off",
      HOST: "127.0.0.1",
      PORT: "0",
      LORE_EMBED_PROVIDER: "local",
      LORE_CHAT_PROVIDER: "extractive",
      LORE_LOG_LEVEL: "info",
      LORE_WORKER_LEASE_SECONDS: "15",
    };
    const server = startLore("serve", ["serve"], env);
    const worker = startLore("worker", ["worker"], env);
    processes.push(server, worker);
    const baseUrl = await listeningUrl(server);

    const seed = await enqueueIngestJob(
      { db: real.database.db },
      {
        collection: "seed",
        path: path.join(folder, "seed"),
        sync: false,
      },
    );
    await pollUntil(
      () => job(seed.id),
      (view) => view.status === "succeeded",
      { timeoutMs: 90_000, what: "the seed job" },
    );

    const load = startLoad(baseUrl);
    const recoveries: { fault: string; ms: number }[] = [];
    let bulkId = "";
    try {
      await pollUntil(
        async () => load.ok,
        (ok) => ok >= LOAD_CLIENTS,
        { timeoutMs: 30_000, what: "load to start" },
      );
      const bulk = await enqueueIngestJob(
        { db: real.database.db },
        {
          collection: "bulk",
          path: path.join(folder, "bulk"),
          sync: true,
        },
      );
      bulkId = bulk.id;
      await pollUntil(
        () => job(bulk.id),
        (view) => view.status !== "queued",
        { timeoutMs: 30_000, what: "a claim" },
      );
      let jobRunningAtFaults = 0;
      const faults = [
        ...Array.from({ length: TERMINATE_ROUNDS }, () => "terminate"),
        ...Array.from({ length: cluster ? RESTARTS : 0 }, () => "restart"),
      ];
      // Restarts go between terminate rounds, not after them all.
      if (cluster) faults.splice(3, 0, ...faults.splice(-RESTARTS, 1));
      for (const fault of faults) {
        if ((await job(bulk.id)).status === "running") jobRunningAtFaults += 1;
        if (fault === "terminate") {
          await terminateBackends();
        } else {
          await cluster?.restart();
          // "Postgres is back" is when it answers a new connection; recovery counts from there.
          await waitUntilReachable(admin.db, { minDelayMs: 20, maxDelayMs: 100 });
        }
        recoveries.push({ fault, ms: await recoveryMs(baseUrl, processes) });
        // Some load goes through between faults, so each one lands on busy connections.
        const okBefore = load.ok;
        await pollUntil(
          async () => load.ok,
          (ok) => ok >= okBefore + LOAD_CLIENTS,
          { timeoutMs: 30_000, what: "load" },
        );
      }
      console.log(
        `[lore] chaos: ${JSON.stringify({ recoveries, jobRunningAtFaults, statuses: Object.fromEntries(load.statuses) })}`,
      );
    } finally {
      await load.stop();
    }

    const processTails = () =>
      processes.map((entry) => `--- ${entry.name}\n${entry.tail.join("\n")}`).join("\n");
    expect(
      processes.filter((entry) => entry.exit).map((entry) => entry.name),
      processTails(),
    ).toEqual([]);
    expect(load.failures, processTails()).toEqual([]);
    const serverErrors = [...load.statuses].filter(([status]) => status >= 500 && status !== 503);
    expect(serverErrors, processTails()).toEqual([]);
    expect(load.missingRetryAfter).toBe(0);
    for (const recovery of recoveries) {
      expect(recovery.ms, `${recovery.fault} recovery`).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
    }

    const finished = await pollUntil(
      () => job(bulkId),
      (view) => !["queued", "running"].includes(view.status),
      { timeoutMs: 120_000, what: "the bulk job to finish" },
    );
    expect(finished.status, JSON.stringify(finished)).toBe("succeeded");
    // The same folder ingested cleanly, in-process: the chaos run must equal it exactly.
    await ingestFolder(
      { db: real.database.db, embedder: createLocalEmbedder() },
      path.join(folder, "bulk"),
      { collection: "reference" },
    );
    const reference = await contents("reference");
    const bulkContents = await contents("bulk");
    expect(bulkContents.documents).toBe(JOB_FILES);
    expect(bulkContents.content).toBe(reference.content);
    expect((await contents("seed")).documents).toBe(SEED_FILES);
  }, 600_000);
});
