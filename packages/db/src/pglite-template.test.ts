import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "./client";
import { migrateEmbedded, migrationsFolder } from "./migrate";
import { templateFile } from "./pglite-template";
import { queryRows } from "./query";
import type { Database, TemplateOptions } from "./types";

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "lore-template-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Each test's own cache and copy of the migrations (which it may add to), never the real cache. */
async function testTemplate(name: string): Promise<Required<TemplateOptions>> {
  const template = {
    cacheDir: path.join(scratch, name, "cache"),
    migrationsFolder: path.join(scratch, name, "migrations"),
  };
  await cp(migrationsFolder, template.migrationsFolder, { recursive: true });
  return template;
}

function openDataDir(template: TemplateOptions, name: string): Promise<Database> {
  return openDatabase({ kind: "pglite", dataDir: path.join(scratch, name), template });
}

async function appliedMigrations(database: Database): Promise<string[]> {
  const rows = await queryRows<{ hash: string }>(
    database.db,
    sql`SELECT hash FROM lore_migrations.__drizzle_migrations ORDER BY id`,
  );
  return rows.map((row) => row.hash);
}

async function tableExists(database: Database, table: string): Promise<boolean> {
  const [row] = await queryRows<{ found: boolean }>(
    database.db,
    sql`SELECT to_regclass(${table}) IS NOT NULL AS found`,
  );
  return row?.found === true;
}

async function cachedTemplates(template: Required<TemplateOptions>): Promise<string[]> {
  return (await readdir(template.cacheDir)).filter((name) => name.endsWith(".tar"));
}

interface JournalEntry {
  idx: number;
  version: string;
  when: number;
  tag: string;
  breakpoints: boolean;
}

async function readJournal(template: Required<TemplateOptions>): Promise<JournalEntry[]> {
  const file = path.join(template.migrationsFolder, "meta/_journal.json");
  return (JSON.parse(await readFile(file, "utf8")) as { entries: JournalEntry[] }).entries;
}

describe("new embedded data directories start from the cached template", () => {
  it("are migrated, have pgvector, keep what is written and reopen as themselves", {
    timeout: 120_000,
  }, async () => {
    const template = await testTemplate("reopen");
    const first = await openDataDir(template, "first");
    expect(await cachedTemplates(template)).toHaveLength(1);
    const migrations = await appliedMigrations(first);
    expect(migrations).toHaveLength((await readJournal(template)).length);
    // Migrating again finds nothing to do, as on a directory migrated the usual way.
    await migrateEmbedded(first.db as unknown as PgliteDatabase, template.migrationsFolder);
    expect(await appliedMigrations(first)).toEqual(migrations);
    const [distance] = await queryRows<{ distance: number }>(
      first.db,
      sql`SELECT '[1,0,0]'::vector <=> '[0,1,0]'::vector AS distance`,
    );
    expect(distance?.distance).toBe(1);
    await first.db.execute(
      sql`INSERT INTO collections (id, name, embedding_model, embedding_dimensions) VALUES ('col_kept', 'kept', 'test', 3)`,
    );
    await first.close();

    // A second directory comes from the cached file; neither shares anything with the other.
    const second = await openDataDir(template, "second");
    expect(await appliedMigrations(second)).toEqual(migrations);
    expect(await queryRows(second.db, sql`SELECT name FROM collections`)).toEqual([]);
    await second.close();

    const reopened = await openDataDir(template, "first");
    expect(await queryRows(reopened.db, sql`SELECT name FROM collections`)).toEqual([
      { name: "kept" },
    ]);
    await reopened.close();
  });

  it("are not made from a template older than the migrations: the current one replaces it", {
    timeout: 120_000,
  }, async () => {
    const template = await testTemplate("stale");
    await openDataDir(template, "before").then((database) => database.close());
    const [stale] = await cachedTemplates(template);

    const entries = await readJournal(template);
    const last = entries.at(-1);
    if (!last) throw new Error("no migrations");
    const tag = "9999_template_marker";
    entries.push({ ...last, idx: last.idx + 1, when: last.when + 1, tag });
    await writeFile(
      path.join(template.migrationsFolder, "meta/_journal.json"),
      JSON.stringify({ version: "7", dialect: "postgresql", entries }),
    );
    await writeFile(
      path.join(template.migrationsFolder, `${tag}.sql`),
      "CREATE TABLE template_marker (id integer);",
    );

    const after = await openDataDir(template, "after");
    expect(await tableExists(after, "template_marker")).toBe(true);
    expect(await appliedMigrations(after)).toHaveLength(entries.length);
    await after.close();
    const templates = await cachedTemplates(template);
    expect(templates).toHaveLength(1);
    expect(templates).not.toContain(stale);
  });

  it("are initialised the usual way when the cached template is damaged, which is dropped", {
    timeout: 120_000,
  }, async () => {
    const template = await testTemplate("damaged");
    await mkdir(template.cacheDir);
    await writeFile(await templateFile(template), "not a tarball");

    const database = await openDataDir(template, "damaged");
    expect(await tableExists(database, "collections")).toBe(false);
    await migrateEmbedded(database.db as unknown as PgliteDatabase, template.migrationsFolder);
    expect(await tableExists(database, "collections")).toBe(true);
    await database.close();
    expect(await cachedTemplates(template)).toEqual([]);
  });
});
