// Vectors (stored and queried) go as pgvector's binary input; both drivers must read the same
// float4 values as from the plain decimal form.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "./query";
import { vectorBinary } from "./schema/types";
import { openOverWire, type WiredDatabase } from "./testing";
import type { Database } from "./types";

let wired: WiredDatabase;
let embedded: Database;
let server: Database;
beforeAll(async () => {
  wired = await openOverWire(1);
  ({ embedded, server } = wired);
});
afterAll(async () => {
  await wired?.close();
});

const VALUES = Array.from(new Float32Array([0.0123456789, -0.987654321, 0.1, 2.5e-5, 0.7]));
const PLAIN = `[${VALUES.join(",")}]`;

describe("vectorBinary", () => {
  it("lays out pgvector's binary input: dimensions, a zero, big-endian float4s", () => {
    const bytes = vectorBinary([1, -2]);
    expect([...bytes]).toEqual([0, 2, 0, 0, 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]);
  });

  it("encodes a Float32Array (a view into a larger buffer too) byte for byte as the same numbers", () => {
    const backing = new Float32Array([9, ...VALUES, 9]);
    const view = backing.subarray(1, 1 + VALUES.length);
    expect(vectorBinary(view).equals(vectorBinary(VALUES))).toBe(true);
    expect([...backing]).toEqual([9, ...VALUES, 9]);
  });

  it.each(["embedded", "server"] as const)(
    "is stored exactly as the plain decimal form on the %s driver",
    async (mode) => {
      const database = mode === "embedded" ? embedded : server;
      const [row] = await queryRows<{ binary: string; plain: string }>(
        database.db,
        sql`SELECT ${vectorBinary(VALUES)}::vector::text AS binary, ${PLAIN}::vector::text AS plain`,
      );
      expect(row?.binary).toBe(row?.plain);
    },
  );
});
