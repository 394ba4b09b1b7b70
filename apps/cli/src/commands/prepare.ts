// `lore prepare` (hidden; the root postinstall runs it): caches the template new embedded data
// directories start from, so the first `pnpm start` does not wait for PGlite's initdb.
import path from "node:path";
import { cacheEmbeddedTemplate } from "../database";

export async function runPrepare(): Promise<void> {
  try {
    const file = path.relative(process.cwd(), await cacheEmbeddedTemplate());
    process.stdout.write(`lore: new embedded databases start from ${file}\n`);
  } catch (error) {
    // An install must not fail for a cache: each new data directory then makes it on first use.
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`lore: no embedded database template cached (${reason})\n`);
  }
}
