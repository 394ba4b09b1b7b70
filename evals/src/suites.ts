// The question sets `lore eval` runs: fixtures/docs (golden split, paraphrases) and the external AWS documentation slice.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { SAMPLE_DOCS_DIR } from "@lore/core";
import { z } from "zod";
import { locateSlice } from "./evaldata";
import {
  type EvalCorpus,
  GOLDEN_DIR,
  type GoldenQuestion,
  loadGolden,
  loadQuestions,
  type Split,
} from "./golden";

export const SUITES = ["docs", "docs-paraphrase", "aws"] as const;
export type Suite = (typeof SUITES)[number];

export const AWS_SLICE = "aws-docs-qa-dev";

/** A line of the slice's questions.jsonl (see its README). */
const AwsQuestion = z.object({
  id: z.string().min(1),
  question: z.string().min(1),
  answer: z.string().min(1),
  source: z.string().min(1),
});

export type LoadedSuite = { corpus: EvalCorpus } | { skipped: string };

export interface SuiteOptions {
  split: Split;
  goldenDir?: string;
  /** Where the external data is; default: LORE_EVALDATA_DIR or ../shared/evaldata. */
  dataDir?: string;
  cacheDir?: string;
}

export async function loadSuite(suite: Suite, options: SuiteOptions): Promise<LoadedSuite> {
  const goldenDir = options.goldenDir ?? GOLDEN_DIR;
  switch (suite) {
    case "docs":
      return {
        corpus: {
          name: suite,
          docsDir: SAMPLE_DOCS_DIR,
          questions: await loadGolden(options.split, goldenDir),
          split: options.split,
        },
      };
    case "docs-paraphrase":
      return {
        corpus: {
          name: suite,
          docsDir: SAMPLE_DOCS_DIR,
          questions: await loadQuestions(path.join(goldenDir, "paraphrase.jsonl")),
        },
      };
    case "aws": {
      const located = await locateSlice(AWS_SLICE, "questions.jsonl", {
        ...(options.dataDir ? { dataDir: options.dataDir } : {}),
        ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
      });
      if ("missing" in located) return { skipped: located.missing };
      return {
        corpus: {
          name: suite,
          docsDir: path.join(located.dir, "docs"),
          questions: [
            ...(await loadAwsQuestions(path.join(located.dir, "questions.jsonl"))),
            // Our own questions about services the slice's 14 guides do not cover.
            ...(await loadQuestions(path.join(goldenDir, "aws-unanswerable.jsonl"))),
          ],
        },
      };
    }
  }
}

/** The slice's questions: all answerable, scored by their page and reference answer. */
export async function loadAwsQuestions(file: string): Promise<GoldenQuestion[]> {
  const text = await readFile(file, "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      const parsed = AwsQuestion.safeParse(JSON.parse(line));
      if (!parsed.success) {
        throw new Error(`${file} line ${index + 1}: ${parsed.error.issues[0]?.message}`);
      }
      const { id, question, answer, source } = parsed.data;
      return {
        id,
        question,
        answerable: true,
        sources: [source],
        keyFacts: [],
        referenceAnswer: answer,
        style: "aws",
      };
    });
}
