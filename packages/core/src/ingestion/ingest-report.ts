// Keeps an ingest's books while it runs: time per stage, progress after each batch, and the summary at the end.
import type { RefusedWrite, WriteResult } from "./commit-document";
import { sourceFor } from "./load-folder";
import type { FileOutcome } from "./prepare-document";
import type { IngestProgress, IngestStages, IngestSummary } from "./schemas";

/** Progress before any file is done. */
export function emptyProgress(): IngestProgress {
  return {
    filesSeen: 0,
    filesProcessed: 0,
    filesSkipped: 0,
    filesFailed: 0,
    chunksEmbedded: 0,
    chunksWritten: 0,
  };
}

export class IngestReport {
  private readonly summary: IngestSummary;
  private readonly progress: IngestProgress = emptyProgress();
  private readonly stages: Record<keyof IngestStages, number> = {
    list: 0,
    read: 0,
    embed: 0,
    write: 0,
    index: 0,
    waiting: 0,
    sync: 0,
  };

  constructor(
    collection: string,
    private readonly root: string,
    private readonly onProgress?: (progress: IngestProgress) => void,
  ) {
    this.summary = {
      collection,
      documents: { added: 0, updated: 0, unchanged: 0, deleted: 0 },
      chunks: { added: 0, deleted: 0 },
      textsEmbedded: 0,
      skipped: [],
      ms: 0,
    };
  }

  /** Runs `work`, adding its wall time to `stage` (stages overlap, so they add up to more than `ms`). */
  async timed<Result>(stage: keyof IngestStages, work: () => Promise<Result>): Promise<Result> {
    const begun = performance.now();
    try {
      return await work();
    } finally {
      this.add(stage, performance.now() - begun);
    }
  }

  /** Adds `ms` measured by the caller to `stage`. */
  add(stage: keyof IngestStages, ms: number): void {
    this.stages[stage] += ms;
  }

  /** The walk found `files`: the first progress report, with the total known up front. */
  listed(files: number): void {
    this.progress.filesSeen = files;
    this.onProgress?.({ ...this.progress });
  }

  /** A batch of files is done: its write results (in prepared order), then its skipped files. */
  written(batch: readonly FileOutcome[], results: readonly (WriteResult | RefusedWrite)[]): void {
    const { summary, progress } = this;
    for (const result of results) {
      if (result.outcome === "refused") {
        summary.skipped.push({ source: result.source, reason: result.reason });
        progress.filesSkipped += 1;
        progress.filesFailed += 1;
        continue;
      }
      summary.documents[result.outcome] += 1;
      summary.chunks.added += result.chunksAdded;
      summary.chunks.deleted += result.chunksDeleted;
      summary.textsEmbedded += result.textsEmbedded;
      progress.filesProcessed += 1;
      progress.chunksEmbedded += result.textsEmbedded;
      progress.chunksWritten += result.chunksAdded;
    }
    for (const entry of batch) {
      if (!entry.skipped) continue;
      summary.skipped.push(entry.skipped);
      progress.filesSkipped += 1;
      if (entry.failed) progress.filesFailed += 1;
    }
    const last = batch.at(-1);
    if (last) progress.source = last.skipped?.source ?? sourceFor(this.root, last.file);
    this.onProgress?.({ ...progress });
  }

  /** A sync deleted the documents whose files are gone. */
  synced(removed: { documents: number; chunks: number }): void {
    this.summary.documents.deleted = removed.documents;
    this.summary.chunks.deleted += removed.chunks;
  }

  /** The summary, its `ms` counted from `started` (a performance.now()). */
  finish(started: number): IngestSummary {
    const { summary } = this;
    summary.skipped.sort((left, right) => (left.source < right.source ? -1 : 1));
    summary.ms = Math.round(performance.now() - started);
    summary.stages = Object.fromEntries(
      Object.entries(this.stages).map(([stage, ms]) => [stage, Math.round(ms)]),
    ) as IngestStages;
    return summary;
  }
}
