// Usage per API key and collection over a time window, from the queries log.
import { apiKeys, queries } from "@lore/db";
import { eq, gte, sql } from "drizzle-orm";
import type { LoreContext } from "../context";

export interface UsageRow {
  key: string;
  collection: string;
  queries: number;
  abstained: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export async function usageSince(
  context: Pick<LoreContext, "db">,
  since: Date,
): Promise<UsageRow[]> {
  return context.db
    .select({
      key: sql<string>`coalesce(${apiKeys.name}, '(no key)')`,
      collection: queries.collection,
      queries: sql<number>`count(*)::int`,
      abstained: sql<number>`count(*) FILTER (WHERE ${queries.abstained})::int`,
      promptTokens: sql<number>`coalesce(sum(${queries.promptTokens}), 0)::int`,
      completionTokens: sql<number>`coalesce(sum(${queries.completionTokens}), 0)::int`,
      costUsd: sql<number>`coalesce(sum(${queries.costUsd}), 0)::float8`,
    })
    .from(queries)
    .leftJoin(apiKeys, eq(apiKeys.id, queries.keyId))
    .where(gte(queries.createdAt, since))
    .groupBy(apiKeys.name, queries.collection)
    .orderBy(apiKeys.name, queries.collection);
}
