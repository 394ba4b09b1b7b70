// Replays the extractive answerer offline over each question's retrieved chunks: how evals/README.md measures answer rules.
// Usage: tsx evals/scripts/answer-replay.ts dump <docs|docs-paraphrase|aws|folder> <out.json> [questions.jsonl]
//        tsx evals/scripts/answer-replay.ts replay <dump.json>... [--verbose] [--explain id,id]
// `dump` ingests the set as `lore eval` does and stores, per question, the chunks `ask` reads and
// the collection statistics it counts; `replay` answers from them with the answering code of the
// tree it runs in and prints the answer metrics of `lore eval` (they agree exactly), in seconds.
import { readFile, writeFile } from "node:fs/promises";
import {
  collectionTermStatistics,
  DEFAULT_ASK_TOP_K,
  extractiveAnswer,
  ingestFolder,
  type LoreContext,
  type RetrievedChunk,
  retrievalEvidence,
  retrieve,
  type TermStatistics,
} from "@lore/core";
import { migrate, openDatabase } from "@lore/db";
import { createLocalEmbedder } from "@lore/providers";
import { fullTextQuery } from "../../packages/core/src/retrieval/full-text-query";
import { type EvalCorpus, type GoldenQuestion, readQuestions } from "../src/golden";
import { answerTokenRecall, keyFactRecall, mean } from "../src/metrics";
import { loadSuite, SUITES, type Suite } from "../src/suites";

interface Dumped {
  question: GoldenQuestion;
  chunks: RetrievedChunk[];
  statistics: { chunks: number; frequency: [string, number][] };
}

const COLLECTION = "replay";

async function dump(target: string, out: string, questionsFile: string | undefined) {
  let corpus: EvalCorpus;
  if ((SUITES as readonly string[]).includes(target)) {
    const loaded = await loadSuite(target as Suite, { split: "all" });
    if ("skipped" in loaded) throw new Error(loaded.skipped);
    corpus = loaded.corpus;
  } else {
    if (!questionsFile) throw new Error("a folder needs its questions file");
    const questions = (await readQuestions(questionsFile)).map((line) => line.question);
    corpus = { name: "folder", docsDir: target, questions };
  }
  const database = await openDatabase({ kind: "pglite-memory", template: true });
  try {
    await migrate(database);
    const context: LoreContext = { db: database.db, embedder: createLocalEmbedder() };
    await ingestFolder(context, corpus.docsDir, { collection: COLLECTION });
    const dumped: Dumped[] = [];
    for (const question of corpus.questions) {
      const query = question.question;
      const { chunks } = await retrieve(context, {
        query,
        collection: COLLECTION,
        topK: DEFAULT_ASK_TOP_K,
      });
      // As `ask` counts them: the question's words and the parts the search adds.
      const statistics = await collectionTermStatistics(context, COLLECTION, fullTextQuery(query));
      dumped.push({
        question,
        chunks,
        statistics: { chunks: statistics.chunks, frequency: [...statistics.frequency] },
      });
    }
    await writeFile(out, JSON.stringify(dumped));
  } finally {
    await database.close();
  }
}

