// `lore stats` and `lore migrate`: database housekeeping views.
import { LoreError, listCollections } from "@lore/core";
import type { Command } from "commander";
import { formatCollections, printJson } from "../output";
import { withRuntime } from "../shared";

export function registerStats(program: Command): void {
  program
    .command("migrate")
    .description("apply database migrations")
    .action(async (_options: unknown, command: Command) => {
      // Opening a runtime migrates; there is nothing else to do.
      await withRuntime(command, async () => {
        process.stdout.write("Migrations are up to date.\n");
      });
    });

  program
    .command("stats")
    .description("documents and chunks per collection")
    .option("-c, --collection <name>", "only this collection")
    .option("--json", "print JSON")
    .action(async (options: { collection?: string; json?: boolean }, command: Command) => {
      await withRuntime(command, async (runtime) => {
        const all = await listCollections(runtime.context.db);
        const shown = options.collection
          ? all.filter((row) => row.name === options.collection)
          : all;
        if (options.collection && shown.length === 0) {
          throw new LoreError("not_found", `Collection "${options.collection}" does not exist.`);
        }
        if (options.json) printJson({ collections: shown });
        else process.stdout.write(`${formatCollections(shown)}\n`);
      });
    });
}
