// The git kind: a bare clone in the data directory, fetched each sync; ingests the files changed since the last synced commit.
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import path from "node:path";
import { documents } from "@lore/db";
import { and, eq, inArray, sql } from "drizzle-orm";
import picomatch from "picomatch";
import { findCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { ingestFolder } from "../ingestion/ingest-folder";
import { deleteDocument } from "../ingestion/put-document";
import type { IngestSummary } from "../ingestion/schemas";
import { DEFAULT_GIT_TIMEOUT_MS, runGit } from "./git";
import { gitDocumentUrl } from "./link-url";
import type { GitSourceConfig } from "./schemas";
import { resolveSecret } from "./secrets";
import type { SourceSyncContext } from "./sync-options";

const SYNC_REF = "refs/lore/sync";
const SYNCED_REF = "refs/lore/synced";

interface Change {
  status: "changed" | "deleted";
  /** Path in the repository. */
  file: string;
}

export async function syncGitSource(
  context: LoreContext,
  source: { id: string; collection: string; config: GitSourceConfig; lastSyncedRef: string | null },
  sync: SourceSyncContext,
): Promise<{ summary: IngestSummary; ref: string }> {
  const { config } = source;
  if (!sync.dataDir) {
    throw new LoreError("internal", "A git source's sync needs the data directory (its clone).");
  }
  const gitDir = path.join(sync.dataDir, "sources", `${source.id}.git`);
  const token = config.token ? resolveSecret(config.token, "token") : undefined;
  const git = (
    args: string[],
    extra: { input?: string; workTree?: string; env?: Record<string, string> } = {},
  ) =>
    runGit(args, {
      gitDir,
      timeoutMs: sync.gitTimeoutMs ?? DEFAULT_GIT_TIMEOUT_MS,
      ...(sync.signal ? { signal: sync.signal } : {}),
      ...(token ? { token } : {}),
      ...extra,
    });
  if (!(await stat(gitDir).catch(() => undefined))) {
    await mkdir(gitDir, { recursive: true });
    await git(["init", "--bare", "--quiet"]);
  }
  // The URL is given on the command line rather than stored as a remote, after `--`.
  await git([
    "fetch",
    "--quiet",
    "--no-tags",
    "--force",
    "--",
    config.url,
    `+${config.ref}:${SYNC_REF}`,
  ]);
  const head = (await git(["rev-parse", "--verify", `${SYNC_REF}^{commit}`])).toString().trim();
  const previous =
    source.lastSyncedRef &&
    (await git(["cat-file", "-e", `${source.lastSyncedRef}^{commit}`]).then(
      () => true,
      () => false,
    ))
      ? source.lastSyncedRef
      : undefined;
  const subPath = config.subPath?.replace(/\/+$/, "") ?? "";
  // Literal: a sub-path is a folder name, never pathspec magic or a glob.
  const scope = subPath ? [`:(literal)${subPath}`] : [];
  const changes: Change[] = previous
    ? parseNameStatus(
        await git(["diff", "--name-status", "--no-renames", "-z", previous, head, "--", ...scope]),
      )
    : splitNul(await git(["ls-tree", "-r", "-z", "--name-only", head, "--", ...scope])).map(
        (file) => ({ status: "changed" as const, file }),
      );
  const relative = (file: string) => (subPath ? file.slice(subPath.length + 1) : file);
  const wanted = fileFilter(config);
  const inScope = changes.filter(
    (change) =>
      (!subPath || change.file.startsWith(`${subPath}/`)) && wanted(relative(change.file)),
  );
  const changed = inScope
    .filter((change) => change.status === "changed")
    .map((change) => change.file);
  const deleted = inScope
    .filter((change) => change.status === "deleted")
    .map((change) => change.file);

  const workTree = await mkdtemp(path.join(path.dirname(gitDir), `${source.id}.work-`));
  try {
    if (changed.length > 0) {
      await git(["checkout", "--force", head, "--pathspec-from-file=-", "--pathspec-file-nul"], {
        workTree,
        env: { GIT_INDEX_FILE: path.join(workTree, ".lore-index") },
        input: changed.map((file) => `:(literal)${file}`).join("\0"),
      });
    }
    const root = subPath ? path.join(workTree, subPath) : workTree;
    await mkdir(root, { recursive: true });
    const summary = await ingestFolder(context, root, {
      ...sync.ingest,
      collection: source.collection,
      sync: false,
      ...(config.include ? { include: config.include } : {}),
      ...(config.exclude ? { exclude: config.exclude } : {}),
      ...(sync.signal ? { signal: sync.signal } : {}),
      ...(sync.onProgress ? { onProgress: sync.onProgress } : {}),
    });
    for (const file of deleted) {
      sync.signal?.throwIfAborted();
      const removed = await deleteDocument(context, source.collection, relative(file)).catch(
        (error: unknown) => {
          if (error instanceof LoreError && error.code === "not_found") return undefined;
          throw error;
        },
      );
      if (!removed) continue;
      summary.documents.deleted += 1;
      summary.chunks.deleted += removed.chunksDeleted;
    }
    await setDocumentUrls(context, source.collection, changed, (file) => ({
      source: relative(file),
      url: gitDocumentUrl(config, head, file),
    }));
    await git(["update-ref", SYNCED_REF, head]);
    return { summary, ref: head };
  } finally {
    await rm(workTree, { recursive: true, force: true });
  }
}

/** Records each written document's link back; rows whose link is already right are not touched. */
export async function setDocumentUrls(
  context: LoreContext,
  collectionName: string,
  items: readonly string[],
  linkOf: (item: string) => { source: string; url: string | undefined },
): Promise<void> {
  const collection = await findCollection(context, collectionName);
  if (!collection || items.length === 0) return;
  const links = items.map(linkOf);
  const byUrl = new Map<string | null, string[]>();
  for (const link of links) {
    const key = link.url ?? null;
    byUrl.set(key, [...(byUrl.get(key) ?? []), link.source]);
  }
  for (const [url, sources] of byUrl) {
    for (let start = 0; start < sources.length; start += 1000) {
      await context.db
        .update(documents)
        .set({ url })
        .where(
          and(
            eq(documents.collectionId, collection.id),
            inArray(documents.source, sources.slice(start, start + 1000)),
            sql`${documents.url} IS DISTINCT FROM ${url}`,
          ),
        );
    }
  }
}

function fileFilter(config: GitSourceConfig): (file: string) => boolean {
  const included =
    config.include && config.include.length > 0
      ? picomatch(config.include, { dot: true })
      : () => true;
  const excluded =
    config.exclude && config.exclude.length > 0
      ? picomatch(config.exclude, { dot: true })
      : () => false;
  return (file) => included(file) && !excluded(file);
}

function splitNul(output: Buffer): string[] {
  return output
    .toString("utf8")
    .split("\0")
    .filter((entry) => entry !== "");
}

/** `git diff --name-status -z`: a status, then its path, NUL-separated (renames are off). */
function parseNameStatus(output: Buffer): Change[] {
  const fields = splitNul(output);
  const changes: Change[] = [];
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const status = fields[index] ?? "";
    const file = fields[index + 1] ?? "";
    changes.push({ status: status.startsWith("D") ? "deleted" : "changed", file });
  }
  return changes;
}
