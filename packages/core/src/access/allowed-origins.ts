// Publishable keys' browser origins: whether any active key lets an origin in (for CORS preflights, which carry no key).
import { apiKeys } from "@lore/db";
import { and, arrayContains, isNull } from "drizzle-orm";
import type { LoreContext } from "../context";

/** True when an active key lists `origin` in its allowedOrigins. */
export async function isAllowedOrigin(
  context: Pick<LoreContext, "db">,
  origin: string,
): Promise<boolean> {
  const rows = await context.db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(
      and(arrayContains(apiKeys.allowedOrigins, [origin.toLowerCase()]), isNull(apiKeys.revokedAt)),
    )
    .limit(1);
  return rows.length > 0;
}
