import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { type Database, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import {
  createLocalEmbedder,
  createRecordingEmbedder,
  type RecordingEmbedder,
} from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ask } from "../answering/ask";
import type { LoreContext } from "../context";
import { processNextIngestJob } from "../jobs/process-job";
import { search } from "../retrieval/search";
import { createSource, getSource, syncSource } from "./sources";

const run = promisify(execFile);
let database: Database;
let embedder: RecordingEmbedder;
let context: LoreContext;
let scratch: string;
let remote: string;
let work: string;
let dataDir: string;

async function git(...args: string[]): Promise<string> {
  const { stdout } = await run("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
    cwd: work,
  });
  return stdout.trim();
}

async function commitAll(message: string): Promise<string> {
  await git("add", "-A");
  await git("commit", "-q", "-m", message);
  await git("push", "-q", "origin", "HEAD:main");
  return git("rev-parse", "HEAD");
}

const paragraphs = (topic: string, count: number) =>
  Array.from(
    { length: count },
    (_, index) => `The ${topic} rule ${index} says the ${topic} rota changes weekly.`,
  ).join("\n\n");

async function runJob(jobId: string) {
  const outcome = await processNextIngestJob(context, {
    workerId: "test-worker",
    leaseMs: 30_000,
    jobId,
    sources: { dataDir },
  });
  expect(outcome?.error).toBeUndefined();
  expect(outcome?.status).toBe("succeeded");
}

async function stored(): Promise<{ source: string; url: string | null }[]> {
  return queryRows(
    database.db,
    sql`SELECT d.source, d.url FROM documents d JOIN collections k ON k.id = d.collection_id
        WHERE k.name = 'handbook' ORDER BY d.source`,
  );
}

beforeAll(async () => {
  database = await createTestDatabase();
  embedder = createRecordingEmbedder(createLocalEmbedder());
  context = { db: database.db, embedder };
  scratch = await mkdtemp(path.join(tmpdir(), "lore-git-source-"));
  remote = path.join(scratch, "remote.git");
  work = path.join(scratch, "work");
  dataDir = path.join(scratch, "data");
  await run("git", ["init", "-q", "--bare", remote]);
  await mkdir(work);
  await git("init", "-q");
  await git("remote", "add", "origin", remote);
  await mkdir(path.join(work, "docs", "drafts"), { recursive: true });
  await writeFile(path.join(work, "docs", "pager.md"), `# Pager\n\n${paragraphs("pager", 6)}\n`);
  await writeFile(
    path.join(work, "docs", "holidays.md"),
    `# Holidays\n\n${paragraphs("holiday", 6)}\n`,
  );
  await writeFile(
    path.join(work, "docs", "expenses.md"),
    `# Expenses\n\n${paragraphs("expense", 6)}\n`,
  );
  await writeFile(path.join(work, "docs", "drafts", "secret.md"), "# Draft\n\nNot ready.\n");
  await writeFile(path.join(work, "README.md"), "# Outside the sub-path\n\nIgnored.\n");
});
afterAll(async () => {
  await database.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("a git source", () => {
  it("first sync ingests the tree at the ref; the next ingests only what changed and deletes what was removed", async () => {
    const first = await commitAll("first");
    const source = await createSource(context, {
      collection: "handbook",
      name: "handbook-repo",
      kind: "git",
      config: {
        url: remote,
        ref: "main",
        subPath: "docs",
        exclude: ["drafts/**"],
        browseUrl: "https://git.example.com/team/handbook",
      },
    });
    const queued = await syncSource(context, { id: source.id });
    expect(queued.queued).toBe(true);
    // A second request while it is queued returns the same job: the database holds one per source.
    expect(await syncSource(context, { id: source.id })).toEqual({
      jobId: queued.jobId,
      queued: false,
    });
    await runJob(queued.jobId);
    expect(await stored()).toEqual([
      {
        source: "expenses.md",
        url: `https://git.example.com/team/handbook/blob/${first}/docs/expenses.md#L{start}-L{end}`,
      },
      {
        source: "holidays.md",
        url: `https://git.example.com/team/handbook/blob/${first}/docs/holidays.md#L{start}-L{end}`,
      },
      {
        source: "pager.md",
        url: `https://git.example.com/team/handbook/blob/${first}/docs/pager.md#L{start}-L{end}`,
      },
    ]);
    const afterFirst = await getSource(context, { id: source.id });
    expect(afterFirst.lastSyncedRef).toBe(first);
    expect(afterFirst.lastStatus).toBe("succeeded");

    await writeFile(
      path.join(work, "docs", "pager.md"),
      `# Pager\n\n${paragraphs("pager", 6)}\n\nThe pager escalation goes to the duty manager after fifteen minutes.\n`,
    );
    await rm(path.join(work, "docs", "expenses.md"));
    const second = await commitAll("second");
    const calls = embedder.calls.length;
    const { jobId } = await syncSource(context, { id: source.id });
    await runJob(jobId);
    const embedded = embedder.calls.slice(calls).flat();
    expect(embedded.length).toBeGreaterThan(0);
    expect(embedded.every((text) => text.includes("escalation"))).toBe(true);
    expect(await stored()).toEqual([
      {
        source: "holidays.md",
        url: `https://git.example.com/team/handbook/blob/${first}/docs/holidays.md#L{start}-L{end}`,
      },
      {
        source: "pager.md",
        url: `https://git.example.com/team/handbook/blob/${second}/docs/pager.md#L{start}-L{end}`,
      },
    ]);
    const job = await queryRows<{ summary: { documents: Record<string, number>; ref: string } }>(
      database.db,
      sql`SELECT summary FROM ingest_jobs WHERE id = ${jobId}`,
    );
    expect(job[0]?.summary.documents).toEqual({ added: 0, updated: 1, unchanged: 0, deleted: 1 });
    expect(job[0]?.summary.ref).toBe(second);

    const found = await search(context, {
      query: "pager escalation duty manager",
      collection: "handbook",
    });
    const hit = found.results.find((result) => result.source === "pager.md");
    expect(hit?.url).toBe(
      `https://git.example.com/team/handbook/blob/${second}/docs/pager.md#L${hit?.startLine}-L${hit?.endLine}`,
    );
    const answer = await ask(context, {
      question: "Who does the pager escalation go to?",
      collection: "handbook",
    });
    const citation = answer.citations.find((entry) => entry.source === "pager.md");
    expect(citation).toBeDefined();
    expect(citation?.url).toBe(
      `https://git.example.com/team/handbook/blob/${second}/docs/pager.md#L${citation?.startLine}-L${citation?.endLine}`,
    );

    // Nothing new: a sync diffs nothing and embeds nothing.
    const idle = embedder.calls.length;
    await runJob((await syncSource(context, { id: source.id })).jobId);
    expect(embedder.calls.length).toBe(idle);
  }, 240_000);
});
