// Readiness: can the database answer a trivial query?
import { sql } from "drizzle-orm";
import type { LoreContext } from "./context";

export async function databaseReady(context: LoreContext): Promise<boolean> {
  try {
    await context.db.execute(sql`SELECT 1`);
    return true;
  } catch {
    return false;
  }
}
