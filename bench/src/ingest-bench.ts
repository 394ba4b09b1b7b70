// `bench ingest`: time to searchable for `lore ingest` (worker + CLI, or embedded), its re-sync, and the LangChain.js recipe.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_CHUNKING } from "@lore/core";
import { generateCorpusFolder } from "./corpus";
import { type BenchDatabase, openBenchDatabase } from "./database";
import { type EmbeddingCalls, startFakeEmbeddings } from "./fake-embeddings";
import { describeMachine, type Machine } from "./machine";
import {
  type BackendCpuWatch,
  exitedChildrenCpuMs,
  processCpuMs,
  watchBackendCpu,
} from "./process-cpu";
import { LORE_MAIN, runScript, startBackground, waitFor } from "./processes";
import {
  RECIPE_INSTALL_COMMAND,
  RECIPE_MAIN,
  type RecipeInput,
  type RecipeResult,
  recipeInstalled,
} from "./recipe-contract";
import { progress, round } from "./stats";

/** What the launcher (LORE_MAIN) runs once the bundle is current. */
const LORE_BUNDLE = fileURLToPath(new URL("../../apps/cli/dist/main.mjs", import.meta.url));

export interface IngestBenchOptions {
  /** A folder to ingest; a corpus is generated from the sample docs when omitted. */
  folder?: string;
  mode: "server" | "embedded";
  databaseUrl?: string;
  embedLatencyMs: number;
  dimensions: number;
  baseline?: "langchain";
  /** Size of the generated corpus. */
  files: number;
  megabytes: number;
}

/**
 * Where the wall clock went, from the embedding server's side: start-up and reading before the
 * first embedding request, the window in which embedding calls were made, and the writes and
 * completion after the last answer. Undefined when nothing was embedded.
 */
export interface Timeline {
  beforeFirstEmbeddingMs: number;
  embeddingWindowMs: number;
  afterLastEmbeddingMs: number;
}

function timelineOf(
  startedAt: number,
  endedAt: number,
  calls: EmbeddingCalls,
): Timeline | undefined {
  if (calls.calls === 0) return undefined;
  return {
    beforeFirstEmbeddingMs: calls.firstAt - startedAt,
    embeddingWindowMs: calls.lastDoneAt - calls.firstAt,
    afterLastEmbeddingMs: endedAt - calls.lastDoneAt,
  };
}

/**
 * CPU seconds (user + system) each process spent during one timed run. The machine's cores are
 * shared, so once they are busy, wall time follows the sum: this says whose work it was.
 */
export interface RunCpu {
  /** The timed process: `lore ingest`, or the recipe. */
  process: number;
  /** The idle-until-claimed `lore worker` (server mode). */
  worker?: number;
  /** The database's backends (a real Postgres on this machine; PGlite runs inside a process above). */
  postgres?: number;
  /** The fake embedding server: what answering this run's requests cost the same cores. */
  fakeEmbedder: number;
  total: number;
  /** /proc/loadavg when the run started: other jobs on the same cores. */
  loadAverage: string;
}

interface CpuProbes {
  workerPid?: number | undefined;
  fakePid: number | undefined;
  backends?: BackendCpuWatch | undefined;
}

/** Reads every probe now; the returned function reads them again and gives what each spent since. */
async function startCpuMeter(probes: CpuProbes): Promise<() => Promise<RunCpu>> {
  const loadAverage = (await readFile("/proc/loadavg", "utf8").catch(() => "")).trim();
  await probes.backends?.restart();
  const [children, worker, fake] = await Promise.all([
    exitedChildrenCpuMs(),
    processCpuMs(probes.workerPid),
    processCpuMs(probes.fakePid),
  ]);
  return async () => {
    const seconds = (ms: number) => round(ms / 1000, 2);
    const spent = {
      process: seconds((await exitedChildrenCpuMs()) - children),
      ...(probes.workerPid === undefined
        ? {}
        : { worker: seconds((await processCpuMs(probes.workerPid)) - worker) }),
      ...(probes.backends ? { postgres: seconds(await probes.backends.spentMs()) } : {}),
      fakeEmbedder: seconds((await processCpuMs(probes.fakePid)) - fake),
    };
    const total = spent.process + (spent.worker ?? 0) + (spent.postgres ?? 0) + spent.fakeEmbedder;
    return { ...spent, total: round(total, 2), loadAverage };
  };
}

