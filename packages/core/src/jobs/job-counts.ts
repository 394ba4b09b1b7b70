// Operational counts for metrics: ingest jobs by status.
import { ingestJobs } from "@lore/db";
import { count } from "drizzle-orm";
import type { LoreContext } from "../context";

export async function jobCountsByStatus(
  context: Pick<LoreContext, "db">,
): Promise<Record<string, number>> {
  const rows = await context.db
    .select({ status: ingestJobs.status, total: count() })
    .from(ingestJobs)
    .groupBy(ingestJobs.status);
  return Object.fromEntries(rows.map((row) => [row.status, row.total]));
}
