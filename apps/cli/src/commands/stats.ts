// `lore stats`: documents and chunks per collection, and usage over a window.
import { LoreError, listCollections, usageSince } from "@lore/core";
import type { Command } from "commander";
import { withDatabase } from "../database";
import { formatCollections, formatUsage, printJson } from "../output";

export interface StatsOptions {
  collection?: string;
  since: Date;
  json?: boolean;
}

export async function runStats(options: StatsOptions, command: Command): Promise<void> {
  await withDatabase(command, async (database) => {
    const all = await listCollections({ db: database.db });
    const shown = options.collection ? all.filter((row) => row.name === options.collection) : all;
    if (options.collection && shown.length === 0) {
      throw new LoreError("not_found", `Collection "${options.collection}" does not exist.`);
    }
    const usage = (await usageSince({ db: database.db }, options.since)).filter(
      (row) => !options.collection || row.collection === options.collection,
    );
    if (options.json) {
      printJson({ collections: shown, usage, since: options.since.toISOString() });
      return;
    }
    process.stdout.write(`${formatCollections(shown)}\n\n${formatUsage(usage, options.since)}\n`);
  });
}
