// The golden-set runner: ingests fixtures/docs into a fresh in-memory database and scores search and ask.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ask, ingestFolder, type LoreContext, SAMPLE_DOCS_DIR, search } from "@lore/core";
import { migrate, openDatabase } from "@lore/db";
import { z } from "zod";
import {
  keyFactRecall,
  mean,
  ndcgAt,
  percentile,
  rankDocuments,
  recallAt,
  reciprocalRankAt,
} from "./metrics";

export const GOLDEN_DIR = fileURLToPath(new URL("../golden", import.meta.url));
export const SPLITS = ["dev", "test", "all"] as const;
export type Split = (typeof SPLITS)[number];

export const GoldenQuestion = z.object({
  id: z.string().min(1),
  question: z.string().min(1),
  answerable: z.boolean(),
  sources: z.array(z.string()),
  keyFacts: z.array(z.string()),
  style: z.string(),
});
export type GoldenQuestion = z.infer<typeof GoldenQuestion>;

/** Deep enough that ten distinct documents are almost always in the chunk ranking. */
const SEARCH_DEPTH = 50;
const COLLECTION = "golden";

export async function loadGolden(split: Split, directory = GOLDEN_DIR): Promise<GoldenQuestion[]> {
  const files = split === "all" ? ["dev", "test"] : [split];
  const questions: GoldenQuestion[] = [];
  for (const file of files) {
    const text = await readFile(`${directory}/${file}.jsonl`, "utf8");
    text.split("\n").forEach((line, index) => {
      if (line.trim() === "") return;
      const parsed = GoldenQuestion.safeParse(JSON.parse(line));
      if (!parsed.success) {
        throw new Error(`${file}.jsonl line ${index + 1}: ${parsed.error.issues[0]?.message}`);
      }
      questions.push(parsed.data);
    });
  }
  return questions;
}

export interface QuestionResult {
  id: string;
  answerable: boolean;
  /** Documents in ranked order (first ten). */
  ranked: string[];
  reciprocalRank: number;
  abstained: boolean;
  keyFactRecall: number | null;
  citedSources: string[];
  answer: string;
  searchMs: number;
  askMs: number;
}

/** Every metric the gate and `--compare` know, by a stable name; rates are 0..1. */
export interface GoldenMetrics {
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  mrrAt10: number;
  ndcgAt10: number;
  keyFactRecall: number;
  citationPrecision: number;
  abstentionAccuracy: number;
  falseAbstentionRate: number;
  searchP50Ms: number;
  searchP95Ms: number;
  askP50Ms: number;
  askP95Ms: number;
}

export interface GoldenReport {
  kind: "golden";
  createdAt: string;
  config: { split: Split; embedder: string; answerModes: string[]; askTopK: number | null };
  questions: { total: number; answerable: number; unanswerable: number };
  corpus: { documents: number; chunks: number; ingestMs: number };
  metrics: GoldenMetrics;
  results: QuestionResult[];
}

export interface GoldenOptions {
  split: Split;
  /** The providers to evaluate; the database is always a fresh in-memory one. */
  providers: Omit<LoreContext, "db">;
  /** Chunks the answerer reads; unset uses ask's default. */
  askTopK?: number;
  docsDir?: string;
  goldenDir?: string;
  onStart?: (total: number) => void;
  onQuestion?: (done: number, question: GoldenQuestion) => void;
}

export async function runGolden(options: GoldenOptions): Promise<GoldenReport> {
  const questions = await loadGolden(options.split, options.goldenDir);
  const database = await openDatabase({ kind: "pglite-memory", template: true });
  try {
    await migrate(database);
    const context: LoreContext = { ...options.providers, db: database.db };
    const ingest = await ingestFolder(context, options.docsDir ?? SAMPLE_DOCS_DIR, {
      collection: COLLECTION,
    });
    options.onStart?.(questions.length);
    const results: QuestionResult[] = [];
    const modes = new Set<string>();
    for (const [index, question] of questions.entries()) {
      const result = await runQuestion(context, question, options.askTopK, modes);
      results.push(result);
      options.onQuestion?.(index + 1, question);
    }
    return {
      kind: "golden",
      createdAt: new Date().toISOString(),
      config: {
        split: options.split,
        embedder: context.embedder.id,
        answerModes: [...modes].sort(),
        askTopK: options.askTopK ?? null,
      },
      questions: {
        total: questions.length,
        answerable: questions.filter((question) => question.answerable).length,
        unanswerable: questions.filter((question) => !question.answerable).length,
      },
      corpus: {
        documents: ingest.documents.added,
        chunks: ingest.chunks.added,
        ingestMs: ingest.ms,
      },
      metrics: summarise(questions, results),
      results,
    };
  } finally {
    await database.close();
  }
}

