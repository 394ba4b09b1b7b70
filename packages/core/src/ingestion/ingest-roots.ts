// Confines folders named over HTTP to the configured ingest roots, after resolving symlinks.
import { readlink, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { LoreError } from "../errors";

/**
 * The real path of `requested` when it is a folder inside one of `roots`; otherwise an
 * invalid_request error. Only metadata is touched (realpath, stat): no file is read. `refusal`
 * adds a caller's own rule on where the path leads (another collection's folder), checked, like
 * the roots, before its existence is told.
 */
export async function resolveIngestPath(
  requested: string,
  roots: readonly string[],
  refusal?: (real: string) => LoreError | undefined,
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
  // Placed before existence is told, so a caller learns nothing about what lies outside the
  // roots, not even through a symlink inside them.
  const { real, exists } = await realLocation(requested);
  const refused = refusal?.(real);
  if (refused) throw refused;
  if (!(await isInside(real, roots))) throw outside;
  if (!exists) {
    throw new LoreError("invalid_request", `path ${JSON.stringify(requested)} does not exist.`);
  }
  if (!(await stat(real)).isDirectory()) {
    throw new LoreError("invalid_request", `path ${JSON.stringify(requested)} is not a folder.`);
  }
  return real;
}

/** Symlinks followed before giving up, as the kernel's own limit (ELOOP). */
const MAX_SYMLINK_HOPS = 40;

/**
 * Where an absolute path is, or would be, once symlinks are resolved: its real path when it
 * exists; else its deepest existing ancestor's real path (a dangling symlink's target followed)
 * joined with the missing rest. A missing path behind a symlink that leaves the roots is then
 * outside them, exactly as an existing one would be.
 */
async function realLocation(absolute: string): Promise<{ real: string; exists: boolean }> {
  let existing = path.resolve(absolute);
  let rest: string[] = [];
  for (let hops = 0; hops <= MAX_SYMLINK_HOPS; ) {
    const real = await realpath(existing).catch(() => undefined);
    if (real) return { real: path.join(real, ...rest), exists: rest.length === 0 };
    const target = await readlink(existing).catch(() => undefined);
    if (target !== undefined) {
      hops += 1;
      existing = path.resolve(path.dirname(existing), target);
      continue;
    }
    const parent = path.dirname(existing);
    if (parent === existing) break;
    rest = [path.basename(existing), ...rest];
    existing = parent;
  }
  return { real: path.join(existing, ...rest), exists: false };
}

async function isInside(candidate: string, roots: readonly string[]): Promise<boolean> {
  for (const root of roots) {
    const realRoot = await realpath(root).catch(() => path.resolve(root));
    const relative = path.relative(realRoot, candidate);
    if (relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative))) return true;
  }
  return false;
}
