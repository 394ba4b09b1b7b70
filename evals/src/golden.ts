// The question-set runner: ingests a corpus folder into a fresh in-memory database and scores search (per retrieval leg) and ask.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  ask,
  ingestFolder,
  type LoreContext,
  LoreError,
  type RetrievalOverrides,
  SAMPLE_DOCS_DIR,
  search,
} from "@lore/core";
import { migrate, openDatabase, schema } from "@lore/db";
import { z } from "zod";
import {
  answerTokenRecall,
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

export const GoldenQuestion = z
  .object({
    id: z.string().min(1),
    question: z.string().min(1),
    answerable: z.boolean(),
    /** Paths relative to the corpus folder, as `search` reports a document's source. */
    sources: z.array(z.string().min(1)),
    keyFacts: z.array(z.string().min(1)).default([]),
    /** A reference answer scored by token recall, where key facts were not written. */
    referenceAnswer: z.string().min(1).optional(),
    style: z.string().default(""),
  })
  // Strict: a misspelt field ("keyfacts") would otherwise drop the facts and score nothing.
  .strict()
  .refine((question) => !question.answerable || question.sources.length > 0, {
    message: "an answerable question needs at least one source",
    path: ["sources"],
  });
export type GoldenQuestion = z.infer<typeof GoldenQuestion>;

/** A folder of documents and the questions asked of it. */
export interface EvalCorpus {
  name: string;
  docsDir: string;
  questions: GoldenQuestion[];
  /** The golden split the questions came from, when the corpus is fixtures/docs. */
  split?: Split;
  /** Globs (relative to `docsDir`) not to ingest, such as a questions file kept inside it. */
  exclude?: string[];
}

/** Retrieval alone (BM25 only, vector only) and as configured (hybrid), side by side. */
export const LEGS = {
  bm25: { vectorWeight: 0, textWeight: 1 },
  vector: { vectorWeight: 1, textWeight: 0 },
  hybrid: {},
} satisfies Record<string, RetrievalOverrides>;
export type Leg = keyof typeof LEGS;

/** Deep enough that ten distinct documents are almost always in the chunk ranking. */
const SEARCH_DEPTH = 50;
const COLLECTION = "golden";

/** A question and the line of its file it was read from, for messages about it. */
export interface QuestionLine {
  line: number;
  question: GoldenQuestion;
}

/**
 * Reads a jsonl file of questions; the first bad line (not JSON, a field missing or of the
 * wrong type, an id used twice) throws an error naming the file, the line and the field.
 */
export async function readQuestions(file: string): Promise<QuestionLine[]> {
  const text = await readFile(file, "utf8");
  const read: QuestionLine[] = [];
  const lines = new Map<string, number>();
  text.split("\n").forEach((content, index) => {
    if (content.trim() === "") return;
    const line = index + 1;
    const where = `${file} line ${line}`;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      throw new Error(`${where}: not JSON (${error instanceof Error ? error.message : error})`);
    }
    const parsed = GoldenQuestion.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.length ? `${issue.path.join(".")}: ` : "";
      throw new Error(`${where}: ${field}${issue?.message ?? "invalid question"}`);
    }
    const earlier = lines.get(parsed.data.id);
    // Results are matched to questions by id: a repeated one would score the wrong question.
    if (earlier !== undefined) {
      throw new Error(`${where}: id "${parsed.data.id}" is already used on line ${earlier}`);
    }
    lines.set(parsed.data.id, line);
    read.push({ line, question: parsed.data });
  });
  return read;
}

export async function loadQuestions(file: string): Promise<GoldenQuestion[]> {
  return (await readQuestions(file)).map(({ question }) => question);
}

export async function loadGolden(split: Split, directory = GOLDEN_DIR): Promise<GoldenQuestion[]> {
  const files = split === "all" ? ["dev", "test"] : [split];
  const questions: GoldenQuestion[] = [];
  for (const file of files) questions.push(...(await loadQuestions(`${directory}/${file}.jsonl`)));
  return questions;
}

export interface QuestionResult {
  id: string;
  answerable: boolean;
  /** The documents that answer it (its `sources`). */
  expected: string[];
  /** Documents in ranked order (first ten), as configured. */
  ranked: string[];
  /** The same for each leg alone (BM25 only, vector only). */
  legs: Record<Exclude<Leg, "hybrid">, string[]>;
  reciprocalRank: number;
  abstained: boolean;
  keyFactRecall: number | null;
  answerTokenRecall: number | null;
  citedSources: string[];
  answer: string;
  searchMs: number;
  askMs: number;
}

export interface RetrievalMetrics {
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  mrrAt10: number;
  ndcgAt10: number;
}

/**
 * Every metric the gate and `--compare` know, by a stable name; rates are 0..1; null when the
 * questions cannot measure it (no key facts written, no unanswerable questions).
 */
