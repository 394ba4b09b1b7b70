// The web kind: crawl from a start page or a sitemap within a prefix, honour robots.txt, 304s write nothing, vanished pages deleted.
import { setTimeout as sleep } from "node:timers/promises";
import { documents, sourcePages } from "@lore/db";
import { and, eq, like } from "drizzle-orm";
import pLimit from "p-limit";
import { findCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { deleteDocument, putDocument } from "../ingestion/put-document";
import type { IngestSummary } from "../ingestion/schemas";
import { setDocumentUrls } from "./git-sync";
import { type FetchedPage, guardedFetch } from "./guarded-fetch";
import type { WebSourceConfig } from "./schemas";
import { resolveSecret } from "./secrets";
import type { SourceSyncContext } from "./sync-options";

const USER_AGENT = "LoreBot/1.0 (+https://github.com/lore; source sync)";
const MIME_BY_TYPE: Record<string, string> = {
  "text/html": "text/html",
  "application/xhtml+xml": "text/html",
  "text/markdown": "text/markdown",
  "text/plain": "text/plain",
};

/** The prefix a source stays within: its own, or the start URL's folder. */
export function webPrefix(config: WebSourceConfig): string {
  if (config.prefix) return config.prefix;
  const start = new URL(config.url);
  return new URL(".", start).href;
}

function canonical(url: URL): string {
  const copy = new URL(url.href);
  copy.hash = "";
  return copy.href;
}

export async function syncWebSource(
  context: LoreContext,
  source: { id: string; collection: string; config: WebSourceConfig },
  sync: SourceSyncContext,
): Promise<{ summary: IngestSummary; notModified: number }> {
  const started = performance.now();
  const { config } = source;
  const prefix = webPrefix(config);
  const inPrefix = (url: URL) => url.href.startsWith(prefix);
  const token = config.token ? resolveSecret(config.token, "token") : undefined;
  const headers: Record<string, string> = {
    "user-agent": sync.web?.userAgent ?? USER_AGENT,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const fetchPage = (url: string, extra: Record<string, string> = {}): Promise<FetchedPage> =>
    guardedFetch(url, {
      allowHosts: config.allowHosts ?? [],
      timeoutMs: config.timeoutMs,
      maxBytes: config.maxBytes,
      maxRedirects: config.maxRedirects,
      headers: { ...headers, ...extra },
      allowUrl: inPrefix,
      ...(sync.signal ? { signal: sync.signal } : {}),
    });
  const summary: IngestSummary = {
    collection: source.collection,
    documents: { added: 0, updated: 0, unchanged: 0, deleted: 0 },
    chunks: { added: 0, deleted: 0 },
    textsEmbedded: 0,
    skipped: [],
    ms: 0,
  };
  const robots = await robotsRules(new URL(config.url).origin, fetchPage);
  const stored = new Map(
    (await context.db.select().from(sourcePages).where(eq(sourcePages.sourceId, source.id))).map(
      (row) => [row.url, row],
    ),
  );
  const start = new URL(config.url);
  const sitemap = /sitemap[^/]*\.xml$/i.test(start.pathname);
  const queue: string[] = [];
  const queued = new Set<string>();
  let truncated = false;
  const enqueue = (raw: string, base?: URL) => {
    const url = URL.parse(raw, base?.href);
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) return;
    const href = canonical(url);
    if (queued.has(href) || !inPrefix(url)) return;
    if (!robots(url)) {
      queued.add(href);
      summary.skipped.push({ source: href, reason: "disallowed by robots.txt" });
      return;
    }
    if (queue.length >= config.maxPages) {
      truncated = true;
      return;
    }
    queued.add(href);
    queue.push(href);
  };
  if (sitemap) {
    for (const loc of await sitemapPages(config.url, fetchPage)) enqueue(loc);
  } else enqueue(config.url);

  const seen = new Set<string>();
  const changed: string[] = [];
  let notModified = 0;
  let failed = 0;
  const progress = () =>
    sync.onProgress?.({
      filesSeen: queue.length,
      filesProcessed: seen.size,
      filesSkipped: summary.skipped.length,
      filesFailed: failed,
      chunksEmbedded: summary.textsEmbedded,
      chunksWritten: summary.chunks.added,
    });
  const limit = pLimit(config.concurrency);
  const visit = async (url: string): Promise<void> => {
    sync.signal?.throwIfAborted();
    if (config.delayMs > 0) await sleep(config.delayMs, undefined, { signal: sync.signal });
    const previous = stored.get(url);
    const conditional: Record<string, string> = {};
    if (previous?.etag) conditional["if-none-match"] = previous.etag;
    if (previous?.lastModified) conditional["if-modified-since"] = previous.lastModified;
    let page: FetchedPage;
    try {
      page = await fetchPage(url, conditional);
    } catch (error) {
      sync.signal?.throwIfAborted();
      failed += 1;
      // A page that cannot be fetched now is kept: only a 404 or 410 says it is gone.
      if (previous) seen.add(url);
      summary.skipped.push({ source: url, reason: (error as Error).message });
      return;
    }
    if (page.status === 304 && previous) {
      seen.add(url);
      notModified += 1;
      summary.documents.unchanged += 1;
      if (!sitemap) for (const link of previous.links) enqueue(link);
      return;
    }
    if (page.status === 404 || page.status === 410) return;
    if (page.status !== 200) {
      if (previous) seen.add(url);
      failed += 1;
      summary.skipped.push({ source: url, reason: `HTTP ${page.status}` });
      return;
    }
    seen.add(url);
    const type =
      String(page.headers["content-type"] ?? "text/html")
        .split(";")[0]
        ?.trim() ?? "";
    const mimeType = MIME_BY_TYPE[type.toLowerCase()];
    const links =
      mimeType === "text/html" && !sitemap ? pageLinks(page.body, new URL(page.url)) : [];
    for (const link of links) enqueue(link);
    if (!mimeType) {
      summary.skipped.push({ source: url, reason: `unsupported content type ${type}` });
    } else {
      try {
        const written = await putDocument(context, source.collection, {
          source: url,
          content: page.body,
          mimeType: mimeType === "text/plain" ? "text/markdown" : mimeType,
        });
        summary.documents[written.outcome] += 1;
        summary.textsEmbedded += written.textsEmbedded;
        if (written.outcome !== "unchanged") {
          summary.chunks.added += written.chunks;
          changed.push(url);
        }
      } catch (error) {
        if (!(error instanceof LoreError) || error.code !== "invalid_request") throw error;
        summary.skipped.push({ source: url, reason: error.message });
      }
    }
    const validators = {
      etag: headerOf(page, "etag"),
      lastModified: headerOf(page, "last-modified"),
      links: links.filter((link) => URL.canParse(link)),
    };
    await context.db
      .insert(sourcePages)
      .values({ sourceId: source.id, url, ...validators })
      .onConflictDoUpdate({
        target: [sourcePages.sourceId, sourcePages.url],
        set: { ...validators, fetchedAt: new Date() },
      });
    progress();
  };
  // The queue grows while pages are read (links): run until no visit is pending.
  const running = new Set<Promise<void>>();
  for (let next = 0; next < queue.length || running.size > 0; ) {
    while (next < queue.length) {
      const url = queue[next] as string;
      next += 1;
      const task: Promise<void> = limit(() => visit(url)).finally(() => running.delete(task));
      running.add(task);
    }
    if (running.size > 0) await Promise.race(running);
  }
  await setDocumentUrls(context, source.collection, changed, (url) => ({ source: url, url }));
  if (!truncated) {
    const removed = await deleteVanished(context, source, prefix, seen);
    summary.documents.deleted += removed.documents;
    summary.chunks.deleted += removed.chunks;
  }
  summary.skipped.sort((left, right) => (left.source < right.source ? -1 : 1));
  summary.ms = Math.round(performance.now() - started);
  progress();
  return { summary, notModified };
}

/** On a full crawl, the documents under the prefix that no page answered for are deleted. */
async function deleteVanished(
  context: LoreContext,
  source: { id: string; collection: string },
  prefix: string,
  seen: ReadonlySet<string>,
): Promise<{ documents: number; chunks: number }> {
  const collection = await findCollection(context, source.collection);
  if (!collection) return { documents: 0, chunks: 0 };
  const escaped = prefix.replace(/[\\%_]/g, (character) => `\\${character}`);
  const rows = await context.db
    .select({ source: documents.source })
    .from(documents)
    .where(and(eq(documents.collectionId, collection.id), like(documents.source, `${escaped}%`)));
  let documentCount = 0;
  let chunkCount = 0;
  for (const row of rows) {
    if (seen.has(row.source)) continue;
    const removed = await deleteDocument(context, source.collection, row.source);
    documentCount += 1;
    chunkCount += removed.chunksDeleted;
    await context.db
      .delete(sourcePages)
      .where(and(eq(sourcePages.sourceId, source.id), eq(sourcePages.url, row.source)));
  }
  return { documents: documentCount, chunks: chunkCount };
}

function headerOf(page: FetchedPage, name: string): string | null {
  const value = page.headers[name];
  return typeof value === "string" ? value : null;
}

/** The `href`s of a page's links, resolved against it, without fragments. */
function pageLinks(html: string, base: URL): string[] {
  const links = new Set<string>();
  for (const match of html.matchAll(/<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
    const raw = match[1] ?? match[2] ?? match[3] ?? "";
    const url = URL.parse(raw.replaceAll("&amp;", "&"), base.href);
    if (url) links.add(canonical(url));
  }
  return [...links];
}

/** A sitemap's page URLs; a sitemap index's sitemaps are read one level deep. */
async function sitemapPages(
  url: string,
  fetchPage: (url: string) => Promise<FetchedPage>,
  depth = 0,
): Promise<string[]> {
  const page = await fetchPage(url);
  if (page.status !== 200) {
    throw new LoreError("invalid_request", `The sitemap ${url} answered HTTP ${page.status}.`);
  }
  const locs = [...page.body.matchAll(/<loc>\s*([^<\s]+)\s*<\/loc>/gi)].map((match) =>
    (match[1] ?? "").replaceAll("&amp;", "&"),
  );
  if (/<sitemapindex/i.test(page.body) && depth === 0) {
    const nested = await Promise.all(locs.map((loc) => sitemapPages(loc, fetchPage, depth + 1)));
    return nested.flat();
  }
  return locs;
}

/**
 * robots.txt for Lore: the group naming `lorebot`, else `*`; the longest matching Allow or
 * Disallow prefix wins (`*` and `$` patterns supported). No robots.txt allows everything.
 */
async function robotsRules(
  origin: string,
  fetchPage: (url: string) => Promise<FetchedPage>,
): Promise<(url: URL) => boolean> {
  const page = await fetchPage(`${origin}/robots.txt`).catch(() => undefined);
  if (page?.status !== 200) return () => true;
  const groups = new Map<string, { allow: boolean; pattern: string }[]>();
  let agents: string[] = [];
  let inRules = false;
  for (const raw of page.body.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, "").trim();
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const field = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (field === "user-agent") {
      if (inRules) agents = [];
      inRules = false;
      agents.push(value.toLowerCase());
      for (const agent of agents) if (!groups.has(agent)) groups.set(agent, []);
    } else if (field === "allow" || field === "disallow") {
      inRules = true;
      if (field === "disallow" && value === "") continue;
      for (const agent of agents)
        groups.get(agent)?.push({ allow: field === "allow", pattern: value });
    }
  }
  const rules = groups.get("lorebot") ?? groups.get("*") ?? [];
  const compiled = rules.map((rule) => ({
    ...rule,
    regex: new RegExp(
      `^${rule.pattern
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")
        .replace(/\\\$$/, "$")}`,
    ),
  }));
  return (url) => {
    const target = url.pathname + url.search;
    let best: { allow: boolean; length: number } | undefined;
    for (const rule of compiled) {
      if (!rule.regex.test(target)) continue;
      if (
        !best ||
        rule.pattern.length > best.length ||
        (rule.pattern.length === best.length && rule.allow)
      ) {
        best = { allow: rule.allow, length: rule.pattern.length };
      }
    }
    return best?.allow ?? true;
  };
}
