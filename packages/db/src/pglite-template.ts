// The template a new embedded data directory starts from: a database already initialised and
// migrated, made once and cached as a tarball, so a new directory skips PGlite's initdb.
//
// Why: initdb runs in WASM and takes 4–8 s (most of a fresh `pnpm start`); loading the same
// files from a tarball takes about one. The file name carries a hash of everything the
// template's contents depend on (PGlite's and pgvector's versions, the migrations), so a
// template made by another version or before a migration changed is never used: the current
// one is made instead, and the stale ones are deleted.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { migrateEmbedded, migrationsFolder } from "./migrate";
import type { TemplateOptions } from "./types";

/** node_modules/.cache/lore at the workspace root: made by `pnpm install`, never downloaded. */
const TEMPLATE_CACHE_DIR = fileURLToPath(
  new URL("../../../node_modules/.cache/lore", import.meta.url),
);
// Part of the hash: bumped when the way a template is made changes.
const TEMPLATE_FORMAT = "1";
const FILE_PREFIX = "pglite-template-";
const FILE_SUFFIX = ".tar";

/** The template's tarball for the current PGlite, pgvector and migrations, made and cached first if missing. */
export async function loadTemplate(options: TemplateOptions = {}): Promise<Blob> {
  const file = await templateFile(options);
  const cached = await readFile(file).catch(() => undefined);
  if (cached) return new Blob([cached]);
  return makeTemplate(options);
}

/** Makes the current template and caches it, replacing stale ones. */
async function makeTemplate(options: TemplateOptions = {}): Promise<Blob> {
  const file = await templateFile(options);
  // Imported here: the bundler puts this module in one chunk with migrate.ts, which every
  // command against Postgres loads, and PGlite's module alone is ~0.1 CPU-s of a short command.
  const [{ PGlite }, { vector }, { drizzle }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite-pgvector"),
    import("drizzle-orm/pglite"),
  ]);
  const pglite = await PGlite.create({ extensions: { vector } });
  let tarball: Blob;
  try {
    await migrateEmbedded(drizzle(pglite), options.migrationsFolder ?? migrationsFolder);
    // Uncompressed (about 40 MB): gunzipping it would cost each new data directory more time.
    tarball = await pglite.dumpDataDir("none");
  } finally {
    await pglite.close();
  }
  // A cache that cannot be written (a read-only install) only costs speed.
  await saveTemplate(file, tarball).catch(() => {});
  return tarball;
}

/** Forgets a template that failed to load, so the next new data directory makes a fresh one. */
export async function discardTemplate(options: TemplateOptions = {}): Promise<void> {
  await rm(await templateFile(options), { force: true });
}

/** Where the template for the current PGlite, pgvector and migrations is cached. */
export async function templateFile(options: TemplateOptions = {}): Promise<string> {
  const hash = createHash("sha256").update(TEMPLATE_FORMAT);
  const require = createRequire(import.meta.url);
  for (const name of ["@electric-sql/pglite", "@electric-sql/pglite-pgvector"]) {
    hash.update(`${name}@${await packageVersion(require.resolve(name))}\n`);
  }
  const folder = options.migrationsFolder ?? migrationsFolder;
  // What drizzle's migrator reads: the journal and the SQL it lists.
  const sqlFiles = (await readdir(folder)).filter((name) => name.endsWith(".sql")).sort();
  for (const name of ["meta/_journal.json", ...sqlFiles]) {
    hash.update(`${name}\n`).update(await readFile(path.join(folder, name)));
  }
  const cacheDir = options.cacheDir ?? TEMPLATE_CACHE_DIR;
  return path.join(cacheDir, `${FILE_PREFIX}${hash.digest("hex").slice(0, 16)}${FILE_SUFFIX}`);
}

/** The version in the package.json above a resolved entry point (packages do not export that file). */
async function packageVersion(entry: string): Promise<string> {
  for (let directory = path.dirname(entry); directory !== path.dirname(directory); ) {
    const manifest = path.join(directory, "package.json");
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(await readFile(manifest, "utf8")) as {
        name?: string;
        version?: string;
      };
      // dist/ folders may hold a package.json of their own ({"type": "module"}): skip those.
      if (name && version) return version;
    }
    directory = path.dirname(directory);
  }
  throw new Error(`No package.json with a version above ${entry}`);
}

// Written whole under a temporary name, then renamed: concurrent starts see all of it or none.
async function saveTemplate(file: string, tarball: Blob): Promise<void> {
  const cacheDir = path.dirname(file);
  await mkdir(cacheDir, { recursive: true });
  const temporary = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temporary, Buffer.from(await tarball.arrayBuffer()));
  await rename(temporary, file);
  for (const name of await readdir(cacheDir)) {
    const stale = name.startsWith(FILE_PREFIX) && path.join(cacheDir, name) !== file;
    if (stale && name.endsWith(FILE_SUFFIX)) await rm(path.join(cacheDir, name), { force: true });
  }
}
