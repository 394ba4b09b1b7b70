// `bench query`: autocannon load on /v1/search and /v1/ask (extractive) of a `lore serve` over the sample docs or a folder.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { BENCH_QUESTIONS } from "./corpus";
import { describeMachine, type Machine } from "./machine";
import { LORE_MAIN, runScript, startBackground, waitFor } from "./processes";
import { latencySummary, progress, round } from "./stats";

export interface QueryBenchOptions {
  concurrency: number;
  durationSeconds: number;
  /** Ingested into `default` before serving; the sample docs when omitted. */
  folder?: string;
  databaseUrl?: string;
}

export interface EndpointLoad {
  route: string;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  errors: number;
  non2xx: number;
  timeouts: number;
}

export interface QueryBenchResult {
  benchmark: "query";
  machine: Machine;
  database: "pglite-embedded" | "postgres";
  corpus: string;
  chunks: number | undefined;
  concurrency: number;
  durationSeconds: number;
  search: EndpointLoad;
  ask: EndpointLoad;
  serverPeakRssMiB: number;
}

const ListeningLine = /Lore is listening on (http:\/\/[^"\s]+)/;

export async function benchQuery(options: QueryBenchOptions): Promise<QueryBenchResult> {
  const scratch = await mkdtemp(path.join(tmpdir(), "lore-bench-query-"));
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    LORE_DATA_DIR: path.join(scratch, "data"),
    LORE_EMBED_PROVIDER: "local",
    LORE_CHAT_PROVIDER: "extractive",
    LORE_AUTH: "off",
    LORE_LOG_LEVEL: "info",
    PORT: "0",
    HOST: "127.0.0.1",
    LORE_SAMPLE_DOCS: options.folder ? "off" : "on",
  };
  delete environment.OPENAI_API_KEY;
  delete environment.OPENAI_BASE_URL;
  if (options.databaseUrl) environment.DATABASE_URL = options.databaseUrl;
  else delete environment.DATABASE_URL;
  try {
    if (options.folder) {
      progress(`ingesting ${options.folder} ...`);
      await runScript(LORE_MAIN, ["ingest", path.resolve(options.folder), "--json"], environment);
    }
    const server = startBackground(LORE_MAIN, ["serve"], environment);
    try {
      let url = "";
      await waitFor(
        async () => {
          url = ListeningLine.exec(server.output())?.[1] ?? "";
          return url !== "";
        },
        120_000,
        () =>
          server.child.exitCode === null ? undefined : `lore serve exited: ${server.output()}`,
      );
      progress(`lore serve is up at ${url}`);
      const collections = (await (await fetch(`${url}/v1/collections`)).json()) as {
        collections?: { name: string; chunks: number }[];
      };
      const chunks = collections.collections?.find((item) => item.name === "default")?.chunks;
      const load = (route: string, body: (question: string) => object) =>
        runLoad(url, route, body, options.concurrency, options.durationSeconds);
      const search = await load("/v1/search", (query) => ({ query }));
      const ask = await load("/v1/ask", (question) => ({ question }));
      return {
        benchmark: "query",
        machine: describeMachine(),
        database: options.databaseUrl ? "postgres" : "pglite-embedded",
        corpus: options.folder ? path.resolve(options.folder) : "fixtures/docs (sample docs)",
        chunks,
        concurrency: options.concurrency,
        durationSeconds: options.durationSeconds,
        search,
        ask,
        serverPeakRssMiB: await server.peakRssMiB(),
      };
    } finally {
      await server.stop();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function runLoad(
  url: string,
  route: string,
  body: (question: string) => object,
  concurrency: number,
  durationSeconds: number,
): Promise<EndpointLoad> {
  const requests = BENCH_QUESTIONS.map((question) => ({
    method: "POST" as const,
    path: route,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body(question)),
  }));
  // Warm-up: every question once, so caches and JIT are not part of the measured window.
  for (const request of requests) {
    await fetch(`${url}${route}`, { method: "POST", headers: request.headers, body: request.body });
  }
  progress(`${route}: ${concurrency} connections for ${durationSeconds} s ...`);
  const samples: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, connections: concurrency, duration: durationSeconds, requests, timeout: 10 },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => {
      samples.push(responseTime);
    });
  });
  const latency = latencySummary(samples);
  return {
    route,
    requests: result.requests.total,
    requestsPerSecond: round(result.requests.total / durationSeconds),
    latencyMs: { ...latency, max: round(Math.max(0, ...samples), 2) },
    errors: result.errors,
    non2xx: result.non2xx,
    timeouts: result.timeouts,
  };
}
