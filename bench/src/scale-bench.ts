// `bench scale`: HNSW search latency and recall@10 against exact search at growing corpus sizes.
import { createHash } from "node:crypto";
import { type Collection, ensureCollection, type LoreContext, search } from "@lore/core";
import {
  chooseEfSearch,
  chunks,
  DEFAULT_HNSW_EF_SEARCH,
  documents,
  dropVectorIndex,
  ensureVectorIndex,
  type HnswParameters,
  type LoreDb,
  migrate,
  openDatabase,
  queryRows,
  vectorBinary,
  vectorCast,
  vectorIndexParameters,
} from "@lore/db";
import { createLocalEmbedder, type Embedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { BENCH_QUESTIONS, type ChunkText, generateChunkTexts } from "./corpus";
import { describeMachine, type Machine } from "./machine";
import { latencySummary, progress, round } from "./stats";

export interface ScaleBenchOptions {
  sizes: number[];
  dimensions: number;
  /** Graph parameters to build with; unset ones are Lore's choice for the rows (ensureVectorIndex). */
  hnsw: Partial<HnswParameters>;
  /** ef_search values measured at each size (pgvector's default is 40), besides Lore's choice. */
  efSearch: number[];
  queries: number;
  /**
   * maintenance_work_mem for the index builds, in MB. A graph larger than it is built on disk,
   * many times slower; Lore itself never bulk-builds (the index exists before the first row).
   */
  maintenanceWorkMemMb: number;
  /** hnsw.iterative_scan for the measured session; unset: Lore's own session setting. */
  iterativeScan?: "off" | "relaxed_order" | "strict_order";
  databaseUrl?: string;
}

export interface ScalePoint {
  chunks: number;
  insertMs: number;
  indexBuildMs: number;
  /** The graph the index was built with (its reloptions). */
  graph: HnswParameters;
  /** The ef_search Lore's search chose at this size (chooseEfSearch), measured among `ann`. */
  chosenEfSearch: number;
  /** Whether the planner used the HNSW index for the ANN query (EXPLAIN). */
  annUsesIndex: boolean;
  exactMs: { p50: number; p95: number };
  ann: { efSearch: number; recallAt10: number; latencyMs: { p50: number; p95: number } }[];
  /** The whole /v1/search verb (embed + hybrid retrieval: ANN + BM25 + fusion) at the chosen ef_search. */
  searchVerbMs: { p50: number; p95: number; p99: number };
}

export interface ScaleBenchResult {
  benchmark: "scale";
  machine: Machine;
  database: "pglite-embedded" | "postgres";
  dimensions: number;
  /** m and ef_construction as given; unset: chosen by size (each point's `graph`). */
  hnsw: { m?: number; efConstruction?: number; efSearch: number[]; iterativeScan: string };
  maintenanceWorkMemMb: number;
  queries: number;
  points: ScalePoint[];
}

const COLLECTION = "bench-scale";
const DOCUMENT_SIZE = 50;
const INSERT_BATCH = 250;

export async function benchScale(options: ScaleBenchOptions): Promise<ScaleBenchResult> {
  const sizes = [...options.sizes].sort((left, right) => left - right);
  const database = await openDatabase(
    options.databaseUrl
      ? { kind: "postgres", url: options.databaseUrl, poolSize: 1 }
      : { kind: "pglite-memory" },
  );
  try {
    await migrate(database);
    await database.db.execute(
      sql.raw(`SET maintenance_work_mem = '${Math.trunc(options.maintenanceWorkMemMb)}MB'`),
    );
    if (options.iterativeScan) {
      await database.db.execute(sql.raw(`SET hnsw.iterative_scan = ${options.iterativeScan}`));
    }
    const embedder = createLocalEmbedder({ dimensions: options.dimensions });
    const context: LoreContext = { db: database.db, embedder };
    const collection = await ensureCollection(context, COLLECTION);
    const largest = sizes.at(-1) ?? 0;
    progress(`generating ${largest} chunk texts ...`);
    const texts = await generateChunkTexts(largest);
    const queries = benchQueries(texts, options.queries);
    const queryVectors = await embedder.embed(queries);
    const points: ScalePoint[] = [];
    let inserted = 0;
    for (const size of sizes) {
      // The index is dropped while rows go in and rebuilt after: the build time is the measured cost.
      await dropVectorIndex(database.db, options.dimensions);
      const insertStarted = performance.now();
      await insertChunks(database.db, embedder, collection, texts.slice(inserted, size), inserted);
      inserted = size;
      const insertMs = performance.now() - insertStarted;
      progress(`${size} chunks inserted in ${Math.round(insertMs)} ms; building HNSW ...`);
      const buildStarted = performance.now();
      await ensureVectorIndex(database.db, options.dimensions, {
        ...options.hnsw,
        buildMemoryMb: options.maintenanceWorkMemMb,
      });
      await database.db.execute(sql`ANALYZE chunks`);
      const indexBuildMs = performance.now() - buildStarted;
      const graph = (await vectorIndexParameters(database.db, options.dimensions)) ?? {
        m: 0,
        efConstruction: 0,
      };
      progress(
        `HNSW (m=${graph.m}, ef_construction=${graph.efConstruction}) built in ${Math.round(indexBuildMs)} ms`,
      );
      const chosenEfSearch = chooseEfSearch(size);
      const exact = await timeQueries(database.db, collection, queryVectors, { exact: true });
      const ann: ScalePoint["ann"] = [];
      const measured = [...new Set([chosenEfSearch, ...options.efSearch])].sort((a, b) => a - b);
      for (const efSearch of measured) {
        await database.db.execute(sql.raw(`SET hnsw.ef_search = ${Math.trunc(efSearch)}`));
        const approximate = await timeQueries(database.db, collection, queryVectors, {
          exact: false,
        });
        const recall = recallAt10(exact.distances, approximate.distances);
        ann.push({
          efSearch,
          recallAt10: round(recall, 3),
          latencyMs: pick(latencySummary(approximate.ms)),
        });
      }
      // Back to the value openDatabase set, which Lore's search takes its connection to hold:
      // the search verb then runs at the ef_search Lore chooses for its collection.
      await database.db.execute(sql.raw(`SET hnsw.ef_search = ${DEFAULT_HNSW_EF_SEARCH}`));
      const verbMs: number[] = [];
      for (const query of queries) {
        const started = performance.now();
        await search(context, { query, collection: COLLECTION, topK: 10 });
        verbMs.push(performance.now() - started);
      }
      const point: ScalePoint = {
        chunks: size,
        insertMs: Math.round(insertMs),
        indexBuildMs: Math.round(indexBuildMs),
        graph,
        chosenEfSearch,
        annUsesIndex: await annUsesIndex(database.db, collection, queryVectors[0] ?? []),
        exactMs: pick(latencySummary(exact.ms)),
        ann,
        searchVerbMs: latencySummary(verbMs),
      };
      progress(`${size}: ${JSON.stringify(point)}`);
      points.push(point);
    }
    return {
      benchmark: "scale",
      machine: describeMachine(),
      database: options.databaseUrl ? "postgres" : "pglite-embedded",
      dimensions: options.dimensions,
      hnsw: {
        ...options.hnsw,
        efSearch: options.efSearch,
        iterativeScan: await currentSetting(database.db, "hnsw.iterative_scan"),
      },
      maintenanceWorkMemMb: options.maintenanceWorkMemMb,
      queries: queries.length,
      points,
    };
  } finally {
    await database.close();
  }
}

function pick(summary: { p50: number; p95: number }): { p50: number; p95: number } {
  return { p50: summary.p50, p95: summary.p95 };
}

/** The sample-docs questions, then the opening words of varied chunks, as realistic short queries. */
export function benchQueries(texts: readonly ChunkText[], count: number): string[] {
  const queries: string[] = [...BENCH_QUESTIONS].slice(0, count);
  for (let index = 0; queries.length < count && texts.length > 0; index++) {
    const text = texts[(index * 7919) % texts.length] as ChunkText;
    queries.push(
      text.text
        .replace(/[#*`|>-]/g, " ")
        .split(/\s+/)
        .filter(Boolean)
        .slice(0, 8)
        .join(" "),
    );
  }
  return queries;
}

async function insertChunks(
  db: LoreDb,
  embedder: Embedder,
  collection: Collection,
  texts: readonly ChunkText[],
  offset: number,
): Promise<void> {
  for (let start = 0; start < texts.length; start += INSERT_BATCH) {
    const batch = texts.slice(start, start + INSERT_BATCH);
    const vectors = await embedder.embed(batch.map((chunk) => chunk.text));
    await db.transaction(async (transaction) => {
      const firstDocument = Math.floor((offset + start) / DOCUMENT_SIZE);
      const lastDocument = Math.floor((offset + start + batch.length - 1) / DOCUMENT_SIZE);
      const documentRows = [];
      for (let number = firstDocument; number <= lastDocument; number++) {
        documentRows.push({
          id: `doc_bench${number}`,
          collectionId: collection.id,
          source: `generated/doc-${number}.md`,
          title: `Generated ${number}`,
          contentHash: String(number),
          mimeType: "text/markdown",
        });
      }
      await transaction.insert(documents).values(documentRows).onConflictDoNothing();
      await transaction.insert(chunks).values(
        batch.map((chunk, index) => {
          const position = offset + start + index;
          return {
            id: `chk_bench${position}`,
            documentId: `doc_bench${Math.floor(position / DOCUMENT_SIZE)}`,
            collectionId: collection.id,
            ordinal: position % DOCUMENT_SIZE,
            text: chunk.text,
            heading: chunk.heading,
            startLine: 1,
            endLine: chunk.text.split("\n").length,
            tokenCount: chunk.text.split(/\s+/).length,
            contentHash: createHash("sha256").update(chunk.text).digest("hex"),
            embedding: vectors[index] ?? [],
          };
        }),
      );
    });
  }
}

// Hybrid retrieval takes this many vector candidates (DEFAULT_RETRIEVAL.candidates in core) and
// ranks them by distance, so the ANN's top 10 as Lore sees it is the best 10 of these.
const CANDIDATES = 40;
const TOP_K = 10;

// The vector half of hybrid retrieval (same cast and predicate, so the same partial index applies).
function annQuery(collection: Collection, vector: readonly number[], limit: number) {
  const cast = sql.raw(vectorCast(collection.embeddingDimensions));
  const dimensions = sql.raw(String(Math.trunc(collection.embeddingDimensions)));
  const target = vectorBinary(vector);
  return sql`SELECT c.embedding::${cast} <=> ${target}::${cast} AS distance FROM chunks c
    WHERE c.collection_id = ${collection.id} AND vector_dims(c.embedding) = ${dimensions}
    ORDER BY c.embedding::${cast} <=> ${target}::${cast}
    LIMIT ${limit}`;
}

/** Each query's distances, nearest first: the exact top 10, or the ANN's candidates. */
async function timeQueries(
  db: LoreDb,
  collection: Collection,
  vectors: readonly number[][],
  options: { exact: boolean },
): Promise<{ distances: number[][]; ms: number[] }> {
  const distances: number[][] = [];
  const ms: number[] = [];
  for (const vector of vectors) {
    const started = performance.now();
    const rows = options.exact
      ? await db.transaction(async (transaction) => {
          await transaction.execute(sql`SET LOCAL enable_indexscan = off`);
          return queryRows<{ distance: number }>(transaction, annQuery(collection, vector, TOP_K));
        })
      : await queryRows<{ distance: number }>(db, annQuery(collection, vector, CANDIDATES));
    ms.push(performance.now() - started);
    distances.push(rows.map((row) => Number(row.distance)).sort((left, right) => left - right));
  }
  return { distances, ms };
}

/**
 * Share of the exact top 10 found in the ANN's top 10. Compared by distance, not id: generated
 * near-duplicate chunks tie, and a tie for 10th place is as good an answer as the one the scan kept.
 */
function recallAt10(exact: readonly number[][], approximate: readonly number[][]): number {
  let total = 0;
  for (const [index, truth] of exact.entries()) {
    const threshold = (truth.at(-1) ?? Number.POSITIVE_INFINITY) + 1e-9;
    const found = (approximate[index] ?? [])
      .slice(0, TOP_K)
      .filter((distance) => distance <= threshold);
    total += Math.min(found.length, truth.length) / Math.max(1, truth.length);
  }
  return total / Math.max(1, exact.length);
}

async function annUsesIndex(
  db: LoreDb,
  collection: Collection,
  vector: readonly number[],
): Promise<boolean> {
  const plan = await queryRows<{ "QUERY PLAN": string }>(
    db,
    sql`EXPLAIN ${annQuery(collection, vector, CANDIDATES)}`,
  );
  return plan.some((row) => row["QUERY PLAN"].includes("chunks_embedding_hnsw"));
}

async function currentSetting(db: LoreDb, name: string): Promise<string> {
  const [row] = await queryRows<{ value: string }>(
    db,
    sql`SELECT current_setting(${name}) AS value`,
  );
  return row?.value ?? "";
}
