// Builds the HNSW cosine index for one embedding dimension (each collection's embedder fixes its own).
import { sql } from "drizzle-orm";
import { writesChunksByCopy } from "./chunk-rows";
import { hnswSession } from "./hnsw-session";
import { postgresPool } from "./postgres-pool";
import { queryRows } from "./query";
import type { LoreDb, LoreTransaction } from "./types";

export interface HnswParameters {
  m: number;
  efConstruction: number;
}

/** How an index is built: its graph parameters and the memory the build may use. */
export interface VectorIndexSettings extends HnswParameters {
  /**
   * `maintenance_work_mem` of the build, in MiB. pgvector builds far faster while the graph fits
   * in it (at Postgres' default 64 MB, ~8k vectors of 1,536 dimensions already do not).
   */
  buildMemoryMb: number;
  /**
   * Parallel workers of a build on Postgres (`max_parallel_maintenance_workers`); 0 builds in the
   * one backend; unset, the server's setting decides (Postgres' default is 2). On the bench's
   * 2-core machine, idle, 5,776 vectors of 1,536 dimensions built in 2.8–3.0 s serially and in
   * 1.8–2.1 s with one or two workers; under other jobs' load (~3) one worker took 4.1 s against
   * 2.6–2.9 serially, as the workers compete for busy cores (docs/scaling.md).
   */
  buildWorkers?: number;
}

// Freeing a block this size (malloc'd by mmap) makes glibc move its mmap threshold to 8 MiB and
// its trim threshold to twice that, well above what one vector's insert frees (the threshold's
// ceiling is 32 MiB on 64-bit).
const HEAP_WARM_UP_BYTES = 8 * 1024 * 1024;

/** The graph of an index built over fewer than LARGE_HNSW_MIN_ROWS vectors (a first ingest). */
export const DEFAULT_HNSW: HnswParameters = { m: 16, efConstruction: 64 };

/** Vectors of one dimension from which a build uses a denser graph than DEFAULT_HNSW. */
export const LARGE_HNSW_MIN_ROWS = 20_000;

/**
 * The graph of a build by the vectors it is built over, from the smallest: each applies from
 * `fromRows` on. On the bench's corpus (near-duplicates, HNSW's hard case) recall@10 against
 * exact search at ef_search 400 with 16/64 was 0.988 at 20k chunks, 0.964 at 30k, 0.930 at 40k
 * and 0.792 at 100k; with 32/128 0.986 at 50k but 0.932-0.970 at 100k (two builds); with 48/192
 * 0.982 at 100k. Each step costs build time: bench/README.md.
 */
export const HNSW_GRAPH_TIERS: readonly (HnswParameters & { fromRows: number })[] = [
  { fromRows: 0, ...DEFAULT_HNSW },
  { fromRows: LARGE_HNSW_MIN_ROWS, m: 32, efConstruction: 128 },
  { fromRows: 50_000, m: 48, efConstruction: 192 },
];

export const DEFAULT_VECTOR_INDEX: VectorIndexSettings = {
  ...DEFAULT_HNSW,
  buildMemoryMb: 256,
};

/**
 * The graph for a build over `rows` vectors (HNSW_GRAPH_TIERS), so a small first ingest builds
 * as fast as before. Configured values (LORE_HNSW_M, LORE_HNSW_EF_CONSTRUCTION) win; an unset
 * ef_construction is at least 2·m, pgvector's minimum.
 */
export function chooseHnswParameters(
  rows: number,
  configured: Partial<HnswParameters> = {},
): HnswParameters {
  const chosen = tierFor(HNSW_GRAPH_TIERS, rows);
  const m = configured.m ?? chosen.m;
  return { m, efConstruction: configured.efConstruction ?? Math.max(chosen.efConstruction, 2 * m) };
}

/**
 * `hnsw.ef_search` of a session before any search chose one, and of searches over fewer than
 * 10,000 vectors: against exact search, 100 measured recall@10 0.968 at 10k chunks (pgvector's
 * default 40: 0.938) for 1-3 ms more (`pnpm bench scale`, bench/README.md).
 */