async function replay(files: string[], verbose: boolean, explain: Set<string>) {
  for (const file of files) {
    const dumped = JSON.parse(await readFile(file, "utf8")) as Dumped[];
    const rows = dumped.map(({ question, chunks, statistics: counted }) => {
      const statistics: TermStatistics = {
        chunks: counted.chunks,
        frequency: new Map(counted.frequency),
      };
      const evidence = retrievalEvidence(question.question, chunks, statistics);
      const draft = extractiveAnswer(question.question, chunks, { statistics, evidence });
      const cited = draft.citations.map((citation) => citation.source);
      const right = !draft.abstained && cited.some((source) => question.sources.includes(source));
      if (verbose) {
        const mark = question.answerable
          ? draft.abstained
            ? "FALSE-REFUSAL"
            : right
              ? "ok"
              : "WRONG"
          : draft.abstained
            ? "ok-refused"
            : "ANSWERED-UNANSWERABLE";
        console.log(`${mark}\t${question.id}\t${question.question}`);
        console.log(`\t${draft.answer.replace(/\s+/g, " ").slice(0, 300)}`);
      }
      if (explain.has(question.id)) explainEvidence(evidence, statistics, chunks);
      return { question, draft, right, cited };
    });
    const answerable = rows.filter((row) => row.question.answerable);
    const present = (values: (number | null)[]) =>
      values.filter((value): value is number => value !== null);
    const rate = (values: (number | null)[]) => {
      const found = present(values);
      return found.length === 0 ? "-" : mean(found).toFixed(3);
    };
    // As `lore eval` scores a recall: 0 for a refusal, none for a question without facts.
    type Scorer = ((answer: string) => number) | undefined;
    const recall = (scorer: (question: GoldenQuestion) => Scorer) =>
      rate(
        answerable.map(({ question, draft }) => {
          const score = scorer(question);
          return score === undefined ? null : draft.abstained ? 0 : score(draft.answer);
        }),
      );
    const metrics = {
      "answered from source": rate(answerable.map((row) => (row.right ? 1 : 0))),
      "false refusals": rate(answerable.map((row) => (row.draft.abstained ? 1 : 0))),
      "refusals on unanswerable": rate(
        rows.filter((row) => !row.question.answerable).map((row) => (row.draft.abstained ? 1 : 0)),
      ),
      "key facts": recall((question) =>
        question.keyFacts.length === 0
          ? undefined
          : (answer) => keyFactRecall(answer, question.keyFacts),
      ),
      "token recall": recall((question) => {
        const reference = question.referenceAnswer;
        return reference === undefined
          ? undefined
          : (answer) => answerTokenRecall(answer, reference);
      }),
      "citation precision": rate(
        answerable.map(({ question, cited }) =>
          cited.length === 0
            ? null
            : cited.filter((source) => question.sources.includes(source)).length / cited.length,
        ),
      ),
    };
    console.log(
      `${file}: ${Object.entries(metrics)
        .map(([name, value]) => `${name} ${value}`)
        .join(" | ")}`,
    );
  }
}

function explainEvidence(
  evidence: ReturnType<typeof retrievalEvidence>,
  statistics: TermStatistics,
  chunks: readonly RetrievedChunk[],
) {
  const { question } = evidence;
  const weights = [...question.weights]
    .map(([term, weight]) => `${term}:${weight.toFixed(2)}(${statistics.frequency.get(term) ?? 0})`)
    .join(" ");
  console.log(
    `\tkind ${question.kind} names [${question.names}] focus ${question.focus} coverage ${evidence.coverage.toFixed(3)} unretrieved ${evidence.unretrievedShare.toFixed(2)} agreement ${evidence.agreement}`,
  );
  console.log(`\tweights ${weights} of ${statistics.chunks} chunks`);
  console.log(`\tchunks ${chunks.map((chunk) => chunk.source).join(", ")}`);
  for (const scored of evidence.passages.slice(0, 6)) {
    const held = [...question.weights.keys()].filter((term) => scored.passage.terms.has(term));
    console.log(
      `\t  #${scored.passage.rank} ${scored.coverage.toFixed(2)} kind ${scored.hasKind} ${scored.passage.chunk.source} > ${scored.passage.heading} [${held}]`,
    );
  }
}

const [command, ...rest] = process.argv.slice(2);
const files = rest.filter((arg, index) => !arg.startsWith("--") && rest[index - 1] !== "--explain");
if (command === "dump" && files[0] && files[1]) await dump(files[0], files[1], files[2]);
else if (command === "replay" && files.length > 0) {
  const explained = rest[rest.indexOf("--explain") + 1];
  const explain = new Set(rest.includes("--explain") && explained ? explained.split(",") : []);
  await replay(files, rest.includes("--verbose"), explain);
} else {
  console.error(
    "usage: answer-replay.ts dump <set|folder> <out.json> [questions] | replay <dump.json>... [--verbose] [--explain id,id]",
  );
  process.exitCode = 1;
}
