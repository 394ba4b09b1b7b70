#!/usr/bin/env node
// `lore`: the command line for serving, migrating, ingesting, asking and searching.
import { ConfigError } from "@lore/config";
import { LoreError } from "@lore/core";
import { DataDirLockedError } from "@lore/db";
import { Command } from "commander";
import { registerAsk } from "./commands/ask";
import { registerEval } from "./commands/eval";
import { registerIngest } from "./commands/ingest";
import { registerJobs } from "./commands/jobs";
import { registerKeys } from "./commands/keys";
import { registerServe } from "./commands/serve";
import { registerStats } from "./commands/stats";
import { registerWorker } from "./commands/worker";

const program = new Command("lore")
  .description("Lore answers questions about your documents, with cited sources.")
  .option("--data-dir <dir>", "embedded database directory (LORE_DATA_DIR)")
  .showHelpAfterError();

for (const register of [
  registerServe,
  registerIngest,
  registerAsk,
  registerStats,
  registerKeys,
  registerEval,
  registerWorker,
  registerJobs,
]) {
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const known =
    error instanceof LoreError ||
    error instanceof ConfigError ||
    error instanceof DataDirLockedError;
  const message =
    error instanceof Error
      ? known
        ? error.message
        : (error.stack ?? error.message)
      : String(error);
  process.stderr.write(`lore: ${message}\n`);
  process.exit(1);
}
