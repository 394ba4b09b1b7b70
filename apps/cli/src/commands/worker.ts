// `lore worker`: runs the ingestion worker loop until SIGINT/SIGTERM, then hands its jobs back.
import type { Config } from "@lore/config";
import type { ProcessJobOptions } from "@lore/core";
import { runWorker } from "@lore/worker";
import type { Command } from "commander";
import { pino } from "pino";
import { openRuntime } from "../runtime";
import { integer, resolveConfig } from "../shared";

/** The ingest settings every job run by this process uses (LORE_INGEST_*). */
export function ingestSettings(config: Config): NonNullable<ProcessJobOptions["ingest"]> {
  return {
    include: config.ingest.include,
    exclude: config.ingest.exclude,
    maxFileBytes: config.ingest.maxFileBytes,
  };
}

export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description("run the ingestion worker: claims queued jobs from the database (several may run)")
    .option(
      "--concurrency <n>",
      "jobs run at once (LORE_WORKER_CONCURRENCY)",
      integer("--concurrency", 1, 64),
    )
    .action(async (options: { concurrency?: number }, command: Command) => {
      const config = resolveConfig(command);
      const logger = pino({ level: config.logLevel });
      const runtime = await openRuntime(config);
      const worker = runWorker(runtime.context, {
        concurrency: options.concurrency ?? config.worker.concurrency,
        leaseMs: config.worker.leaseSeconds * 1000,
        ingest: ingestSettings(config),
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
    });
}
