// `lore worker`: runs the ingestion worker loop until SIGINT/SIGTERM, then hands its jobs back.
import { runWorker as startWorker } from "@lore/worker";
import type { Command } from "commander";
import { pino } from "pino";
import { resolveConfig } from "../command-input";
import { ingestSettings, logConnectionErrors, openRuntime, waitForDatabase } from "../runtime";

export async function runWorker(
  options: { concurrency?: number },
  command: Command,
): Promise<void> {
  const config = resolveConfig(command);
  const logger = pino({ level: config.logLevel });
  const runtime = await openRuntime(config, waitForDatabase(config, logger));
  logConnectionErrors(runtime.database, logger);
  const worker = startWorker(runtime.context, {
    concurrency: options.concurrency ?? config.worker.concurrency,
    leaseMs: config.worker.leaseSeconds * 1000,
    ingest: ingestSettings(config),
    sources: { dataDir: config.dataDir },
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
