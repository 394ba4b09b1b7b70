// Source verbs: create, list, read, update and delete sources; queue a sync now, or every due one (the scheduler tick).
import { describeError, ingestJobs, type LoreDb, queryRows, sources } from "@lore/db";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { z } from "zod";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { newId } from "../ids";
import { cancelIngestJob, DEFAULT_MAX_ATTEMPTS, INGEST_JOBS_CHANNEL } from "../jobs/job-queue";
import { nextRunAfter } from "./schedule";
import {
  CreateSourceRequest,
  FolderSourceConfig,
  GitSourceConfig,
  type SourceConfig,
  type SourceKind,
  type SourceView,
  type SyncSourceResponse,
  type UpdateSourceRequest,
  WebSourceConfig,
} from "./schemas";

type SourceRow = typeof sources.$inferSelect;
type ConfigOf<Kind extends SourceKind> = Extract<CreateSourceRequest, { kind: Kind }>["config"];

const CONFIGS: Record<SourceKind, z.ZodType<SourceConfig>> = {
  folder: FolderSourceConfig,
  git: GitSourceConfig,
  web: WebSourceConfig,
};

/** Bad input, each issue named by its field. */
function invalid(error: z.ZodError, prefix = ""): LoreError {
  const issues = error.issues.map((issue) => `${prefix}${issue.path.join(".")}: ${issue.message}`);
  return new LoreError("invalid_request", issues.join("; "));
}

/** The stored config of a source, validated against its kind (rows are checked as they are read). */
export function sourceConfig<Kind extends SourceKind>(kind: Kind, config: unknown): ConfigOf<Kind> {
  const parsed = CONFIGS[kind].safeParse(config);
  if (!parsed.success) throw invalid(parsed.error, "config.");
  return parsed.data as ConfigOf<Kind>;
}

export async function createSource(
  context: LoreContext,
  input: z.input<typeof CreateSourceRequest>,
  now: Date = new Date(),
): Promise<SourceView> {
  const parsed = CreateSourceRequest.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error);
  const request = parsed.data;
  const config = sourceConfig(request.kind, request.config);
  const [row] = await context.db
    .insert(sources)
    .values({
      id: newId("src"),
      collection: request.collection,
      name: request.name,
      kind: request.kind,
      config,
      schedule: request.schedule ?? null,
      nextRunAt: request.schedule ? nextRunAfter(request.schedule, now) : null,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) {
    throw new LoreError(
      "conflict",
      `Collection "${request.collection}" already has a source named "${request.name}".`,
    );
  }
  return toView(row);
}

export async function listSources(
  context: LoreContext,
  options: { collections?: readonly string[] } = {},
): Promise<SourceView[]> {
  const rows = await context.db
    .select()
    .from(sources)
    .where(options.collections ? inArray(sources.collection, [...options.collections]) : undefined)
    .orderBy(asc(sources.collection), asc(sources.name));
  return rows.map(toView);
}

/** By id (src_…), or by name within `collection`. */
export async function getSource(
  context: LoreContext,
  input: { id: string; collection?: string },
): Promise<SourceView> {
  return toView(await sourceRow(context.db, input));
}

async function sourceRow(
  db: LoreDb,
  input: { id: string; collection?: string },
): Promise<SourceRow> {
  const byName = !input.id.startsWith("src_");
  const [row] = await db
    .select()
    .from(sources)
    .where(
      byName
        ? and(eq(sources.name, input.id), eq(sources.collection, input.collection ?? "default"))
        : eq(sources.id, input.id),
    );
  if (!row) throw new LoreError("not_found", `Source ${input.id} does not exist.`);
  return row;
}

export async function updateSource(
  context: LoreContext,
  input: { id: string; collection?: string; update: UpdateSourceRequest; now?: Date },
): Promise<SourceView> {
  const existing = await sourceRow(context.db, input);
  const { update } = input;
  const config = update.config ? sourceConfig(existing.kind, update.config) : undefined;
  const schedule = update.schedule === undefined ? undefined : update.schedule;
  const [row] = await context.db
    .update(sources)
    .set({
      ...(update.name ? { name: update.name } : {}),
      ...(config ? { config } : {}),
      ...(schedule === undefined
        ? {}
        : {
            schedule,
            nextRunAt: schedule ? nextRunAfter(schedule, input.now ?? new Date()) : null,
          }),
      updatedAt: sql`now()`,
    })
    .where(eq(sources.id, existing.id))
    .returning()
    .catch((error: unknown) => {
      if (update.name && describeError(error).code === "23505") {
        throw new LoreError(
          "conflict",
          `Collection "${existing.collection}" already has a source named "${update.name}".`,
        );
      }
      throw error;
    });
  if (!row) throw new LoreError("not_found", `Source ${input.id} does not exist.`);
  return toView(row);
}

/** Deletes the source (its documents stay in the collection); a queued or running sync is cancelled. */
export async function deleteSource(
  context: LoreContext,
  input: { id: string; collection?: string },
): Promise<SourceView> {
  const row = await sourceRow(context.db, input);
  const active = await context.db
    .select({ id: ingestJobs.id })
    .from(ingestJobs)
    .where(and(eq(ingestJobs.sourceId, row.id), inArray(ingestJobs.status, ["queued", "running"])));
  for (const job of active) await cancelIngestJob(context, job.id).catch(() => {});
  await context.db.delete(sources).where(eq(sources.id, row.id));
  return toView(row);
}

