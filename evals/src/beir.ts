// The BEIR runner: reads a BEIR-format folder, ingests its corpus into a fresh collection and scores ranked documents.
import { createReadStream } from "node:fs";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import {
  ensureCollection,
  ingestFolder,
  type LoadedDocument,
  type LoreContext,
  retrieve,
} from "@lore/core";
import { collections } from "@lore/db";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { mean, ndcgAt, percentile, rankDocuments, recallAt, reciprocalRankAt } from "./metrics";

const CorpusLine = z.object({
  _id: z.coerce.string().min(1),
  title: z.string().default(""),
  text: z.string(),
});
const QueryLine = z.object({ _id: z.coerce.string().min(1), text: z.string().min(1) });

export interface BeirDataset {
  corpus: { id: string; title: string; text: string }[];
  queries: Map<string, string>;
  /** Query id → document id → grade. */
  qrels: Map<string, Map<string, number>>;
}

export interface BeirMetrics {
  ndcgAt10: number;
  recallAt10: number;
  recallAt100: number;
  mrrAt10: number;
  queries: number;
  documents: number;
  chunks: number;
  /** The folder ingest alone (the corpus is written out as files first, untimed). */
  ingestMs: number;
  queryP50Ms: number;
}

export interface BeirOptions {
  /** A collection name nobody uses yet; it is created, filled and (unless kept) dropped. */
  collection: string;
  keepCollection?: boolean;
  /** Chunks retrieved per query; deep enough to rank 100 distinct documents. */
  depth?: number;
  onIngest?: (done: number, total: number) => void;
  onQuery?: (done: number, total: number) => void;
}

const DEFAULT_DEPTH = 300;

async function* jsonLines(file: string): AsyncGenerator<{ line: number; value: unknown }> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === "") continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch {
      throw new Error(`${path.basename(file)} line ${line}: not valid JSON`);
    }
  }
}

