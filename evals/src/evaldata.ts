// Finds the external eval data (../shared/evaldata beside the repo, or LORE_EVALDATA_DIR) and unpacks a slice into a cache once.
import { execFile } from "node:child_process";
import { access, mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Unpacked slices live here, outside git (node_modules is ignored) and reused between runs. */
export const EVALDATA_CACHE = path.join(REPO_ROOT, "node_modules", ".cache", "lore", "evaldata");

/** Where the external data sets are: LORE_EVALDATA_DIR, else ../shared/evaldata from the repo root. */
export function evaldataDir(environment: NodeJS.ProcessEnv = process.env): string {
  const configured = environment.LORE_EVALDATA_DIR?.trim();
  return configured
    ? path.resolve(configured)
    : path.resolve(REPO_ROOT, "..", "shared", "evaldata");
}

export type Located = { dir: string } | { missing: string };

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * The folder of slice `name` (holding `marker`): an unpacked `<name>/` in the data folder, or
 * `<name>.tar.gz` unpacked into the cache (keyed by the archive's size and mtime, so a new
 * archive is unpacked again). Concurrent runs each unpack into a temporary folder and the first
 * rename wins, so none ever reads a half-written slice.
 */
export async function locateSlice(
  name: string,
  marker: string,
  options: { dataDir?: string; cacheDir?: string } = {},
): Promise<Located> {
  const dataDir = options.dataDir ?? evaldataDir();
  const unpacked = path.join(dataDir, name);
  if (await exists(path.join(unpacked, marker))) return { dir: unpacked };
  const archive = path.join(dataDir, `${name}.tar.gz`);
  const info = await stat(archive).catch(() => undefined);
  if (!info?.isFile()) {
    return { missing: `${archive} not found (set LORE_EVALDATA_DIR to the folder holding it)` };
  }
  const cacheDir = options.cacheDir ?? EVALDATA_CACHE;
  const target = path.join(cacheDir, `${name}-${info.size}-${Math.trunc(info.mtimeMs)}`);
  if (await exists(path.join(target, marker))) return { dir: target };
  await mkdir(cacheDir, { recursive: true });
  const scratch = await mkdtemp(path.join(cacheDir, ".unpack-"));
  try {
    await run("tar", ["-xzf", archive, "-C", scratch]);
    const inside = path.join(scratch, name);
    if (!(await exists(path.join(inside, marker)))) {
      return { missing: `${archive} holds no ${name}/${marker}` };
    }
    await rename(inside, target).catch(async (error: unknown) => {
      // Another run unpacked the same archive first: use its copy.
      if (!(await exists(path.join(target, marker)))) throw error;
    });
    return { dir: target };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
