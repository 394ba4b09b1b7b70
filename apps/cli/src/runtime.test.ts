// The composition root refuses, at start-up, retrieval settings that would fail every search.
import { ConfigError, loadConfig } from "@lore/config";
import { createTestDatabase } from "@lore/db/testing";
import { describe, expect, it } from "vitest";
import { createContext } from "./runtime";

describe("createContext", () => {
  it("stops start-up when the retrieval weights leave no ranking for the embedder", async () => {
    const database = await createTestDatabase();
    try {
      // The local embedder's vector weight defaults to 0, so a text weight of 0 leaves nothing.
      await expect(
        createContext(loadConfig({ LORE_RETRIEVAL_TEXT_WEIGHT: "0" }), database),
      ).rejects.toBeInstanceOf(ConfigError);
      const vectorOnly = await createContext(
        loadConfig({ LORE_RETRIEVAL_TEXT_WEIGHT: "0", LORE_RETRIEVAL_VECTOR_WEIGHT: "1" }),
        database,
      );
      expect(vectorOnly.retrieval).toMatchObject({ textWeight: 0, vectorWeight: 1 });
    } finally {
      await database.close();
    }
  });
});
