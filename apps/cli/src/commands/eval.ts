// `lore eval`: the golden-set eval (with the CI gate and run comparison) and `lore eval beir <dir>`.
import path from "node:path";
import type { Config } from "@lore/config";
import { LoreError, retrievalOverrides } from "@lore/core";
import {
  checkFusion,
  checkThresholds,
  compareMetrics,
  formatComparison,
  formatMarkdown,
  type GoldenReport,
  loadReport,
  loadSuite,
  loadThresholds,
  readBeir,
  runBeir,
  runCorpus,
  SPLITS,
  SUITES,
  type Suite,
  THRESHOLDS_FILE,
  writeResults,
} from "@lore/evals";
import type { ChatModel } from "@lore/providers";
import { Presets, SingleBar } from "cli-progress";
import type { Command } from "commander";
import { z } from "zod";
import { resolveConfig } from "../command-input";
import { openScratchDatabase } from "../database";
import { printJson } from "../output";
import { createChatModel, createEmbedder, openRuntime } from "../runtime";

export interface EvalFlags {
  split?: string;
  corpus?: string;
  json?: boolean;
  check?: boolean;
  thresholds?: string;
  topK?: number;
  write: boolean;
  compare?: string[];
  keep?: boolean;
}

const GoldenSplit = z.enum(SPLITS);
const SuiteList = z
  .string()
  .transform((value) => value.split(",").map((name) => name.trim()))
  .pipe(z.array(z.enum(SUITES)).min(1));

/** A progress bar on stderr; plain periodic lines when stderr is not a terminal. */
function progressBar(label: string): SingleBar {
  return new SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} {percentage}% | {duration}s`,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      clearOnComplete: true,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
}

/** `lore eval [suite] [dir]`: `--compare`, the golden set, or `beir <dir>`. */
export async function runEval(
  suite: string | undefined,
  directory: string | undefined,
  flags: EvalFlags,
  command: Command,
): Promise<void> {
  if (flags.compare) return compare(flags.compare, flags.json ?? false);
  if (suite === "beir") {
    if (!directory)
      throw new LoreError("invalid_request", "usage: lore eval beir <dir> [--split test]");
    return evalBeir(directory, flags, resolveConfig(command));
  }
  if (suite !== undefined) {
    throw new LoreError(
      "invalid_request",
      `Unknown eval suite "${suite}": use \`lore eval\` or \`lore eval beir <dir>\`.`,
    );
  }
  return evalGolden(flags, resolveConfig(command));
}

async function evalGolden(flags: EvalFlags, config: Config): Promise<void> {
  const parsed = GoldenSplit.safeParse(flags.split ?? "all");
  if (!parsed.success) {
    throw new LoreError(
      "invalid_request",
      `--split must be dev, test or all, not "${flags.split}"`,
    );
  }
  const split = parsed.data;
  const suites = SuiteList.safeParse(flags.corpus ?? SUITES.join(","));
  if (!suites.success) {
    throw new LoreError(
      "invalid_request",
      `--corpus takes a comma-separated list of ${SUITES.join(", ")}, not "${flags.corpus}"`,
    );
  }
  const thresholdsFile = flags.thresholds ?? THRESHOLDS_FILE;
  const shownFile = path.relative(process.cwd(), thresholdsFile);
  const thresholds = flags.check ? await invalidInput(loadThresholds(thresholdsFile)) : undefined;
  const docsSplit = thresholds?.corpora.docs?.split;
  if (suites.data.includes("docs") && docsSplit && docsSplit !== split) {
    throw new LoreError(
      "invalid_request",
      `${shownFile} is for the ${docsSplit} split of docs; run with --split ${docsSplit}`,
    );
  }
  const providers = {
    embedder: await createEmbedder(config),
    retrieval: retrievalOverrides(config.retrieval),
    ...chatModel(config),
  };
  const reports: GoldenReport[] = [];
  const skipped: Partial<Record<Suite, string>> = {};
  const failures: string[] = [];
  for (const suite of suites.data) {
    const loaded = await invalidInput(loadSuite(suite, { split }));
    if ("skipped" in loaded) {
      skipped[suite] = loaded.skipped;
      process.stderr.write(`lore eval: skipping ${suite}: ${loaded.skipped}\n`);
      continue;
    }
    const bar = progressBar(suite);
    const report = await runCorpus(loaded.corpus, {
      providers,
      ...(flags.topK ? { askTopK: flags.topK } : {}),
      onStart: (total) => bar.start(total, 0),
      onQuestion: (done) => bar.update(done),
    }).finally(() => bar.stop());
    reports.push(report);
    const written = flags.write ? await writeResults(report) : undefined;
    if (!flags.json) {
      process.stdout.write(formatMarkdown(report));
      if (written)
        process.stdout.write(`\nWrote ${path.relative(process.cwd(), written.json)}\n\n`);
    }
    if (thresholds) {
      const bounds = thresholds.corpora[suite];
      const found = [
        ...(bounds ? checkThresholds(report.metrics, bounds) : []),
        ...checkFusion(report, thresholds.hybridBelowBm25),
      ];
      failures.push(...found.map((failure) => `${suite}: ${failure}`));
    }
  }
  if (flags.json) {
    printJson({
      corpora: Object.fromEntries(
        reports.map(({ results: _results, ...summary }) => [summary.config.corpus, summary]),
      ),
      skipped,
    });
  }
  if (thresholds) {
    if (failures.length > 0) {
      process.stderr.write(
        `lore eval: quality gate failed (${shownFile}):\n${failures.map((failure) => `  ${failure}`).join("\n")}\n`,
      );
      process.exitCode = 1;
    } else {
      const checked = reports.map((report) => report.config.corpus).join(", ");
      process.stderr.write(`lore eval: ${checked}: every metric meets ${shownFile}\n`);
    }
  }
}