/**
 * Queues a sync of the source as an ordinary ingest job. The database holds at most one queued
 * or running sync per source (a unique partial index): when one is already there, it is returned.
 */
export async function syncSource(
  context: LoreContext,
  input: { id: string; collection?: string },
): Promise<SyncSourceResponse> {
  const row = await sourceRow(context.db, input);
  const jobId = await insertSyncJob(context.db, row);
  if (jobId) {
    await context.db
      .update(sources)
      .set({ lastJobId: jobId, lastStatus: "queued", updatedAt: sql`now()` })
      .where(eq(sources.id, row.id));
    await notifyWorkers(context.db);
    return { jobId, queued: true };
  }
  const [active] = await context.db
    .select({ id: ingestJobs.id })
    .from(ingestJobs)
    .where(and(eq(ingestJobs.sourceId, row.id), inArray(ingestJobs.status, ["queued", "running"])));
  if (!active) throw new LoreError("conflict", "The sync could not be queued; try again.");
  return { jobId: active.id, queued: false };
}

/** What a source's job shows as its path: where the documents come from. */
function jobPath(row: SourceRow): string {
  const url = (row.config as { url?: unknown; path?: unknown }).url ?? row.config.path;
  return `${row.kind}:${typeof url === "string" ? url : row.name}`;
}

async function insertSyncJob(db: LoreDb, row: SourceRow): Promise<string | undefined> {
  const [job] = await queryRows<{ id: string }>(
    db,
    sql`INSERT INTO ingest_jobs (id, collection, path, sync, max_attempts, source_id)
      VALUES (${newId("job")}, ${row.collection}, ${jobPath(row)}, true, ${DEFAULT_MAX_ATTEMPTS}, ${row.id})
      ON CONFLICT (source_id) WHERE source_id IS NOT NULL AND status IN ('queued', 'running')
      DO NOTHING
      RETURNING id`,
  );
  return job?.id;
}

async function notifyWorkers(db: LoreDb): Promise<void> {
  await db.execute(sql`SELECT pg_notify(${INGEST_JOBS_CHANNEL}, '')`);
}

class AlreadyAdvanced extends Error {}

/**
 * The scheduler tick, safe to run from any number of workers at once: each source due at `now`
 * gets one sync job per due time. The job's insert and the advance of `next_run_at` (compared
 * with the due time read) commit together, so of two ticks that saw the same due time one
 * queues and the other rolls back; a source whose sync is still queued or running is left due
 * (the unique index refuses a second job) and is queued by the first tick after that sync ends.
 */
export async function enqueueDueSyncs(
  context: LoreContext,
  now: Date = new Date(),
  options: { limit?: number } = {},
): Promise<string[]> {
  const due = await queryRows<{ id: string; next_run_at: Date | string; schedule: string }>(
    context.db,
    sql`SELECT s.id, s.next_run_at, s.schedule FROM sources s
      WHERE s.schedule IS NOT NULL AND s.next_run_at <= ${now.toISOString()}::timestamptz
        AND NOT EXISTS (SELECT 1 FROM ingest_jobs j
          WHERE j.source_id = s.id AND j.status IN ('queued', 'running'))
      ORDER BY s.next_run_at LIMIT ${options.limit ?? 100}`,
  );
  const queued: string[] = [];
  for (const candidate of due) {
    const dueAt = new Date(candidate.next_run_at);
    const next = nextRunAfter(candidate.schedule, now);
    const jobId = await context.db
      .transaction(async (transaction) => {
        const [row] = await transaction.select().from(sources).where(eq(sources.id, candidate.id));
        if (!row) return undefined;
        const inserted = await insertSyncJob(transaction, row);
        if (!inserted) return undefined;
        const advanced = await transaction
          .update(sources)
          .set({
            nextRunAt: next,
            lastJobId: inserted,
            lastStatus: "queued",
            updatedAt: sql`now()`,
          })
          .where(and(eq(sources.id, candidate.id), eq(sources.nextRunAt, dueAt)))
          .returning({ id: sources.id });
        if (advanced.length === 0) throw new AlreadyAdvanced();
        return inserted;
      })
      .catch((error: unknown) => {
        if (error instanceof AlreadyAdvanced) return undefined;
        throw error;
      });
    if (jobId) queued.push(jobId);
  }
  if (queued.length > 0) await notifyWorkers(context.db);
  return queued;
}

function toView(row: SourceRow): SourceView {
  return {
    id: row.id,
    collection: row.collection,
    name: row.name,
    kind: row.kind,
    config: row.config,
    schedule: row.schedule,
    nextRunAt: row.nextRunAt?.toISOString() ?? null,
    lastSyncAt: row.lastSyncAt?.toISOString() ?? null,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    lastSyncedRef: row.lastSyncedRef,
    lastJobId: row.lastJobId,
    counts: row.counts,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
