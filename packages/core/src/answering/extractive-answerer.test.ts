import { describe, expect, it } from "vitest";
import type { RetrievedChunk } from "../retrieval/hybrid-search";
import { extractiveAnswer } from "./extractive-answerer";

function chunk(source: string, heading: string, startLine: number, text: string): RetrievedChunk {
  return {
    chunkId: `chk_${source}_${startLine}`,
    documentId: `doc_${source}`,
    source,
    title: heading.split(" > ")[0] ?? "",
    heading,
    startLine,
    endLine: startLine + text.split("\n").length - 1,
    text,
    score: 0.03,
    similarity: 0.4,
    textRank: 1,
  };
}

// Two short sections packed into one chunk, as the chunker does.
const PACKED = chunk(
  "deploy.md",
  "Deploy Guide",
  10,
  [
    "## Canary releases",
    "",
    "A canary rollout aborts when its p95 latency is above 800 ms.",
    "",
    "## Reporting",
    "",
    "The reporting-service exports dashboards every night.",
  ].join("\n"),
);

describe("extractiveAnswer", () => {
  it("quotes a packed chunk's sentence with its own line and section", () => {
    const draft = extractiveAnswer("When does a canary rollout abort?", [PACKED]);
    expect(draft.abstained).toBe(false);
    expect(draft.citations[0]).toMatchObject({
      startLine: 12,
      endLine: 12,
      source: "deploy.md",
      heading: "Deploy Guide > Canary releases",
    });
    expect(draft.answer).toContain("p95 latency is above 800 ms");
  });

  it("does not lend a sentence the words of another section packed in the same chunk", () => {
    // Canary and latency are in one section, dashboards only in the other.
    const draft = extractiveAnswer("Which dashboards show canary latency?", [PACKED]);
    expect(draft.abstained).toBe(true);
  });

  it("abstains when the name asked about is only in another document", () => {
    const latency = chunk(
      "deploy.md",
      "Deploy Guide > Canary",
      5,
      "A canary rollout aborts when its p95 latency is above 800 ms.",
    );
    const reporting = chunk(
      "architecture.md",
      "Architecture > Services",
      30,
      "The reporting-service reads only from ClickHouse.",
    );
    const question = "What p95 latency makes a reporting-service canary rollout abort?";
    expect(extractiveAnswer(question, [latency, reporting]).abstained).toBe(true);

    const named = chunk(
      "deploy.md",
      "Deploy Guide > Canary",
      5,
      "A reporting-service canary rollout aborts when its p95 latency is above 800 ms.",
    );
    const draft = extractiveAnswer(question, [named, reporting]);
    expect(draft.abstained).toBe(false);
    expect(draft.citations[0]?.source).toBe("deploy.md");
  });
});