/** The configured chat model, so `LORE_CHAT_PROVIDER=openai lore eval` scores LLM answers. */
function chatModel(config: Config): { chat?: ChatModel } {
  const chat = createChatModel(config);
  return chat ? { chat } : {};
}

async function evalBeir(directory: string, flags: EvalFlags, config: Config): Promise<void> {
  const split = flags.split ?? "test";
  const dataset = await invalidInput(readBeir(directory, split));
  const folder = path.basename(path.resolve(directory));
  const name = `beir-${folder}`
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .slice(0, 40);
  const collection = `${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  // A real Postgres when DATABASE_URL is set; otherwise a throwaway in-memory database.
  const runtime = config.databaseUrl
    ? await openRuntime(config)
    : await (async () => {
        const database = await openScratchDatabase();
        return {
          context: {
            db: database.db,
            embedder: await createEmbedder(config),
            retrieval: retrievalOverrides(config.retrieval),
          },
          close: () => database.close(),
        };
      })();
  const ingestBar = progressBar("ingest");
  const queryBar = progressBar("queries");
  try {
    const metrics = await runBeir(runtime.context, dataset, {
      collection,
      keepCollection: flags.keep ?? false,
      onIngest: (done, total) => {
        if (done === 1) ingestBar.start(total, 0);
        ingestBar.update(done);
      },
      onQuery: (done, total) => {
        if (done === 1) {
          ingestBar.stop();
          queryBar.start(total, 0);
        }
        queryBar.update(done);
      },
    });
    ingestBar.stop();
    queryBar.stop();
    if (flags.json) printJson(metrics);
    else {
      process.stdout.write(
        [
          `${folder} (${split}): ${metrics.queries} queries, ${metrics.documents} documents, ${metrics.chunks} chunks${flags.keep ? ` in collection "${collection}"` : ""}`,
          `nDCG@10 ${metrics.ndcgAt10.toFixed(4)}  recall@10 ${metrics.recallAt10.toFixed(4)}  recall@100 ${metrics.recallAt100.toFixed(4)}  MRR@10 ${metrics.mrrAt10.toFixed(4)}`,
          `ingest ${metrics.ingestMs} ms, query p50 ${metrics.queryP50Ms} ms`,
          "",
        ].join("\n"),
      );
    }
  } finally {
    ingestBar.stop();
    queryBar.stop();
    await runtime.close();
  }
}

async function compare(files: string[], json: boolean): Promise<void> {
  const [before, after] = files;
  if (files.length !== 2 || !before || !after) {
    throw new LoreError(
      "invalid_request",
      "--compare takes exactly two result files: A.json B.json",
    );
  }
  const rows = compareMetrics(
    (await loadReport(before)).metrics,
    (await loadReport(after)).metrics,
  );
  if (json) printJson({ before, after, metrics: rows });
  else
    process.stdout.write(
      `${formatComparison(rows, path.basename(before), path.basename(after))}\n`,
    );
}

/** Files the user pointed at that cannot be read or parsed are bad input, not crashes. */
async function invalidInput<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new LoreError("invalid_request", error instanceof Error ? error.message : String(error));
  }
}