async function runQuestion(
  context: LoreContext,
  question: GoldenQuestion,
  askTopK: number | undefined,
  modes: Set<string>,
): Promise<QuestionResult> {
  const searchStarted = performance.now();
  const found = await search(context, {
    query: question.question,
    collection: COLLECTION,
    topK: SEARCH_DEPTH,
  });
  const searchMs = performance.now() - searchStarted;
  const askStarted = performance.now();
  const answer = await ask(context, {
    question: question.question,
    collection: COLLECTION,
    ...(askTopK ? { topK: askTopK } : {}),
  });
  const askMs = performance.now() - askStarted;
  modes.add(answer.mode);
  const ranked = rankDocuments(found.results.map((result) => result.source));
  const judgements = new Map(question.sources.map((source) => [source, 1]));
  return {
    id: question.id,
    answerable: question.answerable,
    ranked: ranked.slice(0, 10),
    reciprocalRank: reciprocalRankAt(ranked, judgements, 10),
    abstained: answer.abstained,
    keyFactRecall:
      question.answerable && !answer.abstained
        ? keyFactRecall(answer.answer, question.keyFacts)
        : question.answerable
          ? 0
          : null,
    citedSources: answer.citations.map((citation) => citation.source),
    answer: answer.answer,
    searchMs: round(searchMs),
    askMs: round(askMs),
  };
}

function summarise(questions: GoldenQuestion[], results: QuestionResult[]): GoldenMetrics {
  const answerable = questions.filter((question) => question.answerable);
  const byId = new Map(results.map((result) => [result.id, result]));
  const retrieval = (metric: (ranked: string[], judgements: Map<string, number>) => number) =>
    mean(
      answerable.map((question) =>
        metric(
          byId.get(question.id)?.ranked ?? [],
          new Map(question.sources.map((source) => [source, 1])),
        ),
      ),
    );
  const answered = answerable.flatMap((question) => {
    const result = byId.get(question.id);
    return result ? [{ question, result }] : [];
  });
  const cited = answered.filter(({ result }) => result.citedSources.length > 0);
  const unanswerable = results.filter((result) => !result.answerable);
  return {
    recallAt1: retrieval((ranked, judgements) => recallAt(ranked, judgements, 1)),
    recallAt5: retrieval((ranked, judgements) => recallAt(ranked, judgements, 5)),
    recallAt10: retrieval((ranked, judgements) => recallAt(ranked, judgements, 10)),
    mrrAt10: retrieval((ranked, judgements) => reciprocalRankAt(ranked, judgements, 10)),
    ndcgAt10: retrieval((ranked, judgements) => ndcgAt(ranked, judgements, 10)),
    keyFactRecall: mean(answered.map(({ result }) => result.keyFactRecall ?? 0)),
    // Of the sources an answer cites, the share that are among the question's expected sources.
    citationPrecision: mean(
      cited.map(
        ({ question, result }) =>
          result.citedSources.filter((source) => question.sources.includes(source)).length /
          result.citedSources.length,
      ),
    ),
    abstentionAccuracy: mean(unanswerable.map((result) => (result.abstained ? 1 : 0))),
    falseAbstentionRate: mean(answered.map(({ result }) => (result.abstained ? 1 : 0))),
    searchP50Ms: round(
      percentile(
        results.map((result) => result.searchMs),
        50,
      ),
    ),
    searchP95Ms: round(
      percentile(
        results.map((result) => result.searchMs),
        95,
      ),
    ),
    askP50Ms: round(
      percentile(
        results.map((result) => result.askMs),
        50,
      ),
    ),
    askP95Ms: round(
      percentile(
        results.map((result) => result.askMs),
        95,
      ),
    ),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
