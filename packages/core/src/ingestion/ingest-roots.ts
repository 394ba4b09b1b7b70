// Confines folders named over HTTP to the configured ingest roots, after resolving symlinks.
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { LoreError } from "../errors";

/**
 * The real path of `requested` when it is a folder inside one of `roots`; otherwise an
 * invalid_request error. Only metadata is touched (realpath, stat): no file is read.
 */
export async function resolveIngestPath(
  requested: string,
  roots: readonly string[],
): Promise<string> {
  if (roots.length === 0) {
    throw new LoreError(
      "invalid_request",
      "Ingesting folders over HTTP is disabled: set LORE_INGEST_ROOTS on the server to the folders it may read.",
    );
  }
  if (!path.isAbsolute(requested) || requested.split(/[\\/]/).includes("..")) {
    throw new LoreError(
      "invalid_request",
      `path must be an absolute path without ".." segments: ${JSON.stringify(requested)}`,
    );
  }
  const outside = new LoreError(
    "invalid_request",
    `path ${JSON.stringify(requested)} is not inside the ingest roots (LORE_INGEST_ROOTS).`,
  );
  const real = await realpath(requested).catch(() => undefined);
  if (!real) {
    // Do not tell a caller outside the roots whether the path exists.
    if (!(await isInside(path.resolve(requested), roots))) throw outside;
    throw new LoreError("invalid_request", `path ${JSON.stringify(requested)} does not exist.`);
  }
  if (!(await isInside(real, roots))) throw outside;
  if (!(await stat(real)).isDirectory()) {
    throw new LoreError("invalid_request", `path ${JSON.stringify(requested)} is not a folder.`);
  }
  return real;
}

async function isInside(candidate: string, roots: readonly string[]): Promise<boolean> {
  for (const root of roots) {
    const realRoot = await realpath(root).catch(() => path.resolve(root));
    const relative = path.relative(realRoot, candidate);
    if (relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative))) return true;
  }
  return false;
}
