// The insights reports' reads over the query log: one transaction, with Postgres's JIT off and room to sort in memory.
import type { LoreDb, LoreTransaction } from "@lore/db";
import { sql } from "drizzle-orm";

/**
 * Aggregates over a month of the log look expensive to the planner, so Postgres (jit = on by
 * default) compiled them: 4.3 s of JIT for one gaps query at 100,000 rows on the bench machine,
 * more than the query itself. These are scans, sorts and hash aggregates; without JIT they run
 * as planned. PGlite has no JIT and accepts the setting.
 */
export async function reportTransaction<T>(
  db: LoreDb,
  run: (transaction: LoreTransaction) => Promise<T>,
): Promise<T> {
  return db.transaction(async (transaction) => {
    await transaction.execute(sql.raw("SET LOCAL jit = off"));
    // The usage report sorts the window's rows into day groups: ~25 MB at 100,000 rows, which
    // spilled to disk under the default 4 MB.
    await transaction.execute(sql.raw("SET LOCAL work_mem = '64MB'"));
    return run(transaction);
  });
}
