#!/usr/bin/env node
// `pnpm bench`: ingest, query-load and scale benchmarks; each prints one JSON object on stdout, progress on stderr.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_RETRIEVAL, TEXT_RESCORE_PER_CANDIDATE } from "@lore/core";
import { DEFAULT_HNSW_EF_SEARCH } from "@lore/db";
import { Command, InvalidArgumentError } from "commander";
import { ScaleChartInput, scaleChartSvg } from "./chart";
import { generateChunkTexts } from "./corpus";
import { benchIngest } from "./ingest-bench";
import { benchInsights } from "./insights-bench";
import { benchQuery, type QueryRoute } from "./query-bench";
import { benchQueries, benchScale } from "./scale-bench";
import { benchText } from "./text-bench";

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return number;
  };
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const program = new Command("bench")
  .description(
    "Lore's benchmarks; each prints one JSON object on stdout (progress on stderr; use `pnpm --silent bench`). Without DATABASE_URL or --database-url they run on PGlite (WASM Postgres + pgvector, one backend): numbers for a real Postgres need a real one.",
  )
  .showHelpAfterError();

program
  .command("ingest [dir]")
  .description(
    "time to searchable for `lore worker` + `lore ingest --json` (or embedded `lore ingest`), its unchanged re-sync, and optionally the LangChain.js recipe on the same database, embedding server and files",
  )
  .option(
    "--mode <mode>",
    "server (worker + CLI over DATABASE_URL) or embedded (PGlite data dir)",
    "server",
  )
  .option(
    "--database-url <url>",
    "a real Postgres with pgvector (default: DATABASE_URL, else PGlite over the wire)",
  )
  .option(
    "--embed-latency-ms <ms>",
    "latency of every embedding call",
    integer("--embed-latency-ms", 0, 60_000),
    300,
  )
  .option("--dimensions <n>", "embedding size", integer("--dimensions", 8, 2000), 1536)
  .option("--baseline <name>", "also run this recipe side by side: langchain")
  .option(
    "--files <n>",
    "files in the generated corpus (no dir)",
    integer("--files", 1, 100_000),
    76,
  )
  .option("--megabytes <n>", "size of the generated corpus (no dir)", Number, 3)
  .action(
    async (
      folder: string | undefined,
      options: {
        mode: string;
        databaseUrl?: string;
        embedLatencyMs: number;
        dimensions: number;
        baseline?: string;
        files: number;
        megabytes: number;
      },
    ) => {
      if (options.mode !== "server" && options.mode !== "embedded") {
        throw new InvalidArgumentError("--mode must be server or embedded");
      }
      if (options.baseline !== undefined && options.baseline !== "langchain") {
        throw new InvalidArgumentError("--baseline must be langchain");
      }
      if (!(options.megabytes > 0)) throw new InvalidArgumentError("--megabytes must be positive");
      const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
      printJson(
        await benchIngest({
          mode: options.mode,
          embedLatencyMs: options.embedLatencyMs,
          dimensions: options.dimensions,
          files: options.files,
          megabytes: options.megabytes,
          ...(folder ? { folder } : {}),
          ...(databaseUrl ? { databaseUrl } : {}),
          ...(options.baseline === "langchain" ? { baseline: "langchain" as const } : {}),
        }),
      );
    },
  );

