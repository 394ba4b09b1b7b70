// `lore serve`: the API on a port; in embedded mode it first loads the sample docs into an empty default.
import { createApp, serveApp } from "@lore/api";
import type { Config } from "@lore/config";
import {
  forgetAuthenticatedKeys,
  ingestFolder,
  KEYS_CHANGED_CHANNEL,
  listCollections,
  SAMPLE_DOCS_DIR,
  scheduleQueryRetention,
} from "@lore/core";
import { runWorker } from "@lore/worker";
import type { Command } from "commander";
import type { Logger } from "pino";
import { pino } from "pino";
import { resolveConfig } from "../command-input";
import { ingestSettings, logConnectionErrors, openRuntime, waitForDatabase } from "../runtime";
import { removeServerFile, writeServerFile } from "../server-file";

export async function runServe(
  options: { port?: number; host?: string },
  command: Command,
): Promise<void> {
  const config = resolveConfig(command, {
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.host ? { host: options.host } : {}),
  });
  // Asynchronous: a line written while the previous write is in flight joins the next one, so
  // under load the request log costs a write per batch of requests instead of a blocking write
  // each (pino flushes what is left when the process exits).
  await serve(config, pino({ level: config.logLevel }, pino.destination({ dest: 1, sync: false })));
}

async function serve(config: Config, logger: Logger): Promise<void> {
  const runtime = await openRuntime(config, waitForDatabase(config, logger));
  logConnectionErrors(runtime.database, logger);
  if (config.mode === "embedded" && config.loadSampleDocs) {
    const collections = await listCollections(runtime.context);
    const defaultCollection = collections.find((collection) => collection.name === "default");
    if (!defaultCollection || defaultCollection.documents === 0) {
      const summary = await ingestFolder(runtime.context, SAMPLE_DOCS_DIR, {
        collection: "default",
      });
      logger.info(
        { documents: summary.documents.added, chunks: summary.chunks.added, ms: summary.ms },
        "loaded the sample docs into the default collection",
      );
    }
  }
  const app = createApp({
    context: runtime.context,
    logger,
    auth: config.auth,
    corsOrigins: config.corsOrigins,
    requestTimeoutMs: config.requestTimeoutMs,
    conversationTtlMs: config.conversationTtlMs,
    ingestRoots: config.ingest.roots,
    collectionIngestRoots: config.collectionIngestRoots,
    allowedHosts: config.allowedHosts,
    ...(config.chat.provider === "openai" ? { chatModel: config.chat.model } : {}),
  });
  // Keys this process has authenticated are remembered for a few seconds; a revocation anywhere
  // makes it forget them at once.
  const stopKeyListener =
    config.auth === "required"
      ? await runtime.database.listen(KEYS_CHANGED_CHANNEL, () =>
          forgetAuthenticatedKeys(runtime.context),
        )
      : undefined;
  const server = await serveApp(app, { port: config.port, host: config.host });
  logger.info(
    {
      url: server.url,
      mode: config.mode,
      ...(config.mode === "embedded" ? { dataDir: config.dataDir } : {}),
    },
    `Lore is listening on ${server.url}`,
  );
  // Embedded mode: one process owns the data dir, so it runs the jobs and tells `lore ingest` where it is.
  const worker =
    config.mode === "embedded"
      ? runWorker(runtime.context, {
          concurrency: config.worker.concurrency,
          leaseMs: config.worker.leaseSeconds * 1000,
          ingest: ingestSettings(config),
          sources: { dataDir: config.dataDir },
          listen: runtime.database.listen,
          logger,
        })
      : undefined;
  // Every API process trims the query log (LORE_QUERY_RETENTION_DAYS); the deletes are idempotent.
  const retention =
    config.queryRetentionDays > 0
      ? scheduleQueryRetention(runtime.context, {
          days: config.queryRetentionDays,
          onRun: (result) => {
            if (result.queries > 0) logger.info(result, "deleted expired queries");
          },
          onError: (error) => logger.warn({ err: error }, "query retention failed"),
        })
      : undefined;
  if (config.mode === "embedded") await writeServerFile(config.dataDir, server.url);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    if (config.mode === "embedded") await removeServerFile(config.dataDir);
    await server.close();
    await worker?.stop();
    await retention?.stop();
    await stopKeyListener?.();
    await runtime.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}
