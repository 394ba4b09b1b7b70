import { describe, expect, it } from "vitest";
import type { RetrievedChunk } from "../retrieval/hybrid-search";
import { CitationRewriter, enforceCitations } from "./enforce-citations";

const chunk = (id: string, startLine: number): RetrievedChunk => ({
  chunkId: `chk_${id}`,
  documentId: `doc_${id}`,
  source: `${id}.md`,
  title: id,
  heading: `${id} > Section`,
  startLine,
  endLine: startLine + 2,
  text: `Text of ${id}.`,
  score: 0.5,
  similarity: 0.4,
  textRank: 1,
});
const sources = [chunk("a", 1), chunk("b", 10), chunk("c", 20)];

describe("enforceCitations", () => {
  it("renumbers by first use and resolves each number to its chunk and lines", () => {
    const result = enforceCitations("Alpha [3]. Beta [1, 3]. Gamma [3].", sources);
    expect(result.answer).toBe("Alpha [1]. Beta [2][1]. Gamma [1].");
    expect(result.citations.map((citation) => [citation.n, citation.source])).toEqual([
      [1, "c.md"],
      [2, "a.md"],
    ]);
    expect(result.citations[0]).toMatchObject({ chunkId: "chk_c", startLine: 20, endLine: 22 });
    expect(result.droppedCitations).toBe(0);
  });

  it("drops and counts numbers that were not in the prompt, with the space before them", () => {
    const result = enforceCitations("Alpha [2] [97]. Beta [0][4, 1].", sources);
    expect(result.answer).toBe("Alpha [1]. Beta [2].");
    expect(result.droppedCitations).toBe(3);
    expect(result.citations.map((citation) => citation.source)).toEqual(["b.md", "a.md"]);
  });

  it("gives the same answer streamed in any split, holding back half-written markers", () => {
    const text = "Roll back with undo [2]. Then check [97] and [1, 2].";
    const rewriter = new CitationRewriter(sources);
    const shown: string[] = [];
    for (const piece of text.match(/.{1,3}/gs) ?? []) shown.push(rewriter.push(piece));
    shown.push(rewriter.flush());
    expect(shown.some((piece) => /\[[\d,\s]*$/.test(piece) || piece.includes("97"))).toBe(false);
    expect(shown.join("")).toBe("Roll back with undo [1]. Then check  and [2][1].");
    expect(rewriter.result()).toMatchObject({
      answer: "Roll back with undo [1]. Then check and [2][1].",
      droppedCitations: 1,
    });
  });
});