export interface LoreIngestRun {
  wallMs: number;
  cpuSeconds: RunCpu;
  timeline: Timeline | undefined;
  /** The job's own `ms` (from claim to done), without process start-up. */
  jobMs: number | undefined;
  documents: unknown;
  chunks: unknown;
  textsEmbedded: number | undefined;
  chunksPerSecond: number | undefined;
  stages: unknown;
  embeddings: EmbeddingCalls;
  peakRssMiB: { ingestCli: number; worker?: number };
}

export interface IngestBenchResult {
  benchmark: "ingest";
  machine: Machine;
  mode: "server" | "embedded";
  database: BenchDatabase["kind"] | "pglite-embedded";
  embedLatencyMs: number;
  dimensions: number;
  corpus: { folder: string; generated: boolean; files?: number; bytes?: number };
  lore: LoreIngestRun;
  resync: LoreIngestRun & { percentOfFirst: number };
  baseline?: RecipeResult & {
    recipe: string;
    wallMs: number;
    cpuSeconds: RunCpu;
    peakRssMiB: number;
    timeline: Timeline | undefined;
    embeddings: EmbeddingCalls;
    chunksPerSecond: number;
  };
  /** Baseline wall clock / Lore wall clock: above 2 meets the target. */
  speedup?: number;
}

