// The operators' view of the ingest queue: how long the oldest runnable queued job has waited.
import { queryRows } from "@lore/db";
import { sql } from "drizzle-orm";
import type { LoreContext } from "../context";

/** Seconds since the oldest queued job became runnable (a retry's backoff does not count); 0 when none waits. */
export async function ingestQueueAgeSeconds(context: Pick<LoreContext, "db">): Promise<number> {
  const [row] = await queryRows<{ age: number | null }>(
    context.db,
    sql`SELECT extract(epoch FROM now() - min(run_after))::float8 AS age
        FROM ingest_jobs WHERE status = 'queued' AND run_after <= now()`,
  );
  return Math.max(0, row?.age ?? 0);
}
