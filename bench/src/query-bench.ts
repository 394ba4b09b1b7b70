// `bench query`: autocannon load on /v1/search and /v1/ask (extractive) of a `lore serve` over the sample docs or a folder.
import { fork } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createApiKey, ingestFolder, SAMPLE_DOCS_DIR } from "@lore/core";
import { migrate, openDatabase } from "@lore/db";
import { createLocalEmbedder } from "@lore/providers";
import autocannon from "autocannon";
import pg from "pg";
import { BENCH_QUESTIONS } from "./corpus";
import { describeMachine, type Machine } from "./machine";
import { processCpuMs } from "./process-cpu";
import { LORE_MAIN, REPO_ROOT, runScript, startBackground, waitFor } from "./processes";
import { latencySummary, progress, round } from "./stats";
import type { WireDatabaseMessage } from "./wire-database-process";

export interface QueryBenchOptions {
  concurrency: number;
  durationSeconds: number;
  /**
   * `embedded`: `lore serve` on a PGlite data directory, the SQL running inside it; `server`:
   * `lore serve` with DATABASE_URL, the database in another process (`databaseUrl`, else an
   * in-memory PGlite that a child process of the bench serves over the wire).
   */
  mode: "embedded" | "server";
  /** Ingested into `default` before serving; the sample docs when omitted. */
  folder?: string;
  databaseUrl?: string;
  /** Where `lore serve` writes its V8 CPU profile (`node --cpu-prof`) when it stops. */
  cpuProfileDir?: string;
  /**
   * Query this collection of `databaseUrl` as it is, without ingesting (e.g. the 100k chunks
   * `bench scale` left in `bench-scale`); `embedDimensions` must then match its embedder.
   */
  existingCollection?: string;
  embedDimensions?: number;
  /**
   * Serve with LORE_AUTH=required and send an API key that has a rate limit and a daily token
   * quota (both too high to trip), so each request also pays the key look-up and the limit
   * counters, as a deployment's does. Server mode only (the bench creates the key in the database).
   */
  auth?: boolean;
  /** Which routes to load, in order; default both. */
  routes?: readonly QueryRoute[];
}

export type QueryRoute = "search" | "ask";

/** The bench key's limits: a deployment's kind of key, set high enough never to refuse the load. */
const BENCH_KEY_LIMITS = { rateLimitPerMinute: 100_000, dailyTokenLimit: 2_000_000_000 };

export interface EndpointLoad {
  route: string;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  errors: number;
  non2xx: number;
  timeouts: number;
  /** `lore serve`'s CPU time (user + system, /proc/<pid>/stat) during the load, per request. */
  serverCpuMsPerRequest: number;
  /** What one core of `lore serve` could answer at that cost: 1000 / serverCpuMsPerRequest. */
  serverSingleCoreCeiling: number;
  /**
   * The database's CPU time per request: the bench's PGlite process, or on a real Postgres the
   * backends serving `lore serve`'s connections to the database (/proc/<pid>/stat, same machine).
   */
  databaseCpuMsPerRequest?: number;
  /** SQL round trips (Sync or simple Query messages) per request; PGlite over the wire only. */
  sqlRoundTripsPerRequest?: number;
  /**
   * Transactions committed or rolled back in the database per request (pg_stat_database); real
   * Postgres only. Lore's query path runs each statement in its own implicit transaction, so
   * this is its statements, and round trips, per request.
   */
  databaseTransactionsPerRequest?: number;
  /** /proc/loadavg when the load started: the machine's cores are shared. */
  loadAverage: string;
}

export interface QueryBenchResult {
  benchmark: "query";
  machine: Machine;
  mode: "embedded" | "server";
  database: "pglite-embedded" | "pglite-over-wire" | "postgres";
  corpus: string;
  chunks: number | undefined;
  concurrency: number;
  durationSeconds: number;
  /** LORE_AUTH=required with a rate-limited key carrying a token quota (`--auth`). */
  auth: boolean;
  search?: EndpointLoad;
  ask?: EndpointLoad;
  serverPeakRssMiB: number;
}

