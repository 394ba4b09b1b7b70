// `lore ingest <path>`: queue a folder ingest, follow it to the end and print the summary.
import { stat } from "node:fs/promises";
import path from "node:path";
import type { Config } from "@lore/config";
import {
  DataDirLockedError,
  INGEST_JOB_ENDED_CHANNEL,
  IngestJobRequest,
  type IngestJobView,
  LoreError,
} from "@lore/core";
import type { Command } from "commander";
import { parseInput, resolveConfig } from "../command-input";
import { type Database, openMigratedDatabase } from "../database";
import { databaseJobClient, httpJobClient, type JobClient } from "../job-client";
import { formatIngest, printJson } from "../output";
import { readServerFile } from "../server-file";
import { watchJob } from "../watch-job";

// How often `--json` reads a job it follows by notification anyway (see runIngest): within a
// second, as workers poll the queue when a transaction pooler drops notifications.
const QUIET_FALLBACK_READ_MS = 1000;

export interface IngestOptions {
  collection: string;
  sync?: boolean;
  /** commander's `--no-wait` sets this false. */
  wait: boolean;
  json?: boolean;
}

export async function runIngest(
  folder: string,
  options: IngestOptions,
  command: Command,
): Promise<void> {
  const request = parseInput(IngestJobRequest, {
    collection: options.collection,
    path: path.resolve(folder),
    sync: options.sync ?? false,
  });
  const info = await stat(request.path).catch(() => undefined);
  if (!info?.isDirectory()) throw new LoreError("invalid_request", `Not a folder: ${folder}`);
  await withJobClient(command, async (client, local) => {
    const jobId = await client.enqueue(request);
    if (!options.wait) {
      if (options.json) printJson({ jobId });
      else process.stdout.write(`${jobId}\n`);
      return;
    }
    // Embedded mode, nothing else holding the data dir: the job runs in this process. Its
    // module (the ingest pipeline, the embedder's SDK) is not loaded to queue a job for a worker.
    const running =
      local?.config.mode === "embedded"
        ? import("../run-job-here").then(({ runJobHere }) =>
            runJobHere(local.config, local.database, jobId),
          )
        : undefined;
    const watched = watchJob(() => client.get(jobId), {
      quiet: options.json === true,
      ...(local
        ? {
            listen: (onEnded) => local.database.listen(INGEST_JOB_ENDED_CHANNEL, onEnded),
            // --json shows no progress, and a worker's end of the job arrives as a notification:
            // the reads are only a fallback, so they need not cost a query every 250 ms (on a
            // 2-core machine that CPU is taken from the ingest itself).
            ...(options.json && !running ? { intervalMs: QUIET_FALLBACK_READ_MS } : {}),
          }
        : {}),
      ...(running
        ? {}
        : {
            unclaimedHint: {
              afterMs: 10_000,
              message: `${jobId} is waiting for a worker: start one with \`lore worker\` (same DATABASE_URL), or leave this running.`,
            },
          }),
    });
    const job = await (running ? Promise.all([watched, running]).then(([view]) => view) : watched);
    printOutcome(job, options.json === true);
  });
}

function printOutcome(job: IngestJobView, json: boolean): void {
  if (job.status !== "succeeded" || !job.summary) {
    throw new LoreError(
      "internal",
      `Ingest job ${job.id} ${job.status} after ${job.attempts} attempt(s)${job.error ? `: ${job.error}` : "."}`,
    );
  }
  if (json) printJson({ jobId: job.id, attempts: job.attempts, ...job.summary });
  else process.stdout.write(`${formatIngest(job.summary)}\n(${job.id}, attempt ${job.attempts})\n`);
}

interface LocalQueue {
  config: Config;
  database: Database;
}

/**
 * Runs `use` with a client for the job queue: the database when this process can open it; the
 * running Lore over HTTP when that server holds the embedded data directory.
 */
export async function withJobClient(
  command: Command,
  use: (client: JobClient, local: LocalQueue | undefined) => Promise<void>,
): Promise<void> {
  const config = resolveConfig(command);
  let database: Database;
  try {
    database = await openMigratedDatabase(config);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    const server = await readServerFile(config.dataDir);
    if (!server) {
      throw new LoreError(
        "unavailable",
        `The data directory ${config.dataDir} is in use by another Lore process that does not serve HTTP. Stop that process (for example a running \`lore ingest\` or \`lore worker\`), then run this command again.`,
      );
    }
    await use(httpJobClient(server.url, process.env.LORE_API_KEY), undefined).catch(
      (failure: unknown) => {
        throw explainRemoteFailure(failure, server.url);
      },
    );
    return;
  }
  try {
    await use(
      databaseJobClient({ db: database.db }, config.databaseUrl ? "the database" : config.dataDir),
      {
        config,
        database,
      },
    );
  } finally {
    await database.close();
  }
}

function explainRemoteFailure(failure: unknown, url: string): unknown {
  if (failure instanceof LoreError && failure.message.includes("LORE_INGEST_ROOTS")) {
    return new LoreError(
      failure.code,
      `${failure.message} The Lore serving ${url} holds this data directory: add the folder (or a parent) to LORE_INGEST_ROOTS where it runs and restart it, or stop it and run \`lore ingest\` again.`,
    );
  }
  return failure;
}