program
  .command("query [dir]")
  .description(
    "load /v1/search and /v1/ask (extractive) of `lore serve` with autocannon: requests/s, p50/p95/p99, errors (sample docs, or [dir] ingested first)",
  )
  .option("--concurrency <n>", "connections", integer("--concurrency", 1, 1024), 16)
  .option("--duration <seconds>", "seconds of load per route", integer("--duration", 1, 3600), 10)
  .option(
    "--mode <mode>",
    "embedded (PGlite inside `lore serve`) or server (DATABASE_URL: the database in another process; default with --database-url)",
  )
  .option(
    "--database-url <url>",
    "serve from a real Postgres (default: DATABASE_URL, else PGlite: embedded, or over the wire in server mode)",
  )
  .option(
    "--cpu-prof <dir>",
    "write `lore serve`'s V8 CPU profile (node --cpu-prof) to this folder",
  )
  .option(
    "--collection <name>",
    "query this existing collection of the server database without ingesting (e.g. `bench-scale`, which `bench scale` fills)",
  )
  .option(
    "--dimensions <n>",
    "the local embedder's size for --collection (bench scale's default: 1024)",
    integer("--dimensions", 8, 2000),
  )
  .option(
    "--auth",
    "serve with LORE_AUTH=required and load it with a key that has a rate limit and a token quota (server mode)",
  )
  .option("--routes <list>", "routes to load, in order: search, ask", queryRoutes, [
    "search",
    "ask",
  ])
  .action(
    async (
      folder: string | undefined,
      options: {
        concurrency: number;
        duration: number;
        mode?: string;
        databaseUrl?: string;
        cpuProf?: string;
        collection?: string;
        dimensions?: number;
        auth?: boolean;
        routes: QueryRoute[];
      },
    ) => {
      const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
      const mode = options.mode ?? (databaseUrl ? "server" : "embedded");
      if (mode !== "server" && mode !== "embedded") {
        throw new InvalidArgumentError("--mode must be server or embedded");
      }
      if (mode === "embedded" && databaseUrl) {
        throw new InvalidArgumentError("--mode embedded takes no database URL");
      }
      if (options.collection && (!databaseUrl || folder)) {
        throw new InvalidArgumentError("--collection needs a database URL and no [dir]");
      }
      printJson(
        await benchQuery({
          concurrency: options.concurrency,
          durationSeconds: options.duration,
          mode,
          ...(folder ? { folder } : {}),
          ...(databaseUrl ? { databaseUrl } : {}),
          ...(options.cpuProf ? { cpuProfileDir: options.cpuProf } : {}),
          ...(options.collection ? { existingCollection: options.collection } : {}),
          ...(options.dimensions ? { embedDimensions: options.dimensions } : {}),
          ...(options.auth ? { auth: true } : {}),
          routes: options.routes,
        }),
      );
    },
  );

function queryRoutes(value: string): QueryRoute[] {
  const routes = value.split(",").map((part) => part.trim());
  for (const route of routes) {
    if (route !== "search" && route !== "ask") {
      throw new InvalidArgumentError("--routes takes search and/or ask");
    }
  }
  return routes as QueryRoute[];
}

function integerList(name: string, min: number, max: number) {
  const one = integer(name, min, max);
  return (value: string): number[] => value.split(",").map((part) => one(part.trim()));
}

program
  .command("scale")
  .description(
    "search latency (p50/p95) and recall@10 of the HNSW index against exact search, at growing numbers of chunks generated from the sample docs",
  )
  .option(
    "--sizes <list>",
    "chunk counts",
    integerList("--sizes", 10, 10_000_000),
    [10_000, 100_000],
  )
  .option(
    "--dimensions <n>",
    "embedding size (local embedder)",
    integer("--dimensions", 8, 2000),
    1024,
  )
  .option(
    "--m <n>",
    "HNSW m (default: Lore's choice for the rows built over)",
    integer("--m", 2, 100),
  )
  .option(
    "--ef-construction <n>",
    "HNSW ef_construction (default: Lore's choice for the rows built over)",
    integer("--ef-construction", 4, 1000),
  )
  .option(
    "--ef-search <list>",
    "hnsw.ef_search values to measure besides Lore's choice at each size (the search verb runs at that)",
    integerList("--ef-search", 1, 1000),
    [DEFAULT_HNSW_EF_SEARCH, 40, 200],
  )
  .option("--queries <n>", "queries per measurement", integer("--queries", 1, 10_000), 50)
  .option(
    "--maintenance-work-mem <mb>",
    "maintenance_work_mem for the index builds, in MB (a graph that does not fit is built on disk, far slower)",
    integer("--maintenance-work-mem", 1, 16_384),
    1024,
  )
  .option(
    "--iterative-scan <mode>",
    "hnsw.iterative_scan: off, relaxed_order or strict_order (default: Lore's session setting, relaxed_order)",
  )
  .option(
    "--database-url <url>",
    "a real Postgres with pgvector (default: DATABASE_URL, else in-process PGlite)",
  )
  .option("--svg <file>", "also write the latency chart here")
  .action(
    async (options: {
      sizes: number[];
      dimensions: number;
      m?: number;
      efConstruction?: number;
      efSearch: number[];
      queries: number;
      iterativeScan?: string;
      maintenanceWorkMem: number;
      databaseUrl?: string;
      svg?: string;
    }) => {
      const iterativeScan = options.iterativeScan;
      if (
        iterativeScan !== undefined &&
        iterativeScan !== "off" &&
        iterativeScan !== "relaxed_order" &&
        iterativeScan !== "strict_order"
      ) {
        throw new InvalidArgumentError(
          "--iterative-scan must be off, relaxed_order or strict_order",
        );
      }
      const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
      const result = await benchScale({
        sizes: options.sizes,
        dimensions: options.dimensions,
        hnsw: {
          ...(options.m === undefined ? {} : { m: options.m }),
          ...(options.efConstruction === undefined
            ? {}
            : { efConstruction: options.efConstruction }),
        },
        efSearch: options.efSearch,
        queries: options.queries,
        maintenanceWorkMemMb: options.maintenanceWorkMem,
        ...(iterativeScan ? { iterativeScan } : {}),
        ...(databaseUrl ? { databaseUrl } : {}),
      });
      if (options.svg) await writeSvg(options.svg, scaleChartSvg(result));
      printJson(result);
    },
  );

