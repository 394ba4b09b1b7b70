import type { Database } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoreContext } from "../context";
import {
  AUTHENTICATED_KEY_TTL_MS,
  authenticate,
  createApiKey,
  forgetAuthenticatedKeys,
  KEYS_CHANGED_CHANNEL,
  revokeApiKey,
} from "./api-keys";

let database: Database;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

/** A process: its own caches over the shared database. */
const lore = (): Pick<LoreContext, "db" | "caches"> => ({ db: database.db });

const NOW = new Date("2026-12-02T10:00:00.000Z");

describe("authenticated keys", () => {
  it("answers a key it authenticated lately without reading its row, for a few seconds", async () => {
    const context = lore();
    const { key } = await createApiKey(context, { name: "remembered", scopes: ["ask"] });
    expect((await authenticate(context, key, NOW))?.name).toBe("remembered");
    // Revoked behind this process's back (no notification): it is trusted until the TTL ends.
    await database.db.execute(
      sql`UPDATE api_keys SET revoked_at = now() WHERE name = 'remembered'`,
    );
    expect((await authenticate(context, key, NOW))?.name).toBe("remembered");
    expect(await authenticate(lore(), key, NOW)).toBeUndefined();
    const later = new Date(NOW.getTime() + AUTHENTICATED_KEY_TTL_MS + 1);
    expect(await authenticate(context, key, later)).toBeUndefined();
    // A wrong key is never remembered as anything.
    expect(await authenticate(context, `${key.slice(0, -1)}x`, NOW)).toBeUndefined();
  });

  it("stops a revoked key at once in the revoking process and in one that listens", async () => {
    const revoking = lore();
    const listening = lore();
    const stop = await database.listen(KEYS_CHANGED_CHANNEL, () =>
      forgetAuthenticatedKeys(listening),
    );
    try {
      const { key } = await createApiKey(revoking, { name: "leaked", scopes: ["ask"] });
      expect(await authenticate(revoking, key, NOW)).toBeDefined();
      expect(await authenticate(listening, key, NOW)).toBeDefined();
      await revokeApiKey(revoking, "leaked");
      expect(await authenticate(revoking, key, NOW)).toBeUndefined();
      const deadline = Date.now() + 10_000;
      while ((await authenticate(listening, key, NOW)) !== undefined) {
        if (Date.now() > deadline) throw new Error("the revocation never reached the listener");
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      await stop();
    }
  });
});
