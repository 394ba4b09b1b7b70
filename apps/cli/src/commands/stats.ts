// `lore stats` and `lore migrate`: database housekeeping views.
import { LoreError, listCollections, usageSince } from "@lore/core";
import type { Command } from "commander";
import { formatCollections, formatUsage, printJson } from "../output";
import { withRuntime } from "../shared";

/** `lore migrate`: opening a runtime migrates; there is nothing else to do. */
export async function runMigrate(_options: unknown, command: Command): Promise<void> {
  await withRuntime(command, async () => {
    process.stdout.write("Migrations are up to date.\n");
  });
}

export interface StatsOptions {
  collection?: string;
  since: Date;
  json?: boolean;
}

export async function runStats(options: StatsOptions, command: Command): Promise<void> {
  await withRuntime(command, async (runtime) => {
    const all = await listCollections(runtime.context.db);
    const shown = options.collection ? all.filter((row) => row.name === options.collection) : all;
    if (options.collection && shown.length === 0) {
      throw new LoreError("not_found", `Collection "${options.collection}" does not exist.`);
    }
    const usage = (await usageSince(runtime.context.db, options.since)).filter(
      (row) => !options.collection || row.collection === options.collection,
    );
    if (options.json) {
      printJson({ collections: shown, usage, since: options.since.toISOString() });
      return;
    }
    process.stdout.write(`${formatCollections(shown)}\n\n${formatUsage(usage, options.since)}\n`);
  });
}
