// Column types drizzle does not ship in the shape Lore needs.
import { customType } from "drizzle-orm/pg-core";

/**
 * A pgvector column without a fixed dimension: each collection fixes its own
 * (its embedder's), and the HNSW index is built per dimension (see vector-index.ts).
 */
export const vector = customType<{ data: number[]; driverData: string }>({
  dataType: () => "vector",
  toDriver: (value) => vectorLiteral(value),
  fromDriver: (value) => JSON.parse(value) as number[],
});

/**
 * pgvector's text input, written as integers in units of 1e-9 ("12345678e-9"): formatting a
 * float's shortest decimal is the main cost of writing vectors (about 2.5x slower and 1.7x
 * longer for 1,536 dimensions), and pgvector keeps float4, whose resolution near a typical
 * unit-vector component (0.02) is about 2e-9, so nothing it would store is lost.
 */
export function vectorLiteral(values: readonly number[]): string {
  let literal = "[";
  for (let index = 0; index < values.length; index++) {
    if (index > 0) literal += ",";
    literal += `${Math.round((values[index] as number) * 1e9)}e-9`;
  }
  return `${literal}]`;
}

export const tsvector = customType<{ data: string }>({
  dataType: () => "tsvector",
});
