// Writes eval results (JSON + markdown), checks them against thresholds, and compares two runs.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import {
  type GoldenMetrics,
  type GoldenReport,
  LEGS,
  type Leg,
  type QuestionResult,
} from "./golden";

export const RESULTS_DIR = fileURLToPath(new URL("../results", import.meta.url));
export const THRESHOLDS_FILE = fileURLToPath(new URL("../thresholds.json", import.meta.url));

type MetricName = keyof GoldenMetrics;

/** Display order, labels, and which direction is better. */
export const METRICS: {
  name: MetricName;
  label: string;
  higherIsBetter: boolean;
  unit: "" | "ms";
}[] = [
  { name: "recallAt1", label: "recall@1", higherIsBetter: true, unit: "" },
  { name: "recallAt5", label: "recall@5", higherIsBetter: true, unit: "" },
  { name: "recallAt10", label: "recall@10", higherIsBetter: true, unit: "" },
  { name: "mrrAt10", label: "MRR@10", higherIsBetter: true, unit: "" },
  { name: "ndcgAt10", label: "nDCG@10", higherIsBetter: true, unit: "" },
  { name: "answeredFromSource", label: "answered from source", higherIsBetter: true, unit: "" },
  { name: "keyFactRecall", label: "key-fact recall", higherIsBetter: true, unit: "" },
  { name: "answerTokenRecall", label: "answer token recall", higherIsBetter: true, unit: "" },
  { name: "citationPrecision", label: "citation precision", higherIsBetter: true, unit: "" },
  {
    name: "abstentionAccuracy",
    label: "refusals on unanswerable",
    higherIsBetter: true,
    unit: "",
  },
  { name: "falseAbstentionRate", label: "false refusals", higherIsBetter: false, unit: "" },
  { name: "searchP50Ms", label: "search p50", higherIsBetter: false, unit: "ms" },
  { name: "searchP95Ms", label: "search p95", higherIsBetter: false, unit: "ms" },
  { name: "askP50Ms", label: "ask p50", higherIsBetter: false, unit: "ms" },
  { name: "askP95Ms", label: "ask p95", higherIsBetter: false, unit: "ms" },
];

const MetricName = z.enum(METRICS.map((metric) => metric.name) as [MetricName, ...MetricName[]]);
const CorpusThresholds = z
  .object({
    /** The golden split the bounds were measured on (fixtures/docs only). */
    split: z.enum(["dev", "test", "all"]).optional(),
    minimum: z.partialRecord(MetricName, z.number()),
    maximum: z.partialRecord(MetricName, z.number()),
  })
  .strict();
export type CorpusThresholds = z.infer<typeof CorpusThresholds>;
export const Thresholds = z
  .object({
    /** How far hybrid nDCG@10 may fall below BM25 alone on any corpus. */
    hybridBelowBm25: z.number().min(0),
    corpora: z.record(z.string(), CorpusThresholds),
  })
  .strict();
export type Thresholds = z.infer<typeof Thresholds>;

export async function loadThresholds(file = THRESHOLDS_FILE): Promise<Thresholds> {
  const parsed = Thresholds.safeParse(JSON.parse(await readFile(file, "utf8")));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`${file}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "invalid"}`);
}

/** One message per metric outside its bound; empty when the run passes. */
export function checkThresholds(metrics: GoldenMetrics, thresholds: CorpusThresholds): string[] {
  const failures: string[] = [];
  for (const { name, label } of METRICS) {
    const value = metrics[name];
    const minimum = thresholds.minimum[name];
    const maximum = thresholds.maximum[name];
    if (minimum === undefined && maximum === undefined) continue;
    if (value === null) {
      failures.push(`${name} (${label}) was not measured: these questions cannot measure it`);
      continue;
    }
    if (minimum !== undefined && value < minimum) {
      failures.push(`${name} (${label}) = ${format(value)} is below its threshold ${minimum}`);
    }
    if (maximum !== undefined && value > maximum) {
      failures.push(`${name} (${label}) = ${format(value)} is above its threshold ${maximum}`);
    }
  }
  return failures;
}

