// Vectors are written as scaled integers; pgvector must read back the same float4 values.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "./client";
import { queryRows } from "./query";
import { vectorLiteral } from "./schema/types";
import { createTestDatabase } from "./testing";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

describe("vectorLiteral", () => {
  it("writes each component as an integer count of 1e-9", () => {
    expect(vectorLiteral([0.5, -0.25, 1e-12, 3])).toBe(
      "[500000000e-9,-250000000e-9,0e-9,3000000000e-9]",
    );
  });

  it("stores what the plain decimal form stores, to float4 precision", async () => {
    const values = Array.from(new Float32Array([0.0123456789, -0.987654321, 0.1, 2.5e-5, 0.7]));
    const [row] = await queryRows<{ compact: string; plain: string; distance: number }>(
      database.db,
      sql`SELECT ${vectorLiteral(values)}::vector::text AS compact,
        ${`[${values.join(",")}]`}::vector::text AS plain,
        ${vectorLiteral(values)}::vector <=> ${`[${values.join(",")}]`}::vector AS distance`,
    );
    const compact = JSON.parse(row?.compact ?? "[]") as number[];
    const plain = JSON.parse(row?.plain ?? "[]") as number[];
    compact.forEach((value, index) => {
      expect(value).toBeCloseTo(plain[index] as number, 8);
    });
    expect(row?.distance).toBeLessThan(1e-7);
  });
});
