// The search verb keeps the collections it has checked, yet sees one dropped, or dropped and recreated, by anyone.
import type { Database } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoreContext } from "../context";
import { putDocument } from "../ingestion/put-document";
import { search } from "./search";

let database: Database;
let context: LoreContext;

beforeAll(async () => {
  database = await createTestDatabase();
  context = { db: database.db, embedder: createLocalEmbedder({ dimensions: 64 }) };
});
afterAll(async () => {
  await database.close();
});

async function put(collection: string, source: string, content: string): Promise<void> {
  await putDocument(context, collection, { source, content, mimeType: "text/markdown" });
}

const sources = async (query: string, collection: string) =>
  (await search(context, { query, collection })).results.map((result) => result.source);

// Dropped the way an operator would, behind Lore's back (no verb deletes a collection).
const drop = (name: string) =>
  database.db.execute(sql`DELETE FROM collections WHERE name = ${name}`);

describe("search", () => {
  it("finds what was added after the collection was first searched", async () => {
    await put("added", "deploy.md", "# Deploy\n\nRoll back a deploy with the rollback script.");
    expect(await sources("roll back a deploy", "added")).toEqual(["deploy.md"]);
    await put("added", "backup.md", "# Backups\n\nRestore a database backup from the bucket.");
    expect(await sources("restore a database backup", "added")).toContain("backup.md");
  });

  it("answers not_found once a searched collection is dropped", async () => {
    await put("dropped", "deploy.md", "# Deploy\n\nRoll back a deploy with the rollback script.");
    expect(await sources("roll back a deploy", "dropped")).toEqual(["deploy.md"]);
    await drop("dropped");
    await expect(sources("roll back a deploy", "dropped")).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("searches the new collection when one is dropped and recreated under the same name", async () => {
    await put("recreated", "deploy.md", "# Deploy\n\nRoll back a deploy with the rollback script.");
    expect(await sources("roll back a deploy", "recreated")).toEqual(["deploy.md"]);
    await drop("recreated");
    await put("recreated", "rollback.md", "# Rollback\n\nRoll back a deploy from the dashboard.");
    expect(await sources("roll back a deploy", "recreated")).toEqual(["rollback.md"]);
  });

  it("still refuses a collection embedded by another model", async () => {
    await put("mismatch", "deploy.md", "# Deploy\n\nRoll back a deploy with the rollback script.");
    expect(await sources("roll back a deploy", "mismatch")).toEqual(["deploy.md"]);
    const other = { db: database.db, embedder: createLocalEmbedder({ dimensions: 32 }) };
    await expect(search(other, { query: "deploy", collection: "mismatch" })).rejects.toMatchObject({
      code: "conflict",
    });
  });
});
