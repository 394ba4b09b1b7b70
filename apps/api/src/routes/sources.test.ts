import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createApiKey, SourceList, SourceView, SyncSourceResponse } from "@lore/core";
import { type Database, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";

let database: Database;
let app: ReturnType<typeof createApp>;
let root: string;
let outside: string;
let ingestKey: string;
let askKey: string;
let otherCollectionKey: string;

beforeAll(async () => {
  database = await createTestDatabase();
  root = await mkdtemp(path.join(tmpdir(), "lore-api-sources-"));
  outside = await mkdtemp(path.join(tmpdir(), "lore-api-sources-outside-"));
  await mkdir(path.join(root, "docs"));
  await writeFile(path.join(root, "docs", "a.md"), "# A\n\nAlpha.\n");
  const context = { db: database.db, embedder: createLocalEmbedder() };
  app = createApp({
    context,
    logger: pino({ level: "silent" }),
    ingestRoots: [root],
    auth: "required",
  });
  ingestKey = (await createApiKey(context, { name: "ingest", scopes: ["ingest"] })).key;
  askKey = (await createApiKey(context, { name: "ask", scopes: ["ask"] })).key;
  otherCollectionKey = (
    await createApiKey(context, { name: "other", scopes: ["admin"], collections: ["other"] })
  ).key;
});
afterAll(async () => {
  await database.close();
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const call = (key: string, method: string, url: string, body?: unknown) =>
  app.request(url, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe("/v1/sources", () => {
  it("creates, lists, reads, updates, syncs and deletes a source, with scope and collection limits", async () => {
    const folder = {
      collection: "docs",
      name: "team-docs",
      kind: "folder",
      config: { path: path.join(root, "docs") },
    };
    expect((await call(askKey, "POST", "/v1/sources", folder)).status).toBe(403);
    expect((await call(otherCollectionKey, "POST", "/v1/sources", folder)).status).toBe(403);
    const outsideRoots = await call(ingestKey, "POST", "/v1/sources", {
      ...folder,
      config: { path: outside },
    });
    expect(outsideRoots.status).toBe(400);
    const localRepo = await call(ingestKey, "POST", "/v1/sources", {
      collection: "docs",
      name: "repo",
      kind: "git",
      config: { url: outside },
    });
    expect(localRepo.status).toBe(400);
    const badSchedule = await call(ingestKey, "POST", "/v1/sources", {
      ...folder,
      schedule: "sometimes",
    });
    expect(badSchedule.status).toBe(400);
    const secretInUrl = await call(ingestKey, "POST", "/v1/sources", {
      collection: "docs",
      name: "leaky",
      kind: "git",
      config: { url: "https://user:hunter2@git.example.com/a.git" },
    });
    expect(secretInUrl.status).toBe(400);

    const created = await call(ingestKey, "POST", "/v1/sources", { ...folder, schedule: "1h" });
    expect(created.status).toBe(201);
    const source = SourceView.parse(await created.json());
    expect(source.nextRunAt).not.toBeNull();
    expect((await call(ingestKey, "POST", "/v1/sources", folder)).status).toBe(409);

    const listed = SourceList.parse(await (await call(ingestKey, "GET", "/v1/sources")).json());
    expect(listed.sources.map((entry) => entry.name)).toEqual(["team-docs"]);
    const hidden = SourceList.parse(
      await (await call(otherCollectionKey, "GET", "/v1/sources")).json(),
    );
    expect(hidden.sources).toEqual([]);
    expect((await call(otherCollectionKey, "GET", `/v1/sources/${source.id}`)).status).toBe(404);

    const patched = await call(ingestKey, "PATCH", `/v1/sources/${source.id}`, { schedule: null });
    expect(SourceView.parse(await patched.json())).toMatchObject({
      schedule: null,
      nextRunAt: null,
    });

    const synced = await call(ingestKey, "POST", `/v1/sources/${source.id}/sync`);
    expect(synced.status).toBe(202);
    const { jobId, queued } = SyncSourceResponse.parse(await synced.json());
    expect(queued).toBe(true);
    const again = SyncSourceResponse.parse(
      await (await call(ingestKey, "POST", `/v1/sources/${source.id}/sync`)).json(),
    );
    expect(again).toEqual({ jobId, queued: false });

    const deleted = await call(ingestKey, "DELETE", `/v1/sources/${source.id}`);
    expect(deleted.status).toBe(200);
    const [job] = await queryRows<{ status: string }>(
      database.db,
      sql`SELECT status FROM ingest_jobs WHERE id = ${jobId}`,
    );
    expect(job?.status).toBe("cancelled");
    expect((await call(ingestKey, "GET", `/v1/sources/${source.id}`)).status).toBe(404);
  });
});
