// `lore eval`: the built-in question sets (with the CI gate and run comparison), `lore eval folder <dir>` and `lore eval beir <dir>`.
import path from "node:path";
import type { Config } from "@lore/config";
import { LoreError, retrievalOverrides } from "@lore/core";
import {
  checkFusion,
  checkThresholds,
  compareMetrics,
  type EvalCorpus,
  formatComparison,
  formatMarkdown,
  type GoldenReport,
  loadFolderCorpus,
  loadReport,
  loadSuite,
  loadThresholds,
  RESULTS_DIR,
  readBeir,
  runBeir,
  runCorpus,
  SPLITS,
  SUITES,
  THRESHOLDS_FILE,
  type Thresholds,
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
  questions?: string;
  json?: boolean;
  check?: boolean;
  thresholds?: string;
  topK?: number;
  write: boolean;
  resultsDir?: string;
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

/** `lore eval [suite] [dir]`: `--compare`, the built-in sets, `folder <dir>` or `beir <dir>`. */
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
  if (suite === "folder") {
    if (!directory || !flags.questions) {
      throw new LoreError(
        "invalid_request",
        "usage: lore eval folder <dir> --questions <file.jsonl> [--check --thresholds <file>]",
      );
    }
    return evalFolder(directory, flags.questions, flags, resolveConfig(command));
  }
  if (suite !== undefined) {
    throw new LoreError(
      "invalid_request",
      `Unknown eval suite "${suite}": use \`lore eval\`, \`lore eval folder <dir> --questions <file>\` or \`lore eval beir <dir>\`.`,
    );
  }
  if (flags.questions) {
    throw new LoreError(
      "invalid_request",
      "--questions goes with a folder: lore eval folder <dir> --questions <file.jsonl>",
    );
  }
  return evalGolden(flags, resolveConfig(command));
}

/** Thresholds to check each corpus against, and the file's name as the messages show it. */
interface Gate {
  thresholds: Thresholds;
  shownFile: string;
}

async function loadGate(file: string): Promise<Gate> {
  return {
    thresholds: await invalidInput(loadThresholds(file)),
    shownFile: path.relative(process.cwd(), file),
  };
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
  const gate = flags.check ? await loadGate(flags.thresholds ?? THRESHOLDS_FILE) : undefined;
  const docsSplit = gate?.thresholds.corpora.docs?.split;
  if (gate && suites.data.includes("docs") && docsSplit && docsSplit !== split) {
    throw new LoreError(
      "invalid_request",
      `${gate.shownFile} is for the ${docsSplit} split of docs; run with --split ${docsSplit}`,
    );
  }
  const corpora: EvalCorpus[] = [];
  const skipped: Record<string, string> = {};
  for (const suite of suites.data) {
    const loaded = await invalidInput(loadSuite(suite, { split }));
    if ("skipped" in loaded) {
      skipped[suite] = loaded.skipped;
      process.stderr.write(`lore eval: skipping ${suite}: ${loaded.skipped}\n`);
    } else corpora.push(loaded.corpus);
  }
  await scoreCorpora(corpora, skipped, flags, config, gate);
}

/** `lore eval folder <dir> --questions <file>`: the user's own documents, scored like ours. */
async function evalFolder(
  directory: string,
  questionsFile: string,
  flags: EvalFlags,
  config: Config,
): Promise<void> {
  // The built-in sets' options would be silently ignored here; say so instead.
  if (flags.corpus || flags.split) {
    throw new LoreError(
      "invalid_request",
      `${flags.corpus ? "--corpus" : "--split"} picks among the built-in sets; \`lore eval folder\` scores the folder's own questions`,
    );
  }
  const corpus = await invalidInput(loadFolderCorpus(directory, questionsFile));
  let gate: Gate | undefined;
  if (flags.check) {
    if (!flags.thresholds) {
      throw new LoreError(
        "invalid_request",
        `--check on a folder needs --thresholds <file> with an entry "${corpus.name}" under "corpora" (evals/thresholds.json holds Lore's own sets)`,
      );
    }
    gate = await loadGate(flags.thresholds);
    if (!gate.thresholds.corpora[corpus.name]) {
      const known = Object.keys(gate.thresholds.corpora);
      throw new LoreError(
        "invalid_request",
        `${gate.shownFile} has no entry "${corpus.name}" (the folder's name) under "corpora"${known.length > 0 ? `; it has ${known.map((name) => `"${name}"`).join(", ")}` : ""}`,
      );
    }
  }
  await scoreCorpora([corpus], {}, flags, config, gate);
}

/**
 * Runs each corpus through the production path (`runCorpus`), prints its metrics table and
 * retrieval legs (or, with --json, one document for all), writes its result files, and sets a
 * failing exit code when a gate is given and a metric is outside it.
 */
async function scoreCorpora(
  corpora: readonly EvalCorpus[],
  skipped: Record<string, string>,
  flags: EvalFlags,
  config: Config,
  gate: Gate | undefined,
): Promise<void> {
  const providers = {
    embedder: await createEmbedder(config),
    retrieval: retrievalOverrides(config.retrieval),
    ...chatModel(config),
  };
  const reports: GoldenReport[] = [];
  const failures: string[] = [];
  for (const corpus of corpora) {
    const bar = progressBar(corpus.name);
    const report = await runCorpus(corpus, {
      providers,
      ...(flags.topK ? { askTopK: flags.topK } : {}),
      onStart: (total) => bar.start(total, 0),
      onQuestion: (done) => bar.update(done),
    }).finally(() => bar.stop());
    reports.push(report);
    const written = flags.write
      ? await writeResults(report, flags.resultsDir ?? RESULTS_DIR)
      : undefined;
    if (!flags.json) {
      process.stdout.write(formatMarkdown(report));
      if (written)
        process.stdout.write(`\nWrote ${path.relative(process.cwd(), written.json)}\n\n`);
    }
    if (gate) {
      const bounds = gate.thresholds.corpora[corpus.name];
      const found = [
        ...(bounds ? checkThresholds(report.metrics, bounds) : []),
        ...checkFusion(report, gate.thresholds.hybridBelowBm25),
      ];
      failures.push(...found.map((failure) => `${corpus.name}: ${failure}`));
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
  if (gate) {
    if (failures.length > 0) {
      process.stderr.write(
        `lore eval: quality gate failed (${gate.shownFile}):\n${failures.map((failure) => `  ${failure}`).join("\n")}\n`,
      );
      process.exitCode = 1;
    } else {
      const checked = reports.map((report) => report.config.corpus).join(", ");
      process.stderr.write(`lore eval: ${checked}: every metric meets ${gate.shownFile}\n`);
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
