// `lore jobs [ID]`: recent ingest jobs, or one job's status, progress, error and summary.
import type { IngestJobView } from "@lore/core";
import type { Command } from "commander";
import { printJson } from "../output";
import { withJobClient } from "./ingest";

export interface JobsOptions {
  limit: number;
  cancel?: boolean;
  json?: boolean;
}

export async function runJobs(
  id: string | undefined,
  options: JobsOptions,
  command: Command,
): Promise<void> {
  await withJobClient(command, async (client) => {
    if (!id) {
      const jobs = await client.list(options.limit);
      if (options.json) printJson({ jobs });
      else
        process.stdout.write(
          `${jobs.length > 0 ? jobs.map(formatJobLine).join("\n") : "No ingest jobs yet."}\n`,
        );
      return;
    }
    const job = options.cancel ? await client.cancel(id) : await client.get(id);
    if (options.json) printJson(job);
    else process.stdout.write(`${formatJob(job)}\n`);
  });
}

function formatJobLine(job: IngestJobView): string {
  const progress = job.progress;
  const files =
    progress.filesSeen === undefined
      ? ""
      : ` ${(progress.filesProcessed ?? 0) + (progress.filesSkipped ?? 0)}/${progress.filesSeen} files`;
  return `${job.id}  ${job.status.padEnd(9)}  ${job.collection}  ${job.path}${job.sync ? " (sync)" : ""}  attempt ${job.attempts}/${job.maxAttempts}${files}  ${job.createdAt}`;
}

function formatJob(job: IngestJobView): string {
  const lines = [formatJobLine(job), `progress: ${JSON.stringify(job.progress)}`];
  if (job.workerId) lines.push(`worker: ${job.workerId}`);
  if (job.error) lines.push(`error: ${job.error}`);
  if (job.summary) {
    const { documents, chunks } = job.summary;
    lines.push(
      `summary: ${documents.added} added, ${documents.updated} updated, ${documents.unchanged} unchanged, ${documents.deleted} deleted documents; ${chunks.added} chunks added, ${chunks.deleted} deleted; ${job.summary.skipped.length} files skipped; ${job.summary.ms} ms`,
    );
  }
  return lines.join("\n");
}
