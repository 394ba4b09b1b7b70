import { describe, expect, it } from "vitest";
import type { GoldenMetrics } from "./golden";
import { checkThresholds, compareMetrics, formatComparison, Thresholds } from "./report";

const metrics: GoldenMetrics = {
  recallAt1: 0.8,
  recallAt5: 0.9,
  recallAt10: 1,
  mrrAt10: 0.85,
  ndcgAt10: 0.88,
  keyFactRecall: 0.5,
  citationPrecision: 0.98,
  abstentionAccuracy: 0.94,
  falseAbstentionRate: 0.43,
  searchP50Ms: 20,
  searchP95Ms: 60,
  askP50Ms: 25,
  askP95Ms: 70,
};

describe("quality gate", () => {
  it("passes at the thresholds and names every metric outside them", () => {
    const atBounds = Thresholds.parse({
      split: "all",
      minimum: { recallAt1: 0.8, keyFactRecall: 0.5 },
      maximum: { falseAbstentionRate: 0.43 },
    });
    expect(checkThresholds(metrics, atBounds)).toEqual([]);
    const raised = Thresholds.parse({
      split: "all",
      minimum: { recallAt1: 0.81, keyFactRecall: 0.4 },
      maximum: { falseAbstentionRate: 0.4 },
    });
    expect(checkThresholds(metrics, raised)).toEqual([
      "recallAt1 (recall@1) = 0.800 is below its threshold 0.81",
      "falseAbstentionRate (false-abstention rate) = 0.430 is above its threshold 0.4",
    ]);
  });

  it("refuses thresholds for metrics it does not know", () => {
    expect(
      Thresholds.safeParse({ split: "all", minimum: { recall: 0.5 }, maximum: {} }).success,
    ).toBe(false);
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
