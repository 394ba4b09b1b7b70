// `lore insights gaps|resolve|usage`: the insights views on the terminal, or as JSON.
import {
  type GapsResponse,
  insightsUsage,
  listGaps,
  resolveGap,
  type UsageResponse,
} from "@lore/core";
import type { Command } from "commander";
import { withDatabase } from "../database";
import { printJson } from "../output";
import { withRuntime } from "../runtime";

const percent = (part: number, whole: number) =>
  whole === 0 ? "-" : `${Math.round((part / whole) * 100)}%`;

export function formatGaps(response: GapsResponse): string {
  if (response.gaps.length === 0) {
    return `No refused, fallback or voted-down questions in "${response.collection}" since ${response.since}.`;
  }
  const lines = [
    `Gaps in "${response.collection}" since ${response.since} (${response.failedAsks} failed asks, ${response.distinctQuestions} distinct questions):`,
  ];
  for (const [index, gap] of response.gaps.entries()) {
    lines.push(
      `${index + 1}. ${gap.representative}  ×${gap.count} (refused ${gap.refused}, fallback ${gap.fallback}, thumbs-down ${gap.thumbsDown})${gap.status === "resolved" ? "  [resolved]" : ""}`,
      `   ${gap.id}, last asked ${gap.lastAsked}`,
    );
    for (const variant of gap.questions.slice(1, 4)) {
      lines.push(`   also: ${variant.question} ×${variant.count}`);
    }
    if (gap.retrieved.length > 0) lines.push(`   closest documents: ${gap.retrieved.join(", ")}`);
  }
  return lines.join("\n");
}

export function formatInsightsUsage(response: UsageResponse): string {
  const { totals } = response;
  if (totals.questions === 0) return `No questions asked since ${response.since}.`;
  const lines = [
    `Since ${response.since}: ${totals.questions} questions, ${percent(totals.answered, totals.questions)} answered, ${percent(totals.refused, totals.questions)} refused, ${percent(totals.fallback, totals.questions)} fallback; thumbs up ${totals.thumbsUpRate === null ? "-" : `${Math.round(totals.thumbsUpRate * 100)}%`}; total p50 ${totals.latency.totalMs.p50} ms, p95 ${totals.latency.totalMs.p95} ms; $${totals.costUsd.toFixed(4)}`,
    "",
    "day         collection / key: questions, answered, refused, fallback, p95 ms, cost",
  ];
  for (const day of response.days) {
    lines.push(
      `${day.day}  ${day.collection} / ${day.key}: ${day.questions}, ${percent(day.answered, day.questions)}, ${percent(day.refused, day.questions)}, ${percent(day.fallback, day.questions)}, ${day.latency.totalMs.p95 ?? "-"}, $${day.costUsd.toFixed(4)}`,
    );
  }
  if (response.topCited.length > 0) {
    lines.push("", "Most cited:");
    for (const row of response.topCited.slice(0, 10)) {
      lines.push(`  ${row.collection} / ${row.source}: ${row.citations}`);
    }
  }
  if (response.neverCited.length > 0) {
    lines.push(
      "",
      `Never cited (${response.neverCited.length}${response.neverCited.length >= 100 ? "+" : ""}):`,
    );
    for (const row of response.neverCited.slice(0, 20))
      lines.push(`  ${row.collection} / ${row.source}`);
  }
  return lines.join("\n");
}

export async function runInsightsGaps(
  options: { collection: string; since: Date; limit: number; json?: boolean },
  command: Command,
): Promise<void> {
  await withRuntime(command, async ({ context }) => {
    const response = await listGaps(context, {
      collection: options.collection,
      since: options.since,
      limit: options.limit,
    });
    if (options.json) printJson(response);
    else process.stdout.write(`${formatGaps(response)}\n`);
  });
}

export async function runInsightsResolve(
  gapId: string,
  options: { collection: string; since: Date },
  command: Command,
): Promise<void> {
  await withRuntime(command, async ({ context }) => {
    const result = await resolveGap(context, {
      collection: options.collection,
      gapId,
      since: options.since,
    });
    process.stdout.write(`Resolved ${gapId} at ${result.resolvedAt}.\n`);
  });
}

export async function runInsightsUsage(
  options: { collection?: string; since: Date; json?: boolean },
  command: Command,
): Promise<void> {
  await withDatabase(command, async (database) => {
    const response = await insightsUsage(
      { db: database.db },
      { since: options.since, ...(options.collection ? { collection: options.collection } : {}) },
    );
    if (options.json) printJson(response);
    else process.stdout.write(`${formatInsightsUsage(response)}\n`);
  });
}
