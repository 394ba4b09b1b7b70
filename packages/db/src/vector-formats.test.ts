// Vectors are written as pgvector's binary input and queried as scaled-integer text; both drivers
// must store the same float4 values as the plain decimal form.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./client";
import { queryRows } from "./query";
import { vectorBinary, vectorLiteral } from "./schema/types";
import { createTestDatabase, serveOverWire, type WireServer } from "./testing";

let embedded: Database;
let wire: WireServer;
let server: Database;
beforeAll(async () => {
  embedded = await createTestDatabase();
  wire = await serveOverWire(embedded);
  server = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 1 });
});
afterAll(async () => {
  await server.close();
  await wire.stop();
  await embedded.close();
});

const VALUES = Array.from(new Float32Array([0.0123456789, -0.987654321, 0.1, 2.5e-5, 0.7]));
const PLAIN = `[${VALUES.join(",")}]`;

describe("vectorLiteral", () => {
  it("writes each component as an integer count of 1e-9", () => {
    expect(vectorLiteral([0.5, -0.25, 1e-12, 3])).toBe(
      "[500000000e-9,-250000000e-9,0e-9,3000000000e-9]",
    );
  });

  it("stores what the plain decimal form stores, to float4 precision", async () => {
    const [row] = await queryRows<{ compact: string; plain: string; distance: number }>(
      embedded.db,
      sql`SELECT ${vectorLiteral(VALUES)}::vector::text AS compact, ${PLAIN}::vector::text AS plain,
        ${vectorLiteral(VALUES)}::vector <=> ${PLAIN}::vector AS distance`,
    );
    const compact = JSON.parse(row?.compact ?? "[]") as number[];
    const plain = JSON.parse(row?.plain ?? "[]") as number[];
    compact.forEach((value, index) => {
      expect(value).toBeCloseTo(plain[index] as number, 8);
    });
    expect(row?.distance).toBeLessThan(1e-7);
  });
});

describe("vectorBinary", () => {
  it("lays out pgvector's binary input: dimensions, a zero, big-endian float4s", () => {
    const bytes = vectorBinary([1, -2]);
    expect([...bytes]).toEqual([0, 2, 0, 0, 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]);
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