export interface GoldenMetrics extends RetrievalMetrics {
  /** Answerable questions answered (not abstained) with a citation of an expected source. */
  answeredFromSource: number;
  keyFactRecall: number | null;
  answerTokenRecall: number | null;
  citationPrecision: number;
  abstentionAccuracy: number | null;
  falseAbstentionRate: number;
  searchP50Ms: number;
  searchP95Ms: number;
  askP50Ms: number;
  askP95Ms: number;
}

export interface GoldenReport {
  kind: "golden";
  createdAt: string;
  config: {
    corpus: string;
    split: Split | null;
    embedder: string;
    answerModes: string[];
    askTopK: number | null;
    retrieval: RetrievalOverrides;
  };
  questions: { total: number; answerable: number; unanswerable: number };
  corpus: { documents: number; chunks: number; ingestMs: number };
  metrics: GoldenMetrics;
  legs: Record<Leg, RetrievalMetrics>;
  results: QuestionResult[];
}

export interface CorpusOptions {
  /** The providers to evaluate; the database is always a fresh in-memory one. */
  providers: Omit<LoreContext, "db">;
  /** Chunks the answerer reads; unset uses ask's default. */
  askTopK?: number;
  onStart?: (total: number) => void;
  onQuestion?: (done: number, question: GoldenQuestion) => void;
}

export interface GoldenOptions extends CorpusOptions {
  split: Split;
  docsDir?: string;
  goldenDir?: string;
}

/** The golden split over fixtures/docs. */
export async function runGolden(options: GoldenOptions): Promise<GoldenReport> {
  const questions = await loadGolden(options.split, options.goldenDir);
  return runCorpus(
    {
      name: "docs",
      docsDir: options.docsDir ?? SAMPLE_DOCS_DIR,
      questions,
      split: options.split,
    },
    options,
  );
}

