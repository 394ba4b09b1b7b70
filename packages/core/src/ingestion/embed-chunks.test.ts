import { describe, expect, it } from "vitest";
import { embeddingBatches } from "./embed-chunks";
import type { FileOutcome } from "./prepare-document";

/** A changed file whose chunks all need embedding, `texts` of them. */
function fileWith(index: number, texts: number): FileOutcome {
  const pieces = Array.from({ length: texts }, (_, ordinal) => ({
    ordinal,
    text: `text ${index}.${ordinal}`,
    heading: "",
    startLine: ordinal + 1,
    endLine: ordinal + 1,
    tokenCount: 3,
    embedText: `text ${index}.${ordinal}`,
    contentHash: `hash-${index}-${ordinal}`,
  }));
  return {
    file: `file-${index}.md`,
    prepared: {
      outcome: "added",
      document: {
        source: `file-${index}.md`,
        title: "",
        mimeType: "text/markdown",
        content: "",
      },
      hash: `doc-${index}`,
      metadata: {},
      pieces,
      vectors: new Map(),
      missing: pieces.map((piece) => piece.contentHash),
      textsEmbedded: 0,
    },
  };
}

async function* filesOf(count: number, texts: number): AsyncGenerator<FileOutcome> {
  for (let index = 0; index < count; index++) yield fileWith(index, texts);
}

async function batchTexts(batches: AsyncIterable<FileOutcome[]>): Promise<number[]> {
  const sizes: number[] = [];
  for await (const batch of batches) {
    sizes.push(
      batch.reduce((total, entry) => total + (entry.prepared?.outcome === "added" ? 10 : 0), 0),
    );
  }
  return sizes;
}

describe("embeddingBatches", () => {
  it("starts with a quarter, then half a batch, so the first request leaves early; then full batches", async () => {
    // 40 files of 10 texts, batches of 100: at most 25 (whole files: 20), 50, then 100 each.
    expect(await batchTexts(embeddingBatches(filesOf(40, 10), 100))).toEqual([
      20, 50, 100, 100, 100, 30,
    ]);
  });

  it("keeps every file, in order, each in exactly one batch", async () => {
    const seen: string[] = [];
    for await (const batch of embeddingBatches(filesOf(23, 7), 64)) {
      expect(batch.length).toBeGreaterThan(0);
      seen.push(...batch.map((entry) => entry.file));
    }
    expect(seen).toEqual(Array.from({ length: 23 }, (_, index) => `file-${index}.md`));
  });
});