export const DEFAULT_HNSW_EF_SEARCH = 100;

/**
 * ef_search by the vectors of the searched dimension (the graph the scan walks), from the
 * smallest: each applies from `fromRows` on. On the bench's corpus, recall@10 against exact
 * search at 100 fell to 0.922-0.948 at 10k-20k chunks (200: 0.976-0.996), and at 100k the
 * 48/192 graph reached 0.966 at 200, 0.982 at 400 (bench/README.md).
 */
export const HNSW_EF_SEARCH_TIERS: readonly { fromRows: number; efSearch: number }[] = [
  { fromRows: 0, efSearch: DEFAULT_HNSW_EF_SEARCH },
  { fromRows: 10_000, efSearch: 200 },
  { fromRows: 50_000, efSearch: 400 },
];

/** The ef_search a search over an index of `rows` vectors runs with (LORE_HNSW_EF_SEARCH aside). */
export function chooseEfSearch(rows: number): number {
  return tierFor(HNSW_EF_SEARCH_TIERS, rows).efSearch;
}

/** The last of `tiers` (sorted by `fromRows`, the first from 0) that applies at `rows`. */
function tierFor<Tier extends { fromRows: number }>(tiers: readonly Tier[], rows: number): Tier {
  return tiers.reduce((chosen, tier) => (rows >= tier.fromRows ? tier : chosen));
}

/** The partial index serving one embedding dimension. */
export function vectorIndexName(dimensions: number): string {
  return `chunks_embedding_hnsw_${Math.trunc(dimensions)}`;
}

/**
 * `chunks.embedding` has no fixed dimension, so the index is a partial expression index per
 * dimension; retrieval repeats the same cast and predicate (see `vectorCast`) to use it. A cheap
 * no-op when it exists: CREATE INDEX would first wait for a lock that concurrent writers hold.
 * Unset graph parameters are chosen from the rows it is built over (chooseHnswParameters); an
 * index keeps them as the table grows, until it is dropped and built again.
 */
export async function ensureVectorIndex(
  db: LoreDb,
  dimensions: number,
  settings: Partial<VectorIndexSettings> = {},
): Promise<void> {
  if (await vectorIndexExists(db, dimensions)) return;
  const dims = Math.trunc(dimensions);
  const parameters = await buildParameters(db, dims, settings);
  // Asked before the transaction: the probe may need a second connection of the pool.
  const setup = await indexBuildSetup(db, settings, "LOCAL");
  await db.transaction(async (transaction) => {
    for (const statement of setup) await transaction.execute(sql.raw(statement));
    await transaction.execute(
      sql.raw(createIndexSql(`IF NOT EXISTS ${vectorIndexName(dims)}`, dims, parameters)),
    );
  });
  // A build follows a bulk load: this process's searches count the vectors again.
  hnswSession(db)?.rows.delete(dims);
}

/**
 * Builds the dimension's index anew with the graph its vectors call for now (configured values
 * win), for an index that grew past LARGE_HNSW_MIN_ROWS through ingests too small to rebuild it
 * (it keeps the graph it was built with). On Postgres the new index is built CONCURRENTLY beside
 * the old one, which serves searches while writes go on, and replaces it in one short
 * transaction; on PGlite the index is dropped and built. Returns the new graph's parameters.
 */
