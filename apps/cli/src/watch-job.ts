// Follows a job until it ends: a progress bar on a terminal, plain progress lines otherwise.
import { setTimeout as sleep } from "node:timers/promises";
import type { IngestJobView } from "@lore/core";
import { SingleBar } from "cli-progress";

export interface WatchOptions {
  /** No progress output at all (--json). */
  quiet: boolean;
  intervalMs?: number;
  /** Subscribes to "a job has ended" notifications, so the end is seen at once, not at the next read. */
  listen?: (onEnded: () => void) => Promise<() => Promise<void>>;
  /** Said once when the job has waited this long for a worker. */
  unclaimedHint?: { afterMs: number; message: string };
}

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

export async function watchJob(
  read: () => Promise<IngestJobView>,
  options: WatchOptions,
): Promise<IngestJobView> {
  const started = Date.now();
  const tty = !options.quiet && process.stderr.isTTY === true;
  const bar = tty
    ? new SingleBar({
        stream: process.stderr,
        format: "{status} [{bar}] {value}/{total} files | {chunks} chunks embedded | {source}",
        hideCursor: true,
        clearOnComplete: true,
      })
    : undefined;
  let lastLine = "";
  let hinted = false;
  // Aborted (and replaced) on each notification; the pause takes the current one before reading.
  let ended = new AbortController();
  const unlisten = await options
    .listen?.(() => {
      ended.abort();
      ended = new AbortController();
    })
    // Without notifications the job is still read every interval.
    .catch(() => undefined);
  try {
    for (;;) {
      const woken = ended.signal;
      const job = await read();
      const progress = job.progress;
      const done = (progress.filesProcessed ?? 0) + (progress.filesSkipped ?? 0);
      const payload = {
        status: job.status,
        chunks: progress.chunksEmbedded ?? 0,
        source: progress.source ?? "",
      };
      if (bar) {
        if (!bar.isActive) bar.start(progress.filesSeen ?? 0, done, payload);
        bar.setTotal(progress.filesSeen ?? 0);
        bar.update(done, payload);
      } else if (!options.quiet) {
        const line = `${job.id} ${job.status}: ${done}/${progress.filesSeen ?? "?"} files, ${payload.chunks} chunks embedded (attempt ${job.attempts})`;
        if (line !== lastLine) process.stderr.write(`${line}\n`);
        lastLine = line;
      }
      if (TERMINAL.has(job.status)) return job;
      const hint = options.unclaimedHint;
      if (hint && !hinted && job.status === "queued" && Date.now() - started > hint.afterMs) {
        bar?.stop();
        if (!options.quiet) process.stderr.write(`${hint.message}\n`);
        hinted = true;
      }
      await sleep(options.intervalMs ?? 250, undefined, { signal: woken }).catch(() => {});
    }
  } finally {
    bar?.stop();
    await unlisten?.();
  }
}
