import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRIEVAL,
  LOCAL_EMBEDDER_RETRIEVAL,
  retrievalOverrides,
  retrievalSettings,
} from "./retrieval-settings";

describe("retrieval settings", () => {
  it("default per embedder: the local hashing embedder does not reorder BM25", () => {
    expect(retrievalSettings("local:lore-hash-v1")).toEqual(LOCAL_EMBEDDER_RETRIEVAL);
    expect(retrievalSettings("local:lore-hash-v1").vectorWeight).toBeLessThanOrEqual(0.1);
    expect(retrievalSettings("openai:text-embedding-3-small")).toEqual(DEFAULT_RETRIEVAL);
  });

  it("apply overrides in order, later ones winning, BM25 parameters one by one", () => {
    const settings = retrievalSettings(
      "openai:model",
      { vectorWeight: 0.3, bm25: { k1: 1.2 } },
      undefined,
      { vectorWeight: 0.7, rrfK: 20, bm25: { b: 0.75 } },
    );
    expect(settings).toEqual({
      ...DEFAULT_RETRIEVAL,
      vectorWeight: 0.7,
      rrfK: 20,
      bm25: { k1: 1.2, b: 0.75 },
    });
  });

  it("refuse settings that weigh both rankings 0", () => {
    expect(() => retrievalSettings("openai:model", { vectorWeight: 0, textWeight: 0 })).toThrow(
      /vector or a text weight/,
    );
  });

  it("read flat configuration values, leaving unset ones to the defaults", () => {
    expect(retrievalOverrides({})).toEqual({});
    expect(retrievalOverrides({ vectorWeight: 0.05, bm25B: 0.6, candidates: 80 })).toEqual({
      vectorWeight: 0.05,
      candidates: 80,
      bm25: { b: 0.6 },
    });
  });
});