program
  .command("insights")
  .description(
    "the insights queries (gaps, usage) over a seeded query log on a real Postgres: p50/p95/p99 ms",
  )
  .option("--rows <n>", "query rows to seed", integer("--rows", 1, 10_000_000), 100_000)
  .option("--runs <n>", "timed runs of each query", integer("--runs", 1, 10_000), 40)
  .option("--database-url <url>", "the server (default: DATABASE_URL)")
  .action(async (options: { rows: number; runs: number; databaseUrl?: string }) => {
    const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
    if (!databaseUrl)
      throw new InvalidArgumentError("bench insights needs DATABASE_URL or --database-url");
    printJson(await benchInsights({ databaseUrl, rows: options.rows, runs: options.runs }));
  });

program
  .command("text")
  .description(
    "the full-text (BM25) half alone on an existing collection (e.g. the one `bench scale` fills): latency and top-10/40 overlap with exact BM25 at each candidate budget",
  )
  .option("--collection <name>", "the collection to query", "bench-scale")
  .option(
    "--dimensions <n>",
    "the collection's local-embedder size",
    integer("--dimensions", 8, 2000),
    1024,
  )
  .option(
    "--budgets <list>",
    "candidate budgets (TEXT_CANDIDATE_BUDGET) to compare with the unbounded, exact ranking",
    integerList("--budgets", 1, 10_000_000),
    [500, 2000, 8000],
  )
  .option(
    "--rescores <list>",
    "candidates of each budget scored by exact BM25, the best by ts_rank (default: TEXT_RESCORE_PER_CANDIDATE x 40)",
    integerList("--rescores", 1, 10_000_000),
    [TEXT_RESCORE_PER_CANDIDATE * DEFAULT_RETRIEVAL.candidates],
  )
  .option(
    "--queries <n>",
    "queries (as bench scale picks them)",
    integer("--queries", 1, 10_000),
    50,
  )
  .option("--database-url <url>", "the server (default: DATABASE_URL)")
  .action(
    async (options: {
      collection: string;
      dimensions: number;
      budgets: number[];
      rescores: number[];
      queries: number;
      databaseUrl?: string;
    }) => {
      const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
      if (!databaseUrl)
        throw new InvalidArgumentError("bench text needs DATABASE_URL or --database-url");
      // The same queries bench scale times: the sample questions, then chunk openings.
      const texts = await generateChunkTexts(Math.max(1000, options.queries * 20));
      printJson(
        await benchText({
          databaseUrl,
          collection: options.collection,
          dimensions: options.dimensions,
          budgets: options.budgets,
          rescores: options.rescores,
          queries: benchQueries(texts, options.queries),
        }),
      );
    },
  );

program
  .command("chart <scale-json> <svg>")
  .description("redraw the latency chart from a saved `bench scale` result")
  .action(async (input: string, output: string) => {
    const result = ScaleChartInput.parse(JSON.parse(await readFile(input, "utf8")));
    await writeSvg(output, scaleChartSvg(result));
    printJson({ chart: path.resolve(output), sizes: result.points.map((point) => point.chunks) });
  });

async function writeSvg(file: string, svg: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, svg);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(
    `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
}
