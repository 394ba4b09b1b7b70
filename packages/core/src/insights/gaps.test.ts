import { type Database, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ask } from "../answering/ask";
import type { LoreContext } from "../context";
import { ingestFolder } from "../ingestion/ingest-folder";
import { putDocument } from "../ingestion/put-document";
import { recordFeedback } from "../queries/feedback";
import { SAMPLE_DOCS_DIR } from "../sample-docs";
import { listGaps, resolveGap } from "./gaps";

let database: Database;
let context: LoreContext;

// Three topics the sample docs never mention, each asked in paraphrases, and how often in all.
const UNANSWERABLE = {
  stock: {
    times: 40,
    variants: [
      "How many stock options do new hires get?",
      "What is the vesting schedule for employee stock options?",
      "What is the strike price of my stock options?",
      // Not "… or equity?": the docs say "Every offer includes equity", which answers that.
      "Are stock options offered to employees?",
    ],
  },
  // Not the 401(k): the FAQ states its match, and "401k" is answered from it.
  childcare: {
    times: 30,
    variants: [
      "Is there a childcare subsidy?",
      "How much is the childcare subsidy?",
      "When is the childcare subsidy paid?",
    ],
  },
  relocation: {
    times: 20,
    variants: [
      "What relocation assistance is offered?",
      "Is relocation assistance available?",
      "Who qualifies for relocation assistance?",
      "How do I apply for relocation assistance?",
    ],
  },
} as const;

const ANSWERABLE = [
  "How many days of PTO do full-time employees get?",
  "How do I roll back a bad deploy in production?",
  "What is the daily meal per-diem in the United States?",
  "For a Sev1 incident, how quickly is the incident commander paged?",
  "What is the maximum value of the limit parameter on API list endpoints?",
];
/** Answerable questions some users voted down: a smaller gap of their own. */
const DISLIKED = "How do I roll back a bad deploy in production?";
const THUMBS_DOWN = 6;

const asked = new Map<string, string[]>();

async function askAs(question: string): Promise<{ queryId: string; abstained: boolean }> {
  const response = await ask(context, { question, collection: "default" });
  asked.set(question, [...(asked.get(question) ?? []), response.queryId]);
  return response;
}

beforeAll(async () => {
  database = await createTestDatabase();
  context = { db: database.db, embedder: createLocalEmbedder() };
  await ingestFolder(context, SAMPLE_DOCS_DIR, { collection: "default" });
  // 200 questions, interleaved as real traffic would be.
  const plan: string[] = [];
  for (const group of Object.values(UNANSWERABLE)) {
    for (let index = 0; index < group.times; index++) {
      plan.push(group.variants[index % group.variants.length] as string);
    }
  }
  for (let index = 0; plan.length < 200; index++) {
    plan.push(ANSWERABLE[index % ANSWERABLE.length] as string);
  }
  plan.sort((a, b) => ((a.length * 7919 + b.length) % 13) - ((b.length * 7919 + a.length) % 13));
  for (const question of plan) await askAs(question);
  const disliked = asked.get(DISLIKED) ?? [];
  for (const queryId of disliked.slice(0, THUMBS_DOWN)) {
    await recordFeedback({ db: database.db }, { queryId, rating: "down" });
  }
  for (const queryId of disliked.slice(THUMBS_DOWN)) {
    await recordFeedback({ db: database.db }, { queryId, rating: "up" });
  }
}, 300_000);
afterAll(async () => {
  await database.close();
});

describe("documentation gaps over a seeded run of 200 questions on the sample docs", () => {
  it("logged 200 questions, and refused the unanswerable ones but not the answerable", async () => {
    const [row] = await queryRows<{ total: number; refused: number }>(
      database.db,
      sql`SELECT count(*)::int AS total, count(*) FILTER (WHERE abstained)::int AS refused FROM queries`,
    );
    expect(row).toEqual({ total: 200, refused: 90 });
  });

  it("ranks the three unanswerable paraphrase groups first, with their counts", async () => {
    const { gaps, failedAsks } = await listGaps(context, { collection: "default" });
    expect(failedAsks).toBe(90 + THUMBS_DOWN);
    const top = gaps.slice(0, 3);
    expect(top.map((gap) => gap.count)).toEqual([40, 30, 20]);
    expect(top.map((gap) => gap.refused)).toEqual([40, 30, 20]);
    for (const [gap, group] of top.map(
      (gap, index) => [gap, Object.values(UNANSWERABLE)[index]] as const,
    )) {
      expect(gap.questions.map((entry) => entry.question).sort()).toEqual(
        group?.variants.map((variant) => variant.toLowerCase()).sort(),
      );
      expect(gap.status).toBe("open");
      expect(Date.parse(gap.lastAsked)).toBeGreaterThan(Date.now() - 600_000);
      expect(gap.retrieved.length).toBeGreaterThan(0);
    }
    // The disliked answer is the next gap, with the document its answer cited.
    const disliked = gaps[3];
    expect(disliked).toMatchObject({
      representative: DISLIKED.toLowerCase(),
      count: THUMBS_DOWN,
      thumbsDown: THUMBS_DOWN,
      refused: 0,
    });
    expect(disliked?.cited[0]?.source).toBe("engineering/deploy-guide.md");
    expect(gaps).toHaveLength(4);
  });

  it("keeps a resolved gap resolved until it is refused again after a later ingest", async () => {
    const before = await listGaps(context, { collection: "default" });
    const relocation = before.gaps[2];
    expect(relocation?.count).toBe(20);
    await resolveGap(context, { collection: "default", gapId: relocation?.id ?? "" });
    const resolved = await listGaps(context, { collection: "default" });
    // Resolved gaps rank after the open ones.
    expect(resolved.gaps.map((gap) => [gap.count, gap.status])).toEqual([
      [40, "open"],
      [30, "open"],
      [THUMBS_DOWN, "open"],
      [20, "resolved"],
    ]);
    // Refused again before any ingest: the page is not in yet, so it stays resolved.
    expect((await askAs("Is relocation assistance available?")).abstained).toBe(true);
    expect((await listGaps(context, { collection: "default" })).gaps[3]?.status).toBe("resolved");
    // An ingest that does not answer it, then the question again: it reopens.
    await putDocument(context, "default", {
      source: "people/office-plants.md",
      mimeType: "text/markdown",
      content: "# Office plants\n\nThe office plants are watered on Mondays by facilities.\n",
    });
    expect((await askAs("Is relocation assistance available?")).abstained).toBe(true);
    const reopened = await listGaps(context, { collection: "default" });
    expect(reopened.gaps[2]).toMatchObject({ count: 22, status: "open", resolvedAt: null });
  });

  it("shows only the asked collection and window", async () => {
    expect((await listGaps(context, { collection: "other" })).gaps).toEqual([]);
    const future = new Date(Date.now() + 60_000);
    expect((await listGaps(context, { collection: "default", since: future })).gaps).toEqual([]);
  });
});
