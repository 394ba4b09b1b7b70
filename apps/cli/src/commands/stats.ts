// `lore stats` and `lore migrate`: database housekeeping views.
import { LoreError, listCollections, usageSince } from "@lore/core";
import { type Command, InvalidArgumentError } from "commander";
import { formatCollections, formatUsage, printJson } from "../output";
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
    .option("--since <window>", 'usage window: "30m", "24h", "7d"', windowStart, windowStart("24h"))
    .option("--json", "print JSON")
    .action(
      async (options: { collection?: string; since: Date; json?: boolean }, command: Command) => {
        await withRuntime(command, async (runtime) => {
          const all = await listCollections(runtime.context.db);
          const shown = options.collection
            ? all.filter((row) => row.name === options.collection)
            : all;
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
          process.stdout.write(
            `${formatCollections(shown)}\n\n${formatUsage(usage, options.since)}\n`,
          );
        });
      },
    );
}

/** "24h" → the time 24 hours ago. */
function windowStart(value: string): Date {
  const match = /^(\d+)\s*(m|h|d)$/.exec(value.trim());
  if (!match?.[1] || !match[2])
    throw new InvalidArgumentError('--since looks like "30m", "24h" or "7d".');
  const minutes = { m: 1, h: 60, d: 1440 }[match[2] as "m" | "h" | "d"];
  return new Date(Date.now() - Number(match[1]) * minutes * 60_000);
}