const ListeningLine = /Lore is listening on (http:\/\/[^"\s]+)/;

/** Where the served database is; for the bench's own PGlite, its process and round trips so far. */
interface ServedDatabase {
  url: string;
  kind: "pglite-over-wire" | "postgres";
  pid?: number | undefined;
  roundTrips?: () => Promise<number>;
  /** A real Postgres's view of `lore serve`'s work: its backends' CPU and the transactions. */
  statistics?: () => Promise<PostgresStatistics>;
  close(): Promise<void>;
}

interface PostgresStatistics {
  /** CPU ms so far of each backend connected to the database, by pid. */
  backendCpuMs: Map<number, number>;
  transactions: number;
}

const WIRE_DATABASE_PROCESS = fileURLToPath(new URL("./wire-database-process.ts", import.meta.url));

export async function benchQuery(options: QueryBenchOptions): Promise<QueryBenchResult> {
  const scratch = await mkdtemp(path.join(tmpdir(), "lore-bench-query-"));
  const cleanups: (() => Promise<void>)[] = [];
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    LORE_DATA_DIR: path.join(scratch, "data"),
    LORE_EMBED_PROVIDER: "local",
    LORE_CHAT_PROVIDER: "extractive",
    LORE_AUTH: options.auth ? "required" : "off",
    LORE_LOG_LEVEL: "info",
    PORT: "0",
    HOST: "127.0.0.1",
    LORE_SAMPLE_DOCS: options.folder ? "off" : "on",
  };
  delete environment.OPENAI_API_KEY;
  delete environment.OPENAI_BASE_URL;
  // The bench ingests with the local embedder's default dimensions; the server must match.
  delete environment.LORE_EMBED_DIMENSIONS;
  if (options.embedDimensions) environment.LORE_EMBED_DIMENSIONS = String(options.embedDimensions);
  delete environment.DATABASE_URL;
  const collection = options.existingCollection ?? "default";
  if (options.auth && options.mode !== "server") {
    throw new Error("--auth needs --mode server: the bench creates its key in the database");
  }
  try {
    let database: ServedDatabase | undefined;
    if (options.mode === "server") {
      const served = await serveDatabase(options.databaseUrl);
      database = served;
      cleanups.push(() => served.close());
      environment.DATABASE_URL = served.url;
      if (options.existingCollection) {
        environment.LORE_SAMPLE_DOCS = "off";
        progress(`querying the existing collection ${collection} over ${served.kind}`);
      } else {
        progress(`ingesting ${options.folder ?? "the sample docs"} over ${served.kind} ...`);
        await ingestOver(served.url, options.folder ?? SAMPLE_DOCS_DIR);
      }
    }
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.auth && database) {
      headers.authorization = `Bearer ${await createBenchKey(database.url)}`;
    } else if (options.folder) {
      progress(`ingesting ${options.folder} ...`);
      await runScript(LORE_MAIN, ["ingest", path.resolve(options.folder), "--json"], environment);
    }
    const profile = options.cpuProfileDir
      ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(options.cpuProfileDir)}`]
      : [];
    const server = startBackground(LORE_MAIN, ["serve"], environment, profile);
    cleanups.push(() => server.stop());
    let url = "";
    await waitFor(
      async () => {
        url = ListeningLine.exec(server.output())?.[1] ?? "";
        return url !== "";
      },
      120_000,
      () => (server.child.exitCode === null ? undefined : `lore serve exited: ${server.output()}`),
    );
    progress(`lore serve is up at ${url}`);
    const collections = (await (await fetch(`${url}/v1/collections`, { headers })).json()) as {
      collections?: { name: string; chunks: number }[];
    };
    const chunks = collections.collections?.find((item) => item.name === collection)?.chunks;
    const load = (route: string, body: (question: string) => object) =>
      runLoad({
        url,
        route,
        body,
        concurrency: options.concurrency,
        durationSeconds: options.durationSeconds,
        serverPid: server.child.pid,
        database,
        headers,
      });
    const routes = options.routes ?? ["search", "ask"];
    const loads: Partial<Record<QueryRoute, EndpointLoad>> = {};
    for (const route of routes) {
      loads[route] =
        route === "search"
          ? await load("/v1/search", (query) => ({ query, collection }))
          : await load("/v1/ask", (question) => ({ question, collection }));
    }
    return {
      benchmark: "query",
      machine: describeMachine(),
      mode: options.mode,
      database: database?.kind ?? "pglite-embedded",
      corpus: options.existingCollection
        ? `existing collection ${collection}`
        : options.folder
          ? path.resolve(options.folder)
          : "fixtures/docs (sample docs)",
      chunks,
      concurrency: options.concurrency,
      durationSeconds: options.durationSeconds,
      auth: options.auth ?? false,
      ...loads,
      serverPeakRssMiB: await server.peakRssMiB(),
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** DATABASE_URL as given, else an in-memory PGlite served over the wire by a child process. */
async function serveDatabase(url: string | undefined): Promise<ServedDatabase> {
  if (url) {
    const monitor = new pg.Client({ connectionString: url });
    await monitor.connect();
    return {
      url,
      kind: "postgres",
      statistics: () => postgresStatistics(monitor),
      close: () => monitor.end(),
    };
  }
  const child = fork(WIRE_DATABASE_PROCESS, [], {
    cwd: REPO_ROOT,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", 2, 2, "ipc"],
  });
  const closed = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const next = (kind: WireDatabaseMessage["kind"]) =>
    new Promise<WireDatabaseMessage>((resolve, reject) => {
      const onMessage = (message: WireDatabaseMessage) => {
        if (message.kind !== kind) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message);
      };
      const onExit = (code: number | null) =>
        reject(new Error(`the wire database process exited with ${code}`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const ready = await next("ready");
  return {
    url: ready.kind === "ready" ? ready.url : "",
    kind: "pglite-over-wire",
    pid: child.pid,
    roundTrips: async () => {
      const counted = next("roundTrips");
      child.send("roundTrips");
      const message = await counted;
      return message.kind === "roundTrips" ? message.count : 0;
    },
    close: async () => {
      if (child.connected) child.disconnect();
      await closed;
    },
  };
}

/** Migrates and ingests `folder` into `default` with the local embedder, as `lore serve` embeds queries. */
async function ingestOver(url: string, folder: string): Promise<void> {
  const database = await openDatabase({ kind: "postgres", url });
  try {
    await migrate(database);
    await ingestFolder({ db: database.db, embedder: createLocalEmbedder() }, path.resolve(folder), {
      collection: "default",
    });
  } finally {
    await database.close();
  }
}

/** A key for `ask` and `search` with BENCH_KEY_LIMITS; returns its secret. */
async function createBenchKey(url: string): Promise<string> {
  const database = await openDatabase({ kind: "postgres", url });
  try {
    const { key } = await createApiKey(
      { db: database.db },
      { name: `bench-${Date.now()}`, scopes: ["ask", "search"], ...BENCH_KEY_LIMITS },
    );
    return key;
  } finally {
    await database.close();
  }
}

interface LoadRun {
  url: string;
  route: string;
  body: (question: string) => object;
  concurrency: number;
  durationSeconds: number;
  serverPid: number | undefined;
  database: ServedDatabase | undefined;
  headers: Record<string, string>;
}

async function runLoad(run: LoadRun): Promise<EndpointLoad> {
  const { url, route } = run;
  const requests = BENCH_QUESTIONS.map((question) => ({
    method: "POST" as const,
    path: route,
    headers: run.headers,
    body: JSON.stringify(run.body(question)),
  }));
  // Warm-up: every question once, so caches and JIT are not part of the measured window.
  for (const request of requests) {
    await fetch(`${url}${route}`, { method: "POST", headers: request.headers, body: request.body });
  }
  progress(`${route}: ${run.concurrency} connections for ${run.durationSeconds} s ...`);
  const loadAverage = (await readFile("/proc/loadavg", "utf8").catch(() => "")).trim();
  const samples: number[] = [];
  const databasePid = run.database?.pid;
  const cpuBefore = await processCpuMs(run.serverPid);
  const databaseCpuBefore = await processCpuMs(databasePid);
  const roundTripsBefore = await run.database?.roundTrips?.();
  const postgresBefore = await run.database?.statistics?.();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: run.concurrency,
        duration: run.durationSeconds,
        requests,
        timeout: 10,
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => {
      samples.push(responseTime);
    });
  });
  const cpuMs = (await processCpuMs(run.serverPid)) - cpuBefore;
  const databaseCpuMs = (await processCpuMs(databasePid)) - databaseCpuBefore;
  const roundTripsAfter = await run.database?.roundTrips?.();
  const postgres = postgresBefore && (await postgresWork(run.database, postgresBefore));
  const roundTrips =
    roundTripsBefore === undefined || roundTripsAfter === undefined
      ? undefined
      : roundTripsAfter - roundTripsBefore;
  const latency = latencySummary(samples);
  const total = result.requests.total;
  const cpuMsPerRequest = total > 0 ? cpuMs / total : 0;
  return {
    route,
    requests: total,
    requestsPerSecond: round(total / run.durationSeconds),
    latencyMs: { ...latency, max: round(Math.max(0, ...samples), 2) },
    errors: result.errors,
    non2xx: result.non2xx,
    timeouts: result.timeouts,
    serverCpuMsPerRequest: round(cpuMsPerRequest, 2),
    serverSingleCoreCeiling: cpuMsPerRequest > 0 ? round(1000 / cpuMsPerRequest) : 0,
    ...(databasePid === undefined || total === 0
      ? {}
      : { databaseCpuMsPerRequest: round(databaseCpuMs / total, 2) }),
    ...(postgres === undefined || total === 0
      ? {}
      : {
          databaseCpuMsPerRequest: round(postgres.cpuMs / total, 2),
          databaseTransactionsPerRequest: round(postgres.transactions / total, 2),
        }),
    ...(roundTrips === undefined || total === 0
      ? {}
      : { sqlRoundTripsPerRequest: round(roundTrips / total, 2) }),
    loadAverage,
  };
}

/**
 * Backends of the monitor's database other than its own, with their CPU so far, and the
 * database's transactions. Backends flush their counts to pg_stat_database when idle, at most
 * once a second, so the count is read until two reads 1.2 s apart agree.
 */
async function postgresStatistics(monitor: pg.Client): Promise<PostgresStatistics> {
  const backends = await monitor.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
  );
  const backendCpuMs = new Map<number, number>();
  for (const { pid } of backends.rows) backendCpuMs.set(pid, await processCpuMs(pid));
  const count = async () => {
    const result = await monitor.query<{ transactions: string }>(
      "SELECT xact_commit + xact_rollback AS transactions FROM pg_stat_database WHERE datname = current_database()",
    );
    return Number(result.rows[0]?.transactions ?? 0);
  };
  let transactions = await count();
  for (let reads = 0; reads < 10; reads++) {
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const next = await count();
    if (next === transactions) break;
    transactions = next;
  }
  return { backendCpuMs, transactions };
}

/**
 * What the database did since `before`: the CPU of the backends now connected (those that
 * connected during the load from zero) and the transactions (the monitor's own few reads
 * included: a handful against thousands of requests).
 */
async function postgresWork(
  database: ServedDatabase | undefined,
  before: PostgresStatistics,
): Promise<{ cpuMs: number; transactions: number } | undefined> {
  const after = await database?.statistics?.();
  if (!after) return undefined;
  let cpuMs = 0;
  for (const [pid, spent] of after.backendCpuMs)
    cpuMs += spent - (before.backendCpuMs.get(pid) ?? 0);
  return { cpuMs, transactions: after.transactions - before.transactions };
}
