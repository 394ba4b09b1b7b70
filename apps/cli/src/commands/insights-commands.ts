// The `lore insights` command tree (gaps, resolve, usage); actions load ./insights on first use.
import type { Command } from "commander";
import { collectionOption, integer, windowStart } from "../arguments";

/** program.ts's `lazy`: the action's module is imported when the command runs. */
type Lazy = <ActionArguments extends unknown[]>(
  load: () => Promise<(...parameters: ActionArguments) => Promise<void>>,
) => (...parameters: ActionArguments) => Promise<void>;

export function addInsightsCommands(program: Command, lazy: Lazy): void {
  const insights = program
    .command("insights")
    .description("what gets asked, what the documents cannot answer, and what it costs");
  insights
    .command("gaps")
    .description("questions refused, answered by the fallback or voted down, grouped by meaning")
    .addOption(collectionOption())
    .option("--since <window>", 'window: "30m", "24h", "30d"', windowStart, windowStart("30d"))
    .option("--limit <n>", "groups to show", integer("--limit", 1, 200), 20)
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./insights")).runInsightsGaps));
  insights
    .command("resolve <gapId>")
    .description("mark a gap resolved; it reopens if it is refused again after a later ingest")
    .addOption(collectionOption())
    .option("--since <window>", "the window the gap was listed in", windowStart, windowStart("30d"))
    .action(lazy(async () => (await import("./insights")).runInsightsResolve));
  insights
    .command("usage")
    .description("questions, outcomes, votes, latency, tokens and cost per day, collection and key")
    .option("-c, --collection <name>", "only this collection")
    .option("--since <window>", 'window: "30m", "24h", "30d"', windowStart, windowStart("30d"))
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./insights")).runInsightsUsage));
}
