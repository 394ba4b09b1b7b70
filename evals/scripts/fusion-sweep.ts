// Measures document retrieval per corpus across fusion settings (vector weight, RRF k, BM25 k1/b): how evals/README.md chose the defaults.
// Usage: tsx evals/scripts/fusion-sweep.ts [docs,docs-paraphrase,aws] [beir-dir...]
import { ingestFolder, type LoreContext, type RetrievalOverrides, search } from "@lore/core";
import { migrate, openDatabase } from "@lore/db";
import { createLocalEmbedder } from "@lore/providers";
import { ingestBeirCorpus, readBeir } from "../src/beir";
import { type GoldenQuestion, SPLITS } from "../src/golden";
import { mean, ndcgAt, rankDocuments, recallAt } from "../src/metrics";
import { loadSuite, SUITES, type Suite } from "../src/suites";

const SETTINGS: { label: string; retrieval: RetrievalOverrides }[] = [
  { label: "bm25 only", retrieval: { vectorWeight: 0, textWeight: 1 } },
  { label: "vector only", retrieval: { vectorWeight: 1, textWeight: 0 } },
  { label: "vector 0.02", retrieval: { vectorWeight: 0.02 } },
  { label: "vector 0.05", retrieval: { vectorWeight: 0.05 } },
  { label: "vector 0.1", retrieval: { vectorWeight: 0.1 } },
  { label: "vector 0.2", retrieval: { vectorWeight: 0.2 } },
  { label: "vector 0.5", retrieval: { vectorWeight: 0.5 } },
  { label: "vector 1", retrieval: { vectorWeight: 1 } },
  { label: "bm25 k1 1.2 b 0.75", retrieval: { vectorWeight: 0, bm25: { k1: 1.2, b: 0.75 } } },
  { label: "bm25 k1 1.2 b 0.4", retrieval: { vectorWeight: 0, bm25: { k1: 1.2, b: 0.4 } } },
  { label: "bm25 k1 0.9 b 0.6", retrieval: { vectorWeight: 0, bm25: { k1: 0.9, b: 0.6 } } },
];

/** BEIR corpora are staged as files: their sources map back to document ids. */
let sourceToId: Map<string, string> | undefined;

interface Case {
  query: string;
  judgements: Map<string, number>;
}

async function sweep(name: string, cases: Case[], load: (context: LoreContext) => Promise<void>) {
  const database = await openDatabase({ kind: "pglite-memory", template: true });
  try {
    await migrate(database);
    const context: LoreContext = { db: database.db, embedder: createLocalEmbedder() };
    await load(context);
    for (const setting of SETTINGS) {
      const scores = { ndcg: [] as number[], r1: [] as number[], r10: [] as number[] };
      for (const { query, judgements } of cases) {
        const found = await search(
          { ...context, retrieval: setting.retrieval },
          { query, collection: "sweep", topK: 50 },
        );
        const ranked = rankDocuments(
          found.results.map((result) => sourceToId?.get(result.source) ?? result.source),
        );
        scores.ndcg.push(ndcgAt(ranked, judgements, 10));
        scores.r1.push(recallAt(ranked, judgements, 1));
        scores.r10.push(recallAt(ranked, judgements, 10));
      }
      console.log(
        `${name}\t${setting.label}\tnDCG@10 ${mean(scores.ndcg).toFixed(4)}\trecall@1 ${mean(scores.r1).toFixed(4)}\trecall@10 ${mean(scores.r10).toFixed(4)}`,
      );
    }
  } finally {
    await database.close();
  }
}

const toCases = (questions: GoldenQuestion[]): Case[] =>
  questions
    .filter((question) => question.answerable)
    .map((question) => ({
      query: question.question,
      judgements: new Map(question.sources.map((source) => [source, 1])),
    }));

const [suiteList, ...beirDirs] = process.argv.slice(2);
for (const suite of (suiteList ?? SUITES.join(",")).split(",").filter(Boolean) as Suite[]) {
  const loaded = await loadSuite(suite, { split: SPLITS[2] });
  if ("skipped" in loaded) {
    console.log(`${suite}\tskipped: ${loaded.skipped}`);
    continue;
  }
  const { corpus } = loaded;
  sourceToId = undefined;
  await sweep(suite, toCases(corpus.questions), async (context) => {
    await ingestFolder(context, corpus.docsDir, { collection: "sweep" });
  });
}
for (const directory of beirDirs) {
  const dataset = await readBeir(directory);
  const cases = [...dataset.qrels.entries()].flatMap(([id, judgements]) => {
    const query = dataset.queries.get(id);
    return query ? [{ query, judgements }] : [];
  });
  await sweep(`beir:${directory}`, cases, async (context) => {
    const { idOfSource } = await ingestBeirCorpus(context, dataset, "sweep");
    sourceToId = idOfSource;
  });
}