export async function benchIngest(options: IngestBenchOptions): Promise<IngestBenchResult> {
  if (options.baseline === "langchain" && !recipeInstalled()) {
    throw new Error(
      `--baseline langchain needs the recipe's packages, kept out of the default install: run ${RECIPE_INSTALL_COMMAND} first`,
    );
  }
  const scratch = await mkdtemp(path.join(tmpdir(), "lore-bench-ingest-"));
  const cleanups: (() => Promise<void>)[] = [() => rm(scratch, { recursive: true, force: true })];
  try {
    let corpus: IngestBenchResult["corpus"];
    if (options.folder) {
      corpus = { folder: path.resolve(options.folder), generated: false };
    } else {
      const generated = await generateCorpusFolder(path.join(scratch, "corpus"), {
        files: options.files,
        totalBytes: options.megabytes * 1024 * 1024,
      });
      corpus = { ...generated, generated: true };
      progress(
        `generated ${generated.files} files, ${round(generated.bytes / 1024 / 1024, 2)} MiB`,
      );
    }
    const fake = await startFakeEmbeddings({
      latencyMs: options.embedLatencyMs,
      dimensions: options.dimensions,
    });
    cleanups.push(() => fake.close());
    const needsWire = options.mode === "server" || options.baseline === "langchain";
    const database = needsWire ? await openBenchDatabase(options.databaseUrl) : undefined;
    if (database) cleanups.push(() => database.close());
    // A real server's backends are processes of their own; PGlite's work is inside one above.
    const backends =
      database?.kind === "postgres" ? await watchBackendCpu(database.url) : undefined;
    if (backends) cleanups.push(() => backends.close());

    const environment: NodeJS.ProcessEnv = {
      ...process.env,
      LORE_EMBED_PROVIDER: "openai",
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_API_KEY: "bench",
      LORE_EMBED_DIMENSIONS: String(options.dimensions),
      LORE_CHAT_PROVIDER: "extractive",
      LORE_AUTH: "off",
      LORE_LOG_LEVEL: "info",
      LORE_SAMPLE_DOCS: "off",
      LORE_DATA_DIR: path.join(scratch, "data"),
    };
    if (options.mode === "server" && database) environment.DATABASE_URL = database.url;
    else delete environment.DATABASE_URL;

    let workerRss: (() => Promise<number>) | undefined;
    let workerPid: number | undefined;
    if (options.mode === "server") {
      const worker = startBackground(LORE_MAIN, ["worker"], environment);
      cleanups.push(() => worker.stop());
      await waitFor(
        async () => worker.output().includes("worker started"),
        60_000,
        () =>
          worker.child.exitCode === null ? undefined : `lore worker exited: ${worker.output()}`,
      );
      workerRss = () => worker.peakRssMiB();
      workerPid = worker.child.pid;
      progress("lore worker is up");
    }
    const ingest = async (sync: boolean): Promise<LoreIngestRun> => {
      await fake.reset();
      // Untimed: the launcher rebuilds the bundle if a source changed since the worker started
      // (other work in the tree). The timed run is then the bundle itself, as an operator's
      // installed `lore` runs it (docs/operations.md), without the launcher's freshness check.
      await runScript(LORE_MAIN, ["--help"], environment);
      const args = ["ingest", corpus.folder, "--collection", "bench", "--json"];
      const cpu = await startCpuMeter({
        workerPid,
        fakePid: fake.pid,
        backends: options.mode === "server" ? backends : undefined,
      });
      const startedAt = Date.now();
      const run = await runScript(LORE_BUNDLE, sync ? [...args, "--sync"] : args, environment);
      const endedAt = Date.now();
      const cpuSeconds = await cpu();
      const embeddings = await fake.calls();
      const summary = JSON.parse(run.stdout) as Record<string, unknown>;
      const textsEmbedded =
        typeof summary.textsEmbedded === "number" ? summary.textsEmbedded : undefined;
      const written = (summary.chunks as { added?: number } | undefined)?.added;
      return {
        wallMs: Math.round(run.wallMs),
        cpuSeconds,
        timeline: timelineOf(startedAt, endedAt, embeddings),
        jobMs: typeof summary.ms === "number" ? summary.ms : undefined,
        documents: summary.documents,
        chunks: summary.chunks,
        textsEmbedded,
        chunksPerSecond: written === undefined ? undefined : round(written / (run.wallMs / 1000)),
        stages: summary.stages,
        embeddings,
        peakRssMiB: {
          ingestCli: run.peakRssMiB,
          ...(workerRss ? { worker: await workerRss() } : {}),
        },
      };
    };
    progress(`lore ingest (${options.mode}) ...`);
    const lore = await ingest(false);
    progress(`lore ingest: ${lore.wallMs} ms; re-sync ...`);
    const resync = await ingest(true);
    progress(`lore re-sync: ${resync.wallMs} ms`);

    let baseline: IngestBenchResult["baseline"];
    if (options.baseline === "langchain" && database) {
      await fake.reset();
      progress("LangChain.js recipe ...");
      const input: RecipeInput = {
        folder: corpus.folder,
        databaseUrl: database.url,
        baseUrl: fake.baseUrl,
        dimensions: options.dimensions,
        chunkSize: DEFAULT_CHUNKING.chunkSize,
        chunkOverlap: DEFAULT_CHUNKING.chunkOverlap,
      };
      const cpu = await startCpuMeter({ fakePid: fake.pid, backends });
      const startedAt = Date.now();
      const run = await runScript(RECIPE_MAIN, [JSON.stringify(input)], process.env);
      const endedAt = Date.now();
      const cpuSeconds = await cpu();
      const result = JSON.parse(run.stdout) as RecipeResult;
      const embeddings = await fake.calls();
      baseline = {
        recipe:
          "RecursiveCharacterTextSplitter + OpenAIEmbeddings (batchSize default) + PGVectorStore.addDocuments + createHnswIndex",
        ...result,
        wallMs: Math.round(run.wallMs),
        cpuSeconds,
        peakRssMiB: run.peakRssMiB,
        timeline: timelineOf(startedAt, endedAt, embeddings),
        embeddings,
        chunksPerSecond: round(result.chunks / (run.wallMs / 1000)),
      };
      progress(`LangChain.js recipe: ${baseline.wallMs} ms`);
    }
    return {
      benchmark: "ingest",
      machine: describeMachine(),
      mode: options.mode,
      database: options.mode === "embedded" ? "pglite-embedded" : (database?.kind ?? "postgres"),
      embedLatencyMs: options.embedLatencyMs,
      dimensions: options.dimensions,
      corpus,
      lore,
      resync: { ...resync, percentOfFirst: round((resync.wallMs / lore.wallMs) * 100) },
      ...(baseline ? { baseline, speedup: round(baseline.wallMs / lore.wallMs, 2) } : {}),
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}
