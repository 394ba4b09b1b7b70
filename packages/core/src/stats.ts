// Operational counts for metrics: ingest jobs by status.
import { ingestJobs, type LoreDb } from "@lore/db";
import { count } from "drizzle-orm";

export async function jobCountsByStatus(db: LoreDb): Promise<Record<string, number>> {
  const rows = await db
    .select({ status: ingestJobs.status, total: count() })
    .from(ingestJobs)
    .groupBy(ingestJobs.status);
  return Object.fromEntries(rows.map((row) => [row.status, row.total]));
}
