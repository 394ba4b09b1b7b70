import { createLocalEmbedder } from "@lore/providers";
import { describe, expect, it } from "vitest";
import {
  clusterQuestions,
  LOCAL_CLUSTER_THRESHOLD,
  type QuestionItem,
  questionSimilarity,
} from "./cluster-questions";

const embedder = createLocalEmbedder();

async function items(entries: [string, number][]): Promise<QuestionItem[]> {
  const vectors = await embedder.embed(entries.map(([text]) => text));
  return entries.map(([text, count], index) => ({ text, count, embedding: vectors[index] ?? [] }));
}

describe("clusterQuestions with the hashing embedder", () => {
  it("groups paraphrases sharing topic words and keeps other topics apart", async () => {
    const groups = clusterQuestions(
      await items([
        ["is there parking at the office?", 5],
        ["where can i park my car at the office?", 3],
        ["how do i get a parking permit for the office car park?", 2],
        ["can i bring my dog to the office?", 4],
        ["are dogs allowed in the office?", 1],
        ["how do i request access to the office?", 2],
      ]),
      LOCAL_CLUSTER_THRESHOLD,
    );
    expect(groups.map((group) => group.map((item) => item.text))).toEqual([
      [
        "is there parking at the office?",
        "where can i park my car at the office?",
        "how do i get a parking permit for the office car park?",
      ],
      ["can i bring my dog to the office?", "are dogs allowed in the office?"],
      ["how do i request access to the office?"],
    ]);
  });

  it("ranks groups by their total asks, and a group's members by their own", async () => {
    const groups = clusterQuestions(
      await items([
        ["what is the 401k match?", 1],
        ["how much is the employer 401k match?", 1],
        ["does the company match 401k contributions?", 1],
        ["how do stock options vest?", 2],
      ]),
      LOCAL_CLUSTER_THRESHOLD,
    );
    expect(groups.map((group) => group.length)).toEqual([3, 1]);
    expect(groups[1]?.[0]?.text).toBe("how do stock options vest?");
  });

  it("groups as the pair-by-pair single link does, on 300 generated questions", async () => {
    const topics = ["stock options", "the 401k match", "parking", "dogs", "relocation", "pto"];
    const openers = ["how do", "what is", "where can i find", "who owns", "is there"];
    const tails = ["?", " for contractors?", " in dublin?", " this year?", " at the office?"];
    const entries: [string, number][] = [];
    for (const topic of topics) {
      for (const opener of openers) {
        for (const tail of tails) {
          for (const extra of ["", " please"]) {
            entries.push([`${opener} ${topic}${extra}${tail}`, (entries.length * 7919) % 13]);
          }
        }
      }
    }
    const questions = await items(entries);
    // The reference: most asked first, compare with every member of every group.
    const ordered = [...questions].sort(
      (a, b) => b.count - a.count || a.text.localeCompare(b.text),
    );
    const reference: QuestionItem[][] = [];
    for (const item of ordered) {
      let best: QuestionItem[] | undefined;
      let bestScore = 0;
      for (const group of reference) {
        for (const member of group) {
          const similarity = questionSimilarity(item, member);
          if (similarity >= LOCAL_CLUSTER_THRESHOLD && similarity > bestScore) {
            best = group;
            bestScore = similarity;
          }
        }
      }
      if (best) best.push(item);
      else reference.push([item]);
    }
    const total = (group: QuestionItem[]) => group.reduce((sum, item) => sum + item.count, 0);
    reference.sort((a, b) => total(b) - total(a));
    const texts = (groups: QuestionItem[][]) =>
      groups.map((group) => group.map((item) => item.text));
    const groups = clusterQuestions(questions, LOCAL_CLUSTER_THRESHOLD);
    expect(groups.length).toBeGreaterThan(1);
    expect(texts(groups)).toEqual(texts(reference));
  });
});