export async function rebuildVectorIndex(
  db: LoreDb,
  dimensions: number,
  settings: Partial<VectorIndexSettings> = {},
): Promise<HnswParameters> {
  const dims = Math.trunc(dimensions);
  const pool = postgresPool(db);
  if (!pool) {
    await dropVectorIndex(db, dims);
    await ensureVectorIndex(db, dims, settings);
    return (await vectorIndexParameters(db, dims)) ?? chooseHnswParameters(0, settings);
  }
  const parameters = await buildParameters(db, dims, settings);
  const setup = await indexBuildSetup(db, settings, "SESSION");
  const name = vectorIndexName(dims);
  const next = `${name}_next`;
  const client = await pool.connect();
  try {
    for (const statement of setup) await client.query(statement);
    // An invalid one a failed rebuild left behind.
    await client.query(`DROP INDEX IF EXISTS ${next}`);
    await client.query(createIndexSql(`CONCURRENTLY ${next}`, dims, parameters));
    await client.query("BEGIN");
    await client.query(`DROP INDEX IF EXISTS ${name}`);
    await client.query(`ALTER INDEX ${next} RENAME TO ${name}`);
    await client.query("COMMIT");
    // Discarded: its session holds the build's settings.
    client.release(true);
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  hnswSession(db)?.rows.delete(dims);
  return parameters;
}

/**
 * The graph the index was built with and the one its vectors call for now, when that one is
 * denser: the index grew past LARGE_HNSW_MIN_ROWS without a rebuild (see rebuildVectorIndex).
 */
export async function outgrownVectorIndex(
  db: LoreDb,
  dimensions: number,
  settings: Partial<HnswParameters> = {},
): Promise<{ built: HnswParameters; wanted: HnswParameters; rows: number } | undefined> {
  const built = await vectorIndexParameters(db, dimensions);
  if (!built) return undefined;
  const rows = await vectorRows(db, dimensions);
  const wanted = chooseHnswParameters(rows, settings);
  return wanted.m > built.m || wanted.efConstruction > built.efConstruction
    ? { built, wanted, rows }
    : undefined;
}

async function buildParameters(
  db: LoreDb,
  dimensions: number,
  settings: Partial<HnswParameters>,
): Promise<HnswParameters> {
  const configured = settings.m !== undefined && settings.efConstruction !== undefined;
  return chooseHnswParameters(configured ? 0 : await vectorRows(db, dimensions), settings);
}

/** What precedes an index build: SET LOCAL inside its transaction, or SET on its own session. */
export async function indexBuildSetup(
  db: LoreDb,
  settings: Partial<VectorIndexSettings>,
  scope: "LOCAL" | "SESSION",
): Promise<string[]> {
  const { buildMemoryMb, buildWorkers } = { ...DEFAULT_VECTOR_INDEX, ...settings };
  const set = scope === "LOCAL" ? "SET LOCAL" : "SET";
  const statements = [`${set} maintenance_work_mem = '${Math.trunc(buildMemoryMb)}MB'`];
  if (await writesChunksByCopy(db)) {
    // glibc hands freed heap back to the kernel once 128 KiB sit free at its top, and the build
    // frees scratch memory after every vector: on a backend that has never freed a large block
    // (one that only ran small queries) the heap shrinks and regrows thousands of times, and on
    // this VM a third of the build went to the kernel. Allocating and freeing 8 MiB first makes
    // glibc raise its trim threshold for this backend (the bench's 5,776 vectors on a fresh
    // connection: 6.6-7.9 CPU-s without, 3.4-4.0 with; docs/scaling.md). Real Postgres only:
    // PGlite served over the wire drops the connection on it, and its one heap is WASM's.
    // (Parallel workers are fresh processes and do not get it.)
    statements.push(`SELECT length(repeat('x', ${HEAP_WARM_UP_BYTES}))`);
  }
  if (postgresPool(db)) {
    // Unset, the server's max_parallel_maintenance_workers says how many workers (PGlite has
    // none). Postgres plans them by the heap's size, and the vectors live in TOAST, so thousands
    // of chunks (7.8 MB of heap for 5,776) look too small for any: unless the build is to be
    // serial, the threshold goes to 0.
    const workers = buildWorkers === undefined ? undefined : Math.max(0, Math.trunc(buildWorkers));
    if (workers !== undefined)
      statements.push(`${set} max_parallel_maintenance_workers = ${workers}`);
    if (workers !== 0) statements.push(`${set} min_parallel_table_scan_size = 0`);
  }
  return statements;
}

/** CREATE INDEX `target` (the name, led by IF NOT EXISTS or CONCURRENTLY) for one dimension. */
function createIndexSql(target: string, dims: number, parameters: HnswParameters): string {
  return `CREATE INDEX ${target} ON chunks USING hnsw ((embedding::vector(${dims})) vector_cosine_ops) WITH (m = ${Math.trunc(parameters.m)}, ef_construction = ${Math.trunc(parameters.efConstruction)}) WHERE vector_dims(embedding) = ${dims}`;
}

/**
 * Drops the index before a bulk load: inserting row by row into an HNSW graph costs several
 * times what one build over the same rows does. Searches stay correct meanwhile (exact scan).
 */
export async function dropVectorIndex(db: LoreDb, dimensions: number): Promise<void> {
  await db.execute(sql.raw(`DROP INDEX IF EXISTS ${vectorIndexName(dimensions)}`));
}

export async function vectorIndexExists(
  db: LoreDb | LoreTransaction,
  dimensions: number,
): Promise<boolean> {
  const [row] = await queryRows<{ name: string | null }>(
    db,
    sql`SELECT to_regclass(${vectorIndexName(dimensions)})::text AS name`,
  );
  return Boolean(row?.name);
}

/** The cast and predicate that let a query use `chunks_embedding_hnsw_<dims>`. */
export function vectorCast(dimensions: number): string {
  return `vector(${Math.trunc(dimensions)})`;
}

/**
 * Vectors stored with this dimension (all collections embedded at it): the rows its index holds.
 * Read from collection_statistics, which triggers keep exact, so no chunk is read.
 */
export async function vectorRows(
  db: LoreDb | LoreTransaction,
  dimensions: number,
): Promise<number> {
  const [row] = await queryRows<{ rows: number }>(
    db,
    sql`SELECT coalesce(sum(s.chunks), 0)::float8 AS rows
      FROM collection_statistics s JOIN collections k ON k.id = s.collection_id
      WHERE k.embedding_dimensions = ${Math.trunc(dimensions)}`,
  );
  return Number(row?.rows ?? 0);
}

/** The graph parameters the dimension's index was built with; undefined while it has none. */
export async function vectorIndexParameters(
  db: LoreDb | LoreTransaction,
  dimensions: number,
): Promise<HnswParameters | undefined> {
  const [row] = await queryRows<{ options: string[] | string | null }>(
    db,
    sql`SELECT reloptions AS options FROM pg_class
      WHERE oid = to_regclass(${vectorIndexName(dimensions)})`,
  );
  if (!row) return undefined;
  const options = new Map(
    parseTextArray(row.options).map((option) => {
      const [name = "", value = ""] = option.split("=");
      return [name, Number(value)] as const;
    }),
  );
  // pgvector's defaults when the index was built without them.
  return { m: options.get("m") ?? 16, efConstruction: options.get("ef_construction") ?? 64 };
}

// A text[] arrives parsed from pg and as its text form ("{m=16,ef_construction=64}") from PGlite.
function parseTextArray(value: string[] | string | null): string[] {
  if (value === null) return [];
  if (Array.isArray(value)) return value;
  return value
    .replace(/^\{|\}$/g, "")
    .split(",")
    .filter(Boolean);
}

/**
 * The ef_search a search over this dimension's index should run with: chooseEfSearch of its
 * vectors. Undefined when the session's own value applies: LORE_HNSW_EF_SEARCH was set, or the
 * handle is one openDatabase did not open (a transaction).
 */
export async function searchEfSearch(
  db: LoreDb | LoreTransaction,
  dimensions: number,
  now = Date.now(),
): Promise<number | undefined> {
  const session = hnswSession(db);
  if (!session || session.fixed) return undefined;
  const dims = Math.trunc(dimensions);
  let cached = session.rows.get(dims);
  if (!cached || now - cached.readAt >= VECTOR_ROWS_TTL_MS) {
    cached = { rows: await vectorRows(db, dims), readAt: now };
    session.rows.set(dims, cached);
  }
  return chooseEfSearch(cached.rows);
}

// Vectors per dimension change with ingests, and the tiers are far apart: read once a minute.
const VECTOR_ROWS_TTL_MS = 60_000;