export async function runCorpus(corpus: EvalCorpus, options: CorpusOptions): Promise<GoldenReport> {
  const { questions } = corpus;
  const database = await openDatabase({ kind: "pglite-memory", template: true });
  try {
    await migrate(database);
    const context: LoreContext = { ...options.providers, db: database.db };
    const ingest = await ingestFolder(context, corpus.docsDir, {
      collection: COLLECTION,
      ...(corpus.exclude ? { exclude: corpus.exclude } : {}),
    });
    await checkSourcesIngested(database.db, questions, ingest.skipped);
    options.onStart?.(questions.length);
    const results: QuestionResult[] = [];
    const modes = new Set<string>();
    for (const [index, question] of questions.entries()) {
      results.push(await runQuestion(context, question, options.askTopK, modes));
      options.onQuestion?.(index + 1, question);
    }
    const summary = summarise(questions, results);
    return {
      kind: "golden",
      createdAt: new Date().toISOString(),
      config: {
        corpus: corpus.name,
        split: corpus.split ?? null,
        embedder: context.embedder.id,
        answerModes: [...modes].sort(),
        askTopK: options.askTopK ?? null,
        retrieval: options.providers.retrieval ?? {},
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
      metrics: summary.metrics,
      legs: summary.legs,
      results,
    };
  } finally {
    await database.close();
  }
}

/**
 * Every expected source must be a document of the collection, or its questions could never be
 * answered from it and the metrics would blame retrieval for a wrong path or a skipped file.
 */
async function checkSourcesIngested(
  db: LoreContext["db"],
  questions: readonly GoldenQuestion[],
  skipped: readonly { source: string; reason: string }[],
): Promise<void> {
  const ingested = new Set(
    (await db.select({ source: schema.documents.source }).from(schema.documents)).map(
      (row) => row.source,
    ),
  );
  const reasons = new Map(skipped.map((file) => [file.source, file.reason]));
  const missing = [...new Set(questions.flatMap((question) => question.sources))].filter(
    (source) => !ingested.has(source),
  );
  if (missing.length === 0) return;
  const lines = missing.map(
    (source) =>
      `  ${source}: ${reasons.has(source) ? `skipped by the ingest (${reasons.get(source)})` : "no such document was ingested"}`,
  );
  throw new LoreError(
    "invalid_request",
    `${missing.length} expected source(s) are not documents of the ingested folder:\n${lines.join("\n")}`,
  );
}

async function rankedSources(context: LoreContext, query: string): Promise<string[]> {
  const found = await search(context, { query, collection: COLLECTION, topK: SEARCH_DEPTH });
  return rankDocuments(found.results.map((result) => result.source));
}

async function runQuestion(
  context: LoreContext,
  question: GoldenQuestion,
  askTopK: number | undefined,
  modes: Set<string>,
): Promise<QuestionResult> {
  const searchStarted = performance.now();
  const ranked = await rankedSources(context, question.question);
  const searchMs = performance.now() - searchStarted;
  const legs = {
    bm25: await rankedSources(legContext(context, "bm25"), question.question),
    vector: await rankedSources(legContext(context, "vector"), question.question),
  };
  const askStarted = performance.now();
  const answer = await ask(context, {
    question: question.question,
    collection: COLLECTION,
    ...(askTopK ? { topK: askTopK } : {}),
  });
  const askMs = performance.now() - askStarted;
  modes.add(answer.mode);
  const judgements = new Map(question.sources.map((source) => [source, 1]));
  const scored = (value: (text: string) => number, applies: boolean) =>
    !question.answerable || !applies ? null : answer.abstained ? 0 : value(answer.answer);
  return {
    id: question.id,
    answerable: question.answerable,
    expected: question.sources,
    ranked: ranked.slice(0, 10),
    legs: { bm25: legs.bm25.slice(0, 10), vector: legs.vector.slice(0, 10) },
    reciprocalRank: reciprocalRankAt(ranked, judgements, 10),
    abstained: answer.abstained,
    keyFactRecall: scored(
      (text) => keyFactRecall(text, question.keyFacts),
      question.keyFacts.length > 0,
    ),
    answerTokenRecall: scored(
      (text) => answerTokenRecall(text, question.referenceAnswer ?? ""),
      question.referenceAnswer !== undefined,
    ),
    citedSources: answer.citations.map((citation) => citation.source),
    answer: answer.answer,
    searchMs: round(searchMs),
    askMs: round(askMs),
  };
}

/** The context with one leg's weights over its own retrieval settings. */
function legContext(context: LoreContext, leg: Leg): LoreContext {
  return { ...context, retrieval: { ...context.retrieval, ...LEGS[leg] } };
}

function retrievalMetrics(
  answerable: readonly GoldenQuestion[],
  rankingOf: (question: GoldenQuestion) => string[],
): RetrievalMetrics {
  const score = (metric: (ranked: string[], judgements: Map<string, number>) => number) =>
    mean(
      answerable.map((question) =>
        metric(rankingOf(question), new Map(question.sources.map((source) => [source, 1]))),
      ),
    );
  return {
    recallAt1: score((ranked, judgements) => recallAt(ranked, judgements, 1)),
    recallAt5: score((ranked, judgements) => recallAt(ranked, judgements, 5)),
    recallAt10: score((ranked, judgements) => recallAt(ranked, judgements, 10)),
    mrrAt10: score((ranked, judgements) => reciprocalRankAt(ranked, judgements, 10)),
    ndcgAt10: score((ranked, judgements) => ndcgAt(ranked, judgements, 10)),
  };
}

function summarise(
  questions: GoldenQuestion[],
  results: QuestionResult[],
): { metrics: GoldenMetrics; legs: Record<Leg, RetrievalMetrics> } {
  const answerable = questions.filter((question) => question.answerable);
  const byId = new Map(results.map((result) => [result.id, result]));
  const legs = {
    bm25: retrievalMetrics(answerable, (question) => byId.get(question.id)?.legs.bm25 ?? []),
    vector: retrievalMetrics(answerable, (question) => byId.get(question.id)?.legs.vector ?? []),
    hybrid: retrievalMetrics(answerable, (question) => byId.get(question.id)?.ranked ?? []),
  };
  const answered = answerable.flatMap((question) => {
    const result = byId.get(question.id);
    return result ? [{ question, result }] : [];
  });
  const cited = answered.filter(({ result }) => result.citedSources.length > 0);
  const unanswerable = results.filter((result) => !result.answerable);
  const measured = (values: (number | null)[]) => {
    const present = values.filter((value): value is number => value !== null);
    return present.length === 0 ? null : mean(present);
  };
  const latency = (pick: (result: QuestionResult) => number, p: number) =>
    round(percentile(results.map(pick), p));
  return {
    legs,
    metrics: {
      ...legs.hybrid,
      answeredFromSource: mean(
        answered.map(({ question, result }) =>
          !result.abstained &&
          result.citedSources.some((source) => question.sources.includes(source))
            ? 1
            : 0,
        ),
      ),
      keyFactRecall: measured(answered.map(({ result }) => result.keyFactRecall)),
      answerTokenRecall: measured(answered.map(({ result }) => result.answerTokenRecall)),
      // Of the sources an answer cites, the share that are among the question's expected sources.
      citationPrecision: mean(
        cited.map(
          ({ question, result }) =>
            result.citedSources.filter((source) => question.sources.includes(source)).length /
            result.citedSources.length,
        ),
      ),
      abstentionAccuracy: measured(unanswerable.map((result) => (result.abstained ? 1 : 0))),
      falseAbstentionRate: mean(answered.map(({ result }) => (result.abstained ? 1 : 0))),
      searchP50Ms: latency((result) => result.searchMs, 50),
      searchP95Ms: latency((result) => result.searchMs, 95),
      askP50Ms: latency((result) => result.askMs, 50),
      askP95Ms: latency((result) => result.askMs, 95),
    },
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
