// `lore migrate`: applies the database migrations (opening the database does it) and says so.
import type { Command } from "commander";
import { withDatabase } from "../database";

/** `lore migrate`: opening the database migrates it; there is nothing else to do. */
export async function runMigrate(_options: unknown, command: Command): Promise<void> {
  await withDatabase(command, async () => {
    process.stdout.write("Migrations are up to date.\n");
  });
}
