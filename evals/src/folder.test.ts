import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createLocalEmbedder } from "@lore/providers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFolderCorpus } from "./folder";
import { runCorpus } from "./golden";

const TINY = fileURLToPath(new URL("../fixtures/folder-tiny", import.meta.url));
const GARDEN = path.join(TINY, "garden");
const QUESTIONS = path.join(TINY, "questions.jsonl");

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ id: "q", question: "Where?", answerable: true, sources: ["a.md"], ...fields });

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "lore-folder-eval-"));
  await mkdir(path.join(folder, "docs", "team"), { recursive: true });
  await writeFile(path.join(folder, "docs", "a.md"), "# A\n\nThe office is on the third floor.\n");
  await writeFile(path.join(folder, "docs", "team", "b.md"), "# B\n\nStand-up is at 9:30.\n");
  await writeFile(path.join(folder, "docs", "empty.md"), "");
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function questionsFile(name: string, lines: string[]): Promise<string> {
  const file = path.join(folder, name);
  await writeFile(file, `${lines.join("\n")}\n`);
  return file;
}

describe("loadFolderCorpus", () => {
  it("reads the fixture: the folder's name, its path and every question", async () => {
    const corpus = await loadFolderCorpus(GARDEN, QUESTIONS);
    expect(corpus).toMatchObject({ name: "garden", docsDir: GARDEN });
    expect(corpus.exclude).toBeUndefined();
    expect(corpus.questions).toHaveLength(6);
    expect(corpus.questions[0]).toEqual({
      id: "tiny-01",
      question: "How much does a bed cost for the year?",
      answerable: true,
      sources: ["plots.md"],
      keyFacts: ["€45"],
      style: "",
    });
  });

  it("names the line and the field of a bad question", async () => {
    const docs = path.join(folder, "docs");
    const cases: [string[], RegExp][] = [
      [[line({ id: "q1" }), "{not json"], /bad\.jsonl line 2: not JSON/],
      [
        [line({ id: "q1" }), line({ id: "q2", answerable: "yes" })],
        /line 2: answerable: .*boolean/,
      ],
      [[line({ question: undefined })], /line 1: question: .*string/],
      [
        [line({ sources: [] })],
        /line 1: sources: an answerable question needs at least one source/,
      ],
      [[line({ keyfacts: ["x"] })], /line 1: .*keyfacts/],
      [[line({ id: "q1" }), "", line({ id: "q1" })], /line 3: id "q1" is already used on line 1/],
      [[""], /holds no questions/],
      [[line({ answerable: false, sources: [] })], /no answerable question/],
    ];
    for (const [lines, message] of cases) {
      const file = await questionsFile("bad.jsonl", lines);
      await expect(loadFolderCorpus(docs, file), message.source).rejects.toThrow(message);
    }
  });

  it("lists every source that is not a file of the folder, by line, with a near match", async () => {
    const file = await questionsFile("sources.jsonl", [
      line({ id: "ok", sources: ["team/b.md"] }),
      line({ id: "moved", sources: ["b.md"] }),
      line({ id: "outside", sources: ["../docs/a.md"] }),
      line({ id: "absolute", sources: [path.join(folder, "docs", "a.md")] }),
      line({ id: "folder", sources: ["team"] }),
    ]);
    const error = await loadFolderCorpus(path.join(folder, "docs"), file).catch(
      (caught: Error) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^4 source\(s\) in .*sources\.jsonl are not files of the folder/);
    expect(message).toMatch(
      /line 2 \(moved\): source "b\.md" is not a file in .*docs \(did you mean "team\/b\.md"\?\)/,
    );
    expect(message).toMatch(/line 3 \(outside\): source "\.\.\/docs\/a\.md" is not a file/);
    expect(message).toMatch(/line 4 \(absolute\): source ".*a\.md" is not a file/);
    expect(message).toMatch(/line 5 \(folder\): source "team" is not a file/);
    expect(message).not.toMatch(/\(ok\)/);
    await expect(loadFolderCorpus(path.join(folder, "nowhere"), file)).rejects.toThrow(
      /nowhere is not a folder/,
    );
  });
});

describe("runCorpus on a folder", () => {
  const providers = { embedder: createLocalEmbedder() };

  it("does not ingest a questions file kept inside the folder", { timeout: 60_000 }, async () => {
    // .json is ingested as a document: unless excluded, the questions would be their own answers.
    const file = await questionsFile("docs/questions.json", [line({ sources: ["a.md"] })]);
    const corpus = await loadFolderCorpus(path.join(folder, "docs"), file);
    expect(corpus.exclude).toEqual(["questions.json"]);
    const report = await runCorpus(
      { ...corpus, exclude: [...(corpus.exclude ?? []), "empty.md"] },
      { providers },
    );
    expect(report.corpus.documents).toBe(2);
    expect(report.results[0]?.citedSources).not.toContain("questions.json");
    await rm(file);
  });

  it("refuses a source the ingest skipped, with the ingest's reason", {
    timeout: 60_000,
  }, async () => {
    const file = await questionsFile("skipped.jsonl", [
      line({ id: "fine", sources: ["a.md"] }),
      line({ id: "empty", sources: ["empty.md"] }),
    ]);
    const corpus = await loadFolderCorpus(path.join(folder, "docs"), file);
    await expect(runCorpus(corpus, { providers })).rejects.toThrow(
      /1 expected source\(s\) are not documents of the ingested folder:\n {2}empty\.md: skipped by the ingest \(empty file\)/,
    );
  });
});
