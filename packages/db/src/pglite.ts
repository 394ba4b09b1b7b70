// Creates Lore's embedded PGlite (with pgvector): an existing data directory opens as it is, a
// new database starts from the cached template (pglite-template.ts) instead of running initdb.
import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { discardTemplate, loadTemplate } from "./pglite-template";
import type { TemplateOptions } from "./types";

/** In memory when `dataDir` is undefined; `template: false` runs initdb as PGlite does by default. */
export async function createPglite(
  dataDir: string | undefined,
  template: TemplateOptions | false,
): Promise<PGlite> {
  const options = { ...(dataDir ? { dataDir } : {}), extensions: { vector } };
  // PGlite's own test for "a database exists here".
  const exists = dataDir !== undefined && existsSync(path.join(dataDir, "PG_VERSION"));
  if (template === false || exists) return PGlite.create(options);
  const before = new Set(dataDir ? await readdir(dataDir) : []);
  try {
    return await PGlite.create({ ...options, loadDataDir: await loadTemplate(template) });
  } catch {
    // A template that does not load (say a damaged cache file) must not stop the start: drop
    // what it wrote and the cached file, and initialise the usual way.
    if (dataDir) {
      const written = (await readdir(dataDir)).filter((name) => !before.has(name));
      for (const name of written) await rm(path.join(dataDir, name), { recursive: true });
    }
    await discardTemplate(template).catch(() => {});
    return PGlite.create(options);
  }
}