/** The fusion gate: hybrid must not lose more than `tolerance` nDCG@10 to its own BM25 leg. */
export function checkFusion(report: Pick<GoldenReport, "legs">, tolerance: number): string[] {
  const { hybrid, bm25 } = report.legs;
  if (hybrid.ndcgAt10 >= bm25.ndcgAt10 - tolerance) return [];
  return [
    `hybrid nDCG@10 = ${format(hybrid.ndcgAt10)} is more than ${tolerance} below BM25 alone (${format(bm25.ndcgAt10)})`,
  ];
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

function cell(value: number | null): string {
  return value === null ? "—" : format(value);
}

/** A file-name-safe label for a run: corpus, embedder, answer mode and split. */
export function configLabel(report: GoldenReport): string {
  return `${report.config.corpus}-${report.config.embedder}-${report.config.answerModes.join("+") || "none"}${report.config.split ? `-${report.config.split}` : ""}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

export async function writeResults(
  report: GoldenReport,
  directory = RESULTS_DIR,
): Promise<{ json: string; markdown: string }> {
  await mkdir(directory, { recursive: true });
  const stamp = report.createdAt.replace(/[:.]/g, "-");
  const base = path.join(directory, `${stamp}-${configLabel(report)}`);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, formatMarkdown(report));
  return { json: `${base}.json`, markdown: `${base}.md` };
}

export function formatMarkdown(report: GoldenReport): string {
  const { config, questions, corpus } = report;
  const legNames = Object.keys(LEGS) as Leg[];
  const lines = [
    `# Eval: ${config.corpus}${config.split ? ` (${config.split} split)` : ""}`,
    "",
    `${questions.total} questions (${questions.answerable} answerable, ${questions.unanswerable} unanswerable) over ${corpus.documents} documents / ${corpus.chunks} chunks; embedder \`${config.embedder}\`, answers \`${config.answerModes.join(", ")}\`, ${report.createdAt}.`,
    "",
    "| metric | value |",
    "| --- | ---: |",
    ...METRICS.map(
      ({ name, label, unit }) =>
        `| ${label} | ${cell(report.metrics[name])}${unit ? ` ${unit}` : ""} |`,
    ),
    "",
    "Retrieval by leg (BM25 only, vector only, hybrid as configured):",
    "",
    `| metric | ${legNames.join(" | ")} |`,
    `| --- | ${legNames.map(() => "---:").join(" | ")} |`,
    ...METRICS.filter(({ name }) => name in report.legs.hybrid).map(
      ({ name, label }) =>
        `| ${label} | ${legNames.map((leg) => cell(report.legs[leg][name as keyof GoldenReport["legs"][Leg]])).join(" | ")} |`,
    ),
    "",
  ];
  const misses = report.results.filter(
    (result) =>
      (result.answerable &&
        (result.reciprocalRank === 0 ||
          result.abstained ||
          wrongSource(result) ||
          (result.keyFactRecall !== null && result.keyFactRecall < 1))) ||
      (!result.answerable && !result.abstained),
  );
  if (misses.length > 0) {
    // Where the expected page ranked and what the answer cited tell a retrieval miss (not in
    // the first few documents) from a wrong choice among retrieved ones.
    lines.push(
      "## Misses",
      "",
      "| id | answerable | MRR | expected at | key facts | answer tokens | abstained | cited (wrong source) |",
      "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    );
    for (const miss of misses) {
      lines.push(
        `| ${miss.id} | ${miss.answerable} | ${format(miss.reciprocalRank)} | ${expectedRank(miss)} | ${cell(miss.keyFactRecall)} | ${cell(miss.answerTokenRecall)} | ${miss.abstained} | ${wrongSource(miss) ? [...new Set(miss.citedSources)].join(", ") : ""} |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** An answer (not an abstention) to an answerable question that cites none of its sources. */
function wrongSource(result: QuestionResult): boolean {
  return (
    result.answerable &&
    !result.abstained &&
    !result.citedSources.some((source) => result.expected.includes(source))
  );
}

/** 1-based rank of the first expected document in the first ten, "—" past them. */
function expectedRank(result: QuestionResult): string {
  const rank = result.ranked.findIndex((source) => result.expected.includes(source));
  return rank < 0 ? "—" : String(rank + 1);
}

const SavedReport = z.object({
  config: z.object({ embedder: z.string() }).loose(),
  metrics: z.record(z.string(), z.number().nullable()),
});

export async function loadReport(file: string): Promise<z.infer<typeof SavedReport>> {
  const parsed = SavedReport.safeParse(JSON.parse(await readFile(file, "utf8")));
  if (!parsed.success) throw new Error(`${file} is not a golden eval result`);
  return parsed.data;
}

export interface MetricDelta {
  name: string;
  label: string;
  before: number | null;
  after: number | null;
  delta: number | null;
  /** true when the change is in the better direction, false when worse, null when unchanged. */
  improved: boolean | null;
}

export function compareMetrics(
  before: Partial<Record<MetricName, number | null>>,
  after: Partial<Record<MetricName, number | null>>,
): MetricDelta[] {
  return METRICS.map(({ name, label, higherIsBetter }) => {
    const left = before[name] ?? null;
    const right = after[name] ?? null;
    const delta = left === null || right === null ? null : right - left;
    return {
      name,
      label,
      before: left,
      after: right,
      delta,
      improved: delta === null || delta === 0 ? null : delta > 0 === higherIsBetter,
    };
  });
}

export function formatComparison(
  rows: MetricDelta[],
  beforeName: string,
  afterName: string,
): string {
  const cell = (value: number | null) => (value === null ? "—" : format(value));
  const header = ["metric", beforeName, afterName, "delta"];
  const body = rows.map((row) => [
    row.label,
    cell(row.before),
    cell(row.after),
    row.delta === null
      ? "—"
      : `${row.delta > 0 ? "+" : ""}${format(row.delta)}${row.improved === null ? "" : row.improved ? " better" : " worse"}`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((row) => (row[column] ?? "").length)),
  );
  return [header, ...body]
    .map((row) =>
      row
        .map((value, column) => value.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
