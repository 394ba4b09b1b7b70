import { describe, expect, it } from "vitest";
import type { GoldenMetrics, GoldenReport, QuestionResult } from "./golden";
import {
  checkFusion,
  checkThresholds,
  compareMetrics,
  formatComparison,
  formatMarkdown,
  Thresholds,
} from "./report";

const metrics: GoldenMetrics = {
  recallAt1: 0.8,
  recallAt5: 0.9,
  recallAt10: 1,
  mrrAt10: 0.85,
  ndcgAt10: 0.88,
  answeredFromSource: 0.8,
  keyFactRecall: 0.5,
  answerTokenRecall: null,
  citationPrecision: 0.98,
  abstentionAccuracy: 0.94,
  falseAbstentionRate: 0.43,
  searchP50Ms: 20,
  searchP95Ms: 60,
  askP50Ms: 25,
  askP95Ms: 70,
};

const corpus = (bounds: Record<string, unknown>) =>
  Thresholds.parse({ hybridBelowBm25: 0.01, corpora: { docs: bounds } }).corpora.docs ?? {
    minimum: {},
    maximum: {},
  };

describe("quality gate", () => {
  it("passes at the thresholds and names every metric outside them", () => {
    const atBounds = corpus({
      split: "all",
      minimum: { recallAt1: 0.8, keyFactRecall: 0.5 },
      maximum: { falseAbstentionRate: 0.43 },
    });
    expect(checkThresholds(metrics, atBounds)).toEqual([]);
    const raised = corpus({
      split: "all",
      minimum: { recallAt1: 0.81, keyFactRecall: 0.4 },
      maximum: { falseAbstentionRate: 0.4 },
    });
    expect(checkThresholds(metrics, raised)).toEqual([
      "recallAt1 (recall@1) = 0.800 is below its threshold 0.81",
      "falseAbstentionRate (false refusals) = 0.430 is above its threshold 0.4",
    ]);
  });

  it("fails a bound on a metric these questions cannot measure, instead of passing it", () => {
    expect(
      checkThresholds(metrics, corpus({ minimum: { answerTokenRecall: 0.5 }, maximum: {} })),
    ).toEqual([
      "answerTokenRecall (answer token recall) was not measured: these questions cannot measure it",
    ]);
  });

  it("refuses thresholds for metrics it does not know", () => {
    expect(
      Thresholds.safeParse({
        hybridBelowBm25: 0.01,
        corpora: { docs: { minimum: { recall: 0.5 }, maximum: {} } },
      }).success,
    ).toBe(false);
  });
});

describe("fusion gate", () => {
  const legs = (hybrid: number, bm25: number) => {
    const retrieval = { recallAt1: 0, recallAt5: 0, recallAt10: 0, mrrAt10: 0 };
    return {
      legs: {
        bm25: { ...retrieval, ndcgAt10: bm25 },
        vector: { ...retrieval, ndcgAt10: 0.5 },
        hybrid: { ...retrieval, ndcgAt10: hybrid },
      },
    };
  };

  it("allows hybrid up to the tolerance below BM25 alone and fails it past that", () => {
    expect(checkFusion(legs(0.87, 0.88), 0.01)).toEqual([]);
    expect(checkFusion(legs(0.95, 0.88), 0.01)).toEqual([]);
    expect(checkFusion(legs(0.869, 0.88), 0.01)).toEqual([
      "hybrid nDCG@10 = 0.869 is more than 0.01 below BM25 alone (0.880)",
    ]);
  });
});

describe("run comparison", () => {
  it("reports deltas and whether each moved in the better direction", () => {
    const rows = compareMetrics(metrics, { ...metrics, recallAt1: 0.9, askP95Ms: 90 });
    expect(rows.find((row) => row.name === "recallAt1")).toMatchObject({
      before: 0.8,
      after: 0.9,
      improved: true,
    });
    expect(rows.find((row) => row.name === "recallAt1")?.delta).toBeCloseTo(0.1, 10);
    expect(rows.find((row) => row.name === "askP95Ms")).toMatchObject({
      delta: 20,
      improved: false,
    });
    expect(rows.find((row) => row.name === "ndcgAt10")).toMatchObject({ delta: 0, improved: null });
    const table = formatComparison(rows, "A.json", "B.json");
    expect(table.split("\n")[0]).toMatch(/^metric\s+A\.json\s+B\.json\s+delta/);
    expect(table).toMatch(/recall@1\s+0\.800\s+0\.900\s+\+0\.100 better/);
  });
});

describe("markdown summary", () => {
  const result = (overrides: Partial<QuestionResult>): QuestionResult => ({
    id: "q",
    answerable: true,
    expected: ["right.md"],
    ranked: ["right.md"],
    legs: { bm25: [], vector: [] },
    reciprocalRank: 1,
    abstained: false,
    keyFactRecall: null,
    answerTokenRecall: null,
    citedSources: ["right.md"],
    answer: "",
    searchMs: 1,
    askMs: 1,
    ...overrides,
  });
  const retrieval = { recallAt1: 1, recallAt5: 1, recallAt10: 1, mrrAt10: 1, ndcgAt10: 1 };
  const report: GoldenReport = {
    kind: "golden",
    createdAt: "2026-01-01T00:00:00.000Z",
    config: {
      corpus: "aws",
      split: null,
      embedder: "local:test",
      answerModes: ["extractive"],
      askTopK: null,
      retrieval: {},
    },
    questions: { total: 2, answerable: 2, unanswerable: 0 },
    corpus: { documents: 2, chunks: 2, ingestMs: 1 },
    metrics,
    legs: { bm25: retrieval, vector: retrieval, hybrid: retrieval },
    results: [
      result({ id: "answered-right" }),
      result({
        id: "answered-wrong",
        ranked: ["other.md", "right.md"],
        reciprocalRank: 0.5,
        citedSources: ["other.md", "other.md"],
      }),
    ],
  };

  it("lists answers from the wrong page with where the right one ranked and what was cited", () => {
    const markdown = formatMarkdown(report);
    expect(markdown).toContain("| answered-wrong | true | 0.500 | 2 | — | — | false | other.md |");
    expect(markdown).not.toContain("| answered-right |");
  });
});