function parseLine<Schema extends z.ZodType>(
  schema: Schema,
  file: string,
  entry: { line: number; value: unknown },
): z.output<Schema> {
  const parsed = schema.safeParse(entry.value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(
    `${path.basename(file)} line ${entry.line}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "invalid"}`,
  );
}

/** Reads corpus.jsonl, queries.jsonl and qrels/<split>.tsv (query-id, corpus-id, score). */
export async function readBeir(directory: string, split = "test"): Promise<BeirDataset> {
  const files = {
    corpus: path.join(directory, "corpus.jsonl"),
    queries: path.join(directory, "queries.jsonl"),
    qrels: path.join(directory, "qrels", `${split}.tsv`),
  };
  for (const file of Object.values(files)) {
    await access(file).catch(() => {
      throw new Error(`Not a BEIR folder: ${file} is missing`);
    });
  }
  const corpus: BeirDataset["corpus"] = [];
  for await (const entry of jsonLines(files.corpus)) {
    const document = parseLine(CorpusLine, files.corpus, entry);
    corpus.push({ id: document._id, title: document.title, text: document.text });
  }
  const queries = new Map<string, string>();
  for await (const entry of jsonLines(files.queries)) {
    const query = parseLine(QueryLine, files.queries, entry);
    queries.set(query._id, query.text);
  }
  const qrels = new Map<string, Map<string, number>>();
  const lines = createInterface({ input: createReadStream(files.qrels), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    const fields = line.split("\t").map((field) => field.trim());
    if (line.trim() === "" || (lineNumber === 1 && fields[0] === "query-id")) continue;
    const [queryId, documentId, score] = fields;
    const grade = Number(score);
    if (!queryId || !documentId || score === undefined || !Number.isFinite(grade)) {
      throw new Error(`qrels/${split}.tsv line ${lineNumber}: expected query-id, corpus-id, score`);
    }
    const judged = qrels.get(queryId) ?? new Map<string, number>();
    judged.set(documentId, grade);
    qrels.set(queryId, judged);
  }
  return { corpus, queries, qrels };
}

/** BEIR documents are plain text; the title becomes the heading so chunks carry it. */
export function beirDocument(document: BeirDataset["corpus"][number]): LoadedDocument {
  const title = document.title.trim();
  return {
    source: document.id,
    title: title || document.id,
    mimeType: "text/markdown",
    content: title ? `# ${title.replace(/\s+/g, " ")}\n\n${document.text}` : document.text,
  };
}

// A document id that is already a safe relative path keeps it as its source (so a kept
// collection reads like the corpus); any other id is staged under a numbered name.
const SAFE_PATH = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

function stagedSource(id: string, index: number, taken: ReadonlyMap<string, string>): string {
  const named = id.endsWith(".md") ? id : `${id}.md`;
  return SAFE_PATH.test(id) && !taken.has(named) ? named : `_documents/${index}.md`;
}

/**
 * Loads the corpus through the production ingest path: each document is staged as a markdown
 * file and the folder goes through `ingestFolder` (batched embedding, one transaction per batch,
 * the bulk HNSW build), so ingest timings are the ones users get. Returns each staged file's
 * source → the BEIR document id, and the ingest's summary.
 */
export async function ingestBeirCorpus(
  context: LoreContext,
  dataset: BeirDataset,
  collection: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ idOfSource: Map<string, string>; chunks: number; ingestMs: number }> {
  const staging = await mkdtemp(path.join(tmpdir(), "lore-beir-"));
  try {
    const idOfSource = new Map<string, string>();
    const folders = new Set<string>();
    for (const [index, document] of dataset.corpus.entries()) {
      const source = stagedSource(document.id, index, idOfSource);
      const folder = path.dirname(path.join(staging, source));
      if (!folders.has(folder)) {
        await mkdir(folder, { recursive: true });
        folders.add(folder);
      }
      await writeFile(path.join(staging, source), beirDocument(document).content);
      idOfSource.set(source, document.id);
    }
    const total = dataset.corpus.length;
    const summary = await ingestFolder(context, staging, {
      collection,
      onProgress: (progress) => onProgress?.(progress.filesProcessed, total),
    });
    if (summary.skipped.length > 0) {
      const [first] = summary.skipped;
      throw new Error(
        `${summary.skipped.length} documents could not be ingested (${first?.source}: ${first?.reason})`,
      );
    }
    return { idOfSource, chunks: summary.chunks.added, ingestMs: summary.ms };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export async function runBeir(
  context: LoreContext,
  dataset: BeirDataset,
  options: BeirOptions,
): Promise<BeirMetrics> {
  const collection = await ensureCollection(context, options.collection);
  try {
    const { idOfSource, chunks, ingestMs } = await ingestBeirCorpus(
      context,
      dataset,
      collection.name,
      options.onIngest,
    );

    const judgedQueries = [...dataset.qrels.entries()].filter(([queryId]) =>
      dataset.queries.has(queryId),
    );
    const scores = { ndcgAt10: [], recallAt10: [], recallAt100: [], mrrAt10: [] } as Record<
      "ndcgAt10" | "recallAt10" | "recallAt100" | "mrrAt10",
      number[]
    >;
    const latencies: number[] = [];
    for (const [index, [queryId, judgements]] of judgedQueries.entries()) {
      const started = performance.now();
      const { chunks: ranking } = await retrieve(context, {
        query: dataset.queries.get(queryId) ?? "",
        collection: collection.name,
        topK: options.depth ?? DEFAULT_DEPTH,
      });
      latencies.push(performance.now() - started);
      const ranked = rankDocuments(ranking.map((chunk) => idOfSource.get(chunk.source) ?? ""));
      scores.ndcgAt10.push(ndcgAt(ranked, judgements, 10));
      scores.recallAt10.push(recallAt(ranked, judgements, 10));
      scores.recallAt100.push(recallAt(ranked, judgements, 100));
      scores.mrrAt10.push(reciprocalRankAt(ranked, judgements, 10));
      options.onQuery?.(index + 1, judgedQueries.length);
    }
    return {
      ndcgAt10: round4(mean(scores.ndcgAt10)),
      recallAt10: round4(mean(scores.recallAt10)),
      recallAt100: round4(mean(scores.recallAt100)),
      mrrAt10: round4(mean(scores.mrrAt10)),
      queries: judgedQueries.length,
      documents: dataset.corpus.length,
      chunks,
      ingestMs: Math.round(ingestMs),
      queryP50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
    };
  } finally {
    if (!options.keepCollection) {
      await context.db.delete(collections).where(eq(collections.id, collection.id));
    }
  }
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
