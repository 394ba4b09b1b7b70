// Ingest roots per collection: a folder under a root bound to one collection can be ingested into that collection only.
import { realpath } from "node:fs/promises";
import path from "node:path";
import { LoreError } from "../errors";
import { resolveIngestPath } from "../ingestion/ingest-roots";

/** `shared` roots serve every collection; `byCollection` roots serve only theirs. */
export interface IngestRoots {
  shared: readonly string[];
  byCollection: Readonly<Record<string, readonly string[]>>;
}

interface Root {
  real: string;
  /** Undefined: shared. */
  collection?: string;
}

async function realRoots(roots: IngestRoots): Promise<Root[]> {
  const real = (root: string) => realpath(root).catch(() => path.resolve(root));
  const shared = await Promise.all(roots.shared.map(async (root) => ({ real: await real(root) })));
  const bound = await Promise.all(
    Object.entries(roots.byCollection).flatMap(([collection, list]) =>
      list.map(async (root) => ({ real: await real(root), collection })),
    ),
  );
  return [...shared, ...bound];
}

function contains(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** The root nearest to `candidate` decides: roots bound to other collections win over shared ones above them. */
function ownedElsewhere(roots: readonly Root[], candidate: string, collection: string): boolean {
  let nearest: Root | undefined;
  for (const root of roots) {
    if (!contains(root.real, candidate)) continue;
    const closer = !nearest || root.real.length > nearest.real.length;
    const tieWon =
      nearest && root.real.length === nearest.real.length && root.collection === collection;
    if (closer || tieWon) nearest = root;
  }
  return nearest?.collection !== undefined && nearest.collection !== collection;
}

/**
 * The real path of `requested` when it is a folder `collection` may ingest: inside a shared root
 * or one bound to it, and not under a root bound to another collection. Checked on the path as
 * given and where its symlinks lead before its existence is told, so another collection's
 * folders do not reveal what exists in them.
 */
export async function resolveCollectionFolder(
  requested: string,
  collection: string,
  roots: IngestRoots,
): Promise<string> {
  const all = await realRoots(roots);
  const refused = new LoreError(
    "invalid_request",
    `path ${JSON.stringify(requested)} is not inside the ingest roots of collection "${collection}".`,
  );
  // As given, then where symlinks lead, whether or not the path exists: another collection's
  // folders must not reveal what is in them, not even through a symlink into them.
  if (path.isAbsolute(requested) && ownedElsewhere(all, path.resolve(requested), collection)) {
    throw refused;
  }
  const allowed = [...roots.shared, ...(roots.byCollection[collection] ?? [])];
  return resolveIngestPath(requested, allowed, (real) =>
    ownedElsewhere(all, real, collection) ? refused : undefined,
  );
}
