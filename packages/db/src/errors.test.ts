// describeError keeps SQL parameters out of logs; isConnectionError tells an outage from a bug.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeError, isConnectionError, oneLine } from "./errors";
import { createTestDatabase } from "./testing";
import type { Database } from "./types";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const SECRET = "sk-document-text-that-must-never-be-logged";

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected the query to fail");
}

describe("describeError", () => {
  it("gives the SQLSTATE and the driver's message, never the query or its parameters", async () => {
    const error = await failure(() =>
      database.db.execute(sql`SELECT ${SECRET}::int AS not_a_number, ${"x".repeat(5000)} AS long`),
    );
    // The wrapped error really does carry the parameters (this is what used to be logged).
    expect(String((error as Error).message)).toContain(SECRET);
    const described = describeError(error);
    expect(described).toEqual({
      code: "22P02",
      message: 'invalid input syntax for type integer: "…"',
    });
    expect(described.message.length).toBeLessThanOrEqual(200);
  });

  it("leaves out Postgres's detail, which quotes row values", async () => {
    await database.db.execute(sql`CREATE TEMP TABLE unique_things (name text UNIQUE)`);
    await database.db.execute(sql`INSERT INTO unique_things VALUES (${SECRET})`);
    const error = await failure(() =>
      database.db.execute(sql`INSERT INTO unique_things VALUES (${SECRET})`),
    );
    const described = describeError(error);
    expect(described.code).toBe("23505");
    expect(described.message).toMatch(/duplicate key/);
    expect(JSON.stringify(described)).not.toContain(SECRET);
  });

  it("cleans NUL, control characters and lone surrogates, and bounds the length", () => {
    const described = describeError(new Error(`bad\u0000byte\nand \ud800 ${"y".repeat(500)}`));
    expect(described.code).toBe("Error");
    expect(described.message).toMatch(/^bad byte and \ufffd y+…$/);
    expect(described.message.length).toBe(200);
  });

  it("describes things that are not errors", () => {
    expect(describeError("a string")).toEqual({ code: "unknown", message: "a string" });
    expect(describeError(Object.assign(new Error("gone"), { code: "ECONNRESET" }))).toEqual({
      code: "ECONNRESET",
      message: "gone",
    });
  });
});

describe("oneLine", () => {
  it("makes a message one short line without control characters or a split pair", () => {
    expect(oneLine("bad\u0000 object\n\tat 12")).toBe("bad object at 12");
    const cut = oneLine(`${"x".repeat(8)}😀y`, 10);
    expect(cut).toBe("xxxxxxxx\ufffd…");
  });
});

describe("isConnectionError", () => {
  const withCode = (code: string) => Object.assign(new Error("x"), { code });

  it("recognises connection-class SQLSTATEs, socket errors and driver messages", () => {
    for (const code of [
      "08006",
      "08001",
      "57P01",
      "57P02",
      "57P03",
      "ECONNREFUSED",
      "ECONNRESET",
    ]) {
      expect(isConnectionError(withCode(code)), code).toBe(true);
    }
    expect(isConnectionError(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isConnectionError(new Error("timeout exceeded when trying to connect"))).toBe(true);
    // Wrapped by drizzle, or inside an AggregateError from a dual-stack connect.
    expect(isConnectionError(new Error("Failed query", { cause: withCode("57P01") }))).toBe(true);
    expect(isConnectionError(new AggregateError([withCode("ECONNREFUSED")]))).toBe(true);
  });

  it("does not mistake bad input or bugs for an outage", async () => {
    expect(isConnectionError(withCode("23505"))).toBe(false);
    expect(isConnectionError(new TypeError("undefined is not a function"))).toBe(false);
    expect(isConnectionError(await failure(() => database.db.execute(sql`SELECT 1/0`)))).toBe(
      false,
    );
  });
});
