import { describe, expect, it } from "vitest";
import {
  answerTokenRecall,
  keyFactRecall,
  ndcgAt,
  percentile,
  rankDocuments,
  recallAt,
  reciprocalRankAt,
} from "./metrics";

const judged = (entries: [string, number][]) => new Map(entries);

describe("ranking metrics", () => {
  it("ranks documents by their first chunk", () => {
    expect(rankDocuments(["a", "b", "a", "c", "b"])).toEqual(["a", "b", "c"]);
  });

  it("computes nDCG@k with linear gains and a log2 discount (hand-worked)", () => {
    // Ranking d1 (grade 2), d2 (0), d3 (1); the ideal is 2, 1.
    // DCG = 2/log2(2) + 0/log2(3) + 1/log2(4) = 2 + 0 + 0.5 = 2.5
    // IDCG = 2/log2(2) + 1/log2(3) = 2 + 0.6309298 = 2.6309298
    const grades = judged([
      ["d1", 2],
      ["d3", 1],
    ]);
    expect(ndcgAt(["d1", "d2", "d3"], grades, 10)).toBeCloseTo(2.5 / 2.6309298, 6);
    // Cut at 2: DCG = 2, IDCG = 2.6309298.
    expect(ndcgAt(["d1", "d2", "d3"], grades, 2)).toBeCloseTo(2 / 2.6309298, 6);
    // Best document at rank 2 only: DCG = 2/log2(3) = 1.2618596; IDCG@1 = 2 → 0 at k = 1.
    expect(ndcgAt(["x", "d1"], grades, 1)).toBe(0);
    expect(ndcgAt(["d1", "d3"], grades, 10)).toBeCloseTo(1, 10);
  });

  it("uses grade, not 2^grade - 1, as the gain", () => {
    // One relevant at rank 2 (grade 3) and one at rank 1 (grade 1).
    // Linear: DCG = 1 + 3/log2(3) = 2.8927893; IDCG = 3 + 1/log2(3) = 3.6309298.
    const grades = judged([
      ["a", 1],
      ["b", 3],
    ]);
    expect(ndcgAt(["a", "b"], grades, 10)).toBeCloseTo(2.8927893 / 3.6309298, 6);
  });

  it("counts zero-graded qrels as not relevant and gives no-relevant queries 0", () => {
    const grades = judged([
      ["a", 0],
      ["b", 1],
    ]);
    expect(recallAt(["a", "c"], grades, 10)).toBe(0);
    expect(reciprocalRankAt(["a", "c", "b"], grades, 10)).toBeCloseTo(1 / 3, 10);
    expect(reciprocalRankAt(["a", "c", "b"], grades, 2)).toBe(0);
    expect(ndcgAt(["a"], judged([["a", 0]]), 10)).toBe(0);
  });

  it("computes recall@k over all relevant documents", () => {
    const grades = judged([
      ["a", 1],
      ["b", 1],
      ["c", 1],
      ["d", 1],
    ]);
    expect(recallAt(["a", "x", "b", "c"], grades, 1)).toBe(0.25);
    expect(recallAt(["a", "x", "b", "c"], grades, 3)).toBe(0.5);
    expect(recallAt(["a", "x", "b", "c"], grades, 10)).toBe(0.75);
  });
});

describe("answer metrics", () => {
  it("matches key facts ignoring case, markdown markers and spacing", () => {
    expect(
      keyFactRecall("Run `kubectl  argo rollouts undo ledger-api` [1]", [
        "kubectl argo rollouts undo",
      ]),
    ).toBe(1);
    expect(keyFactRecall("The limit is **25 days**.", ["25 Days", "public holidays"])).toBe(0.5);
    expect(keyFactRecall("I could not find this.", ["25 days"])).toBe(0);
  });

  it("takes nearest-rank percentiles", () => {
    const sample = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(sample, 50)).toBe(5);
    expect(percentile(sample, 95)).toBe(10);
    expect(percentile([], 50)).toBe(0);
  });
});

describe("answer token recall", () => {
  it("is the share of the reference's content terms in the answer, stemmed, stop words dropped", () => {
    // Terms of the reference: amazon, ebs, encrypt, avail, m3, instanc (6).
    const reference = "Amazon EBS encryption is available on the M3 instances";
    expect(answerTokenRecall("EBS encryption is available for M3.", reference)).toBeCloseTo(4 / 6);
    expect(
      answerTokenRecall("Amazon EBS encryption: available on M3 instance types", reference),
    ).toBe(1);
    expect(answerTokenRecall("I could not find this.", reference)).toBe(0);
    expect(answerTokenRecall("anything", "the of and")).toBe(1);
  });
});
