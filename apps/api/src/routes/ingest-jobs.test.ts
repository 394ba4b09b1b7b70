import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { IngestJobList, IngestJobView, PutDocumentResponse } from "@lore/core";
import { type Database, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";
import { Problem } from "../problem";

let database: Database;
let app: ReturnType<typeof createApp>;
let root: string;
let outside: string;

beforeAll(async () => {
  database = await createTestDatabase();
  root = await mkdtemp(path.join(tmpdir(), "lore-api-root-"));
  outside = await mkdtemp(path.join(tmpdir(), "lore-api-outside-"));
  await mkdir(path.join(root, "docs"));
  await writeFile(path.join(root, "docs", "a.md"), "# A\n\nAlpha.\n");
  await writeFile(path.join(outside, "secret.md"), "# Secret\n");
  await symlink(outside, path.join(root, "escape"));
  app = createApp({
    context: { db: database.db, embedder: createLocalEmbedder() },
    logger: pino({ level: "silent" }),
    ingestRoots: [root],
  });
});
afterAll(async () => {
  await database.close();
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const json = (method: string, url: string, body?: unknown) =>
  app.request(url, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

async function snapshot(): Promise<unknown> {
  return queryRows(
    database.db,
    sql`SELECT (SELECT count(*) FROM ingest_jobs)::int AS jobs, (SELECT count(*) FROM documents)::int AS documents, (SELECT count(*) FROM chunks)::int AS chunks`,
  );
}

describe("/v1/ingest-jobs", () => {
  it("queues a folder inside the roots and reports it", async () => {
    const created = await json("POST", "/v1/ingest-jobs", {
      collection: "docs",
      path: path.join(root, "docs"),
      sync: true,
    });
    expect(created.status).toBe(202);
    const { jobId } = (await created.json()) as { jobId: string };
    expect(jobId).toMatch(/^job_/);
    const read = await json("GET", `/v1/ingest-jobs/${jobId}`);
    expect(read.status).toBe(200);
    expect(IngestJobView.parse(await read.json())).toMatchObject({
      id: jobId,
      status: "queued",
      attempts: 0,
      sync: true,
      collection: "docs",
    });
    const listed = IngestJobList.parse(await (await json("GET", "/v1/ingest-jobs")).json());
    expect(listed.jobs.map((job) => job.id)).toContain(jobId);
  });

  it.each([
    ["a folder outside the roots", () => outside],
    ["a symlink escaping the roots", () => path.join(root, "escape")],
    ["a path with ..", () => `${root}/docs/../../`],
    ["a relative path", () => "docs"],
  ])("refuses %s with a 400 and queues nothing", async (_name, folder) => {
    const before = await snapshot();
    const response = await json("POST", "/v1/ingest-jobs", { collection: "x", path: folder() });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(Problem.parse(await response.json()).code).toBe("invalid_request");
    expect(await snapshot()).toEqual(before);
  });

  it("answers 404 for an unknown job and 400 for a malformed id", async () => {
    expect((await json("GET", "/v1/ingest-jobs/job_nothere")).status).toBe(404);
    expect((await json("GET", "/v1/ingest-jobs/nope")).status).toBe(400);
  });
});

describe("/v1/collections/:name/documents", () => {
  const document = {
    source: "tickets/OPS-1",
    title: "OPS-1",
    content: "# OPS-1\n\nThe VPN certificate expires on 1 March.\n",
    metadata: { tags: ["ops"] },
  };

  it("upserts, leaves an unchanged document alone, and deletes by source", async () => {
    const added = await json("PUT", "/v1/collections/pushed/documents", document);
    expect(added.status).toBe(200);
    const body = PutDocumentResponse.parse(await added.json());
    expect(body).toMatchObject({ outcome: "added", chunks: 1 });
    expect(body.documentId).toMatch(/^doc_/);
    const again = PutDocumentResponse.parse(
      await (await json("PUT", "/v1/collections/pushed/documents", document)).json(),
    );
    expect(again).toMatchObject({ outcome: "unchanged", documentId: body.documentId });

    const deleted = await json(
      "DELETE",
      `/v1/collections/pushed/documents?source=${encodeURIComponent(document.source)}`,
    );
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toMatchObject({ documentId: body.documentId, chunksDeleted: 1 });
    const missing = await json(
      "DELETE",
      `/v1/collections/pushed/documents?source=${encodeURIComponent(document.source)}`,
    );
    expect(missing.status).toBe(404);
  });

  it.each([
    ["empty content", { source: "a", content: "  " }],
    ["an unknown field", { source: "a", content: "x", owner: "me" }],
    ["no source", { content: "x" }],
    ["a control character in the source", { source: "a\u0000b", content: "x" }],
  ])("rejects %s with a 400 and writes nothing", async (_name, body) => {
    const before = await snapshot();
    const response = await json("PUT", "/v1/collections/pushed/documents", body);
    expect(response.status).toBe(400);
    expect(Problem.parse(await response.json()).code).toBe("invalid_request");
    expect(await snapshot()).toEqual(before);
  });
});
