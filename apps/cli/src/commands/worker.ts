// `lore worker`: runs the ingestion worker loop until SIGINT/SIGTERM, then hands its jobs back.
import type { Config } from "@lore/config";
import type { ProcessJobOptions } from "@lore/core";
import { runWorker as startWorker } from "@lore/worker";
import type { Command } from "commander";
import { pino } from "pino";
import { openRuntime } from "../runtime";
import { resolveConfig } from "../shared";

/** The ingest settings every job run by this process uses (LORE_INGEST_*). */
export function ingestSettings(config: Config): NonNullable<ProcessJobOptions["ingest"]> {
  return {
    include: config.ingest.include,
    exclude: config.ingest.exclude,
    maxFileBytes: config.ingest.maxFileBytes,
    ...(config.embed.concurrency ? { embedConcurrency: config.embed.concurrency } : {}),
  };
}

export async function runWorker(
  options: { concurrency?: number },
  command: Command,
): Promise<void> {
  const config = resolveConfig(command);
  const logger = pino({ level: config.logLevel });
  const runtime = await openRuntime(config);
  const worker = startWorker(runtime.context, {
    concurrency: options.concurrency ?? config.worker.concurrency,
    leaseMs: config.worker.leaseSeconds * 1000,
    ingest: ingestSettings(config),
    listen: runtime.database.listen,
    logger,
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workerId: worker.id }, "stopping: handing running jobs back");
    await worker.stop();
    await runtime.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
  await worker.done;
}
