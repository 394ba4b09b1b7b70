// Runs a queued ingest job in this process, as a worker would (embedded mode, where nothing else
// holds the data dir). `lore ingest` imports it only then: queueing a job for a worker never
// loads the ingest pipeline or the embedder's SDK.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "@lore/config";
import { LoreError, processNextIngestJob } from "@lore/core";
import type { Database } from "./database";
import { createContext, ingestSettings } from "./runtime";

export async function runJobHere(config: Config, database: Database, jobId: string): Promise<void> {
  const stopping = new AbortController();
  const onSignal = () => stopping.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  const workerId = `cli-${process.pid}-${randomBytes(3).toString("hex")}`;
  try {
    const context = await createContext(config, database);
    for (;;) {
      const outcome = await processNextIngestJob(context, {
        workerId,
        jobId,
        leaseMs: config.worker.leaseSeconds * 1000,
        ingest: ingestSettings(config),
        sources: { dataDir: config.dataDir },
        signal: stopping.signal,
      });
      if (stopping.signal.aborted) {
        throw new LoreError(
          "invalid_request",
          `Interrupted; ${jobId} is queued again and runs at the next \`lore serve\` or \`lore ingest\`.`,
        );
      }
      if (outcome && outcome.status !== "queued") return;
      // Not due yet (retry backoff) or just released: try again shortly.
      await sleep(500);
    }
  } finally {
    process.removeListener("SIGINT", onSignal);
  }
}
