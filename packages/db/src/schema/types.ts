// Column types drizzle does not ship in the shape Lore needs.
import { customType } from "drizzle-orm/pg-core";

/**
 * A pgvector column without a fixed dimension: each collection fixes its own
 * (its embedder's), and the HNSW index is built per dimension (see vector-index.ts).
 */
export const vector = customType<{ data: number[]; driverData: string }>({
  dataType: () => "vector",
  toDriver: (value) => `[${value.join(",")}]`,
  fromDriver: (value) => JSON.parse(value) as number[],
});

export const tsvector = customType<{ data: string }>({
  dataType: () => "tsvector",
});
