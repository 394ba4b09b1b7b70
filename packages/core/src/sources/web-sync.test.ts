import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Database, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import {
  createLocalEmbedder,
  createRecordingEmbedder,
  type RecordingEmbedder,
} from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoreContext } from "../context";
import { processNextIngestJob } from "../jobs/process-job";
import { search } from "../retrieval/search";
import { guardedFetch } from "./guarded-fetch";
import type { SourceSyncSummary } from "./schemas";
import { createSource, syncSource } from "./sources";

let database: Database;
let embedder: RecordingEmbedder;
let context: LoreContext;
let server: Server;
let origin: string;
const requests: { path: string; status: number }[] = [];

const page = (title: string, body: string, links: string[] = []) =>
  `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>${body}</p>${links
    .map((link) => `<a href="${link}">${link}</a>`)
    .join(" ")}</body></html>`;

const site = new Map<string, string>();
function resetSite(): void {
  site.clear();
  site.set(
    "/docs/",
    page("Docs home", "Start here for the team handbook.", ["a.html", "b.html", "/outside.html"]),
  );
  site.set(
    "/docs/a.html",
    page("Deploys", "Deploys happen on Tuesdays after the freeze lifts.", ["b.html"]),
  );
  site.set(
    "/docs/b.html",
    page("Pager", "The pager rotates every Monday at nine.", ["private/x.html"]),
  );
  site.set("/docs/c.html", page("Laptops", "Laptops are replaced every three years."));
  site.set("/docs/private/x.html", page("Private", "Salaries are secret."));
  site.set("/outside.html", page("Outside", "Not part of the docs."));
  site.set("/robots.txt", "User-agent: *\nDisallow: /docs/private/\n");
}

function sitemap(): string {
  const locs = [
    "/docs/a.html",
    "/docs/b.html",
    "/docs/c.html",
    "/docs/private/x.html",
    "/outside.html",
    "/docs/away.html",
  ]
    .filter((path) => site.has(path) || path === "/docs/away.html")
    .map((path) => `<url><loc>${origin}${path}</loc></url>`)
    .join("");
  return `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${locs}</urlset>`;
}

beforeAll(async () => {
  database = await createTestDatabase();
  embedder = createRecordingEmbedder(createLocalEmbedder());
  context = { db: database.db, embedder };
  resetSite();
  server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://local");
    const respond = (status: number, body = "", headers: Record<string, string> = {}) => {
      requests.push({ path: url.pathname, status });
      response.writeHead(status, headers).end(body);
    };
    if (url.pathname === "/docs/away.html") {
      // Another host name for this very server: outside the prefix, and loopback.
      return respond(302, "", {
        location: `http://localhost:${(server.address() as AddressInfo).port}/docs/a.html`,
      });
    }
    const body = url.pathname === "/sitemap.xml" ? sitemap() : site.get(url.pathname);
    if (body === undefined) return respond(404, "missing");
    const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
    if (request.headers["if-none-match"] === etag) return respond(304);
    const type = url.pathname.endsWith(".xml")
      ? "application/xml"
      : url.pathname.endsWith(".txt")
        ? "text/plain"
        : "text/html; charset=utf-8";
    respond(200, body, { etag, "content-type": type });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await database.close();
});

async function runSync(sourceId: string): Promise<SourceSyncSummary> {
  const { jobId } = await syncSource(context, { id: sourceId });
  const outcome = await processNextIngestJob(context, {
    workerId: "web-test",
    leaseMs: 30_000,
    jobId,
  });
  expect(outcome?.error).toBeUndefined();
  const [row] = await queryRows<{ summary: SourceSyncSummary }>(
    database.db,
    sql`SELECT summary FROM ingest_jobs WHERE id = ${jobId}`,
  );
  return row?.summary as SourceSyncSummary;
}

/** Every document and chunk row with its xmin: any write changes it. */
async function rowVersions(collection: string): Promise<string[]> {
  const rows = await queryRows<{ version: string }>(
    database.db,
    sql`SELECT 'doc ' || d.id || ' ' || d.xmin::text AS version FROM documents d JOIN collections k ON k.id = d.collection_id WHERE k.name = ${collection}
        UNION ALL SELECT 'chunk ' || c.id || ' ' || c.xmin::text FROM chunks c JOIN collections k ON k.id = c.collection_id WHERE k.name = ${collection} ORDER BY 1`,
  );
  return rows.map((row) => row.version);
}

async function documentsOf(collection: string): Promise<{ source: string; url: string | null }[]> {
  return queryRows(
    database.db,
    sql`SELECT d.source, d.url FROM documents d JOIN collections k ON k.id = d.collection_id
        WHERE k.name = ${collection} ORDER BY d.source`,
  );
}

describe("a web source", () => {
  it("syncs a sitemap within its prefix and robots.txt; a re-sync is all 304s and writes nothing; a vanished page is deleted", async () => {
    resetSite();
    const source = await createSource(context, {
      collection: "site",
      name: "docs-site",
      kind: "web",
      config: {
        url: `${origin}/sitemap.xml`,
        prefix: `${origin}/docs/`,
        allowHosts: ["127.0.0.1"],
        delayMs: 0,
        maxPages: 50,
        concurrency: 2,
        maxBytes: 1_000_000,
        // Generous: this process embeds (CPU-bound) while its own test server answers.
        timeoutMs: 60_000,
        maxRedirects: 3,
      },
    });
    const first = await runSync(source.id);
    expect(first.skipped).toEqual([
      {
        source: `${origin}/docs/away.html`,
        reason: expect.stringContaining("outside the source's prefix"),
      },
      { source: `${origin}/docs/private/x.html`, reason: "disallowed by robots.txt" },
    ]);
    expect(first.documents).toEqual({ added: 3, updated: 0, unchanged: 0, deleted: 0 });
    expect(await documentsOf("site")).toEqual(
      ["a", "b", "c"].map((name) => ({
        source: `${origin}/docs/${name}.html`,
        url: `${origin}/docs/${name}.html`,
      })),
    );
    expect(requests.some((entry) => entry.path.startsWith("/docs/private/"))).toBe(false);
    expect(requests.some((entry) => entry.path === "/outside.html")).toBe(false);

    const found = await search(context, { query: "pager rotates Monday", collection: "site" });
    expect(found.results[0]?.url).toBe(`${origin}/docs/b.html`);

    const before = await rowVersions("site");
    const calls = embedder.calls.length;
    requests.length = 0;
    const second = await runSync(source.id);
    expect(second.notModified).toBe(3);
    expect(second.documents).toEqual({ added: 0, updated: 0, unchanged: 3, deleted: 0 });
    expect(
      requests.filter((entry) => entry.path.endsWith(".html") && entry.status === 304),
    ).toHaveLength(3);
    expect(
      requests.filter((entry) => entry.path.endsWith(".html") && entry.status === 200),
    ).toHaveLength(0);
    expect(await rowVersions("site")).toEqual(before);
    expect(embedder.calls.length).toBe(calls);

    site.delete("/docs/c.html");
    const third = await runSync(source.id);
    expect(third.documents.deleted).toBe(1);
    expect((await documentsOf("site")).map((row) => row.source)).toEqual([
      `${origin}/docs/a.html`,
      `${origin}/docs/b.html`,
    ]);
  }, 180_000);

  it("crawls links from a start page; a 304 still follows the page's stored links", async () => {
    resetSite();
    const source = await createSource(context, {
      collection: "crawl",
      name: "docs-crawl",
      kind: "web",
      config: { url: `${origin}/docs/`, allowHosts: ["127.0.0.1"], delayMs: 0, timeoutMs: 60_000 },
    });
    const first = await runSync(source.id);
    expect((await documentsOf("crawl")).map((row) => row.source)).toEqual([
      `${origin}/docs/`,
      `${origin}/docs/a.html`,
      `${origin}/docs/b.html`,
    ]);
    expect(first.skipped).toEqual([
      { source: `${origin}/docs/private/x.html`, reason: "disallowed by robots.txt" },
    ]);
    const second = await runSync(source.id);
    expect(second.notModified).toBe(3);
    expect(second.documents.deleted).toBe(0);
  }, 180_000);

  it("refuses loopback and private addresses unless the host is allowed, including after a redirect", async () => {
    const source = await createSource(context, {
      collection: "ssrf",
      name: "no-internal",
      kind: "web",
      config: { url: `${origin}/docs/`, delayMs: 0 },
    });
    const { jobId } = await syncSource(context, { id: source.id });
    await processNextIngestJob(context, { workerId: "web-test", leaseMs: 30_000, jobId });
    const [row] = await queryRows<{ summary: SourceSyncSummary }>(
      database.db,
      sql`SELECT summary FROM ingest_jobs WHERE id = ${jobId}`,
    );
    expect(row?.summary.documents.added).toBe(0);
    expect(row?.summary.skipped).toEqual([
      { source: `${origin}/docs/`, reason: expect.stringContaining("private or local address") },
    ]);
    // Allowed 127.0.0.1 redirects to localhost, which is not allowed: refused at the hop.
    const options = {
      allowHosts: ["127.0.0.1"],
      timeoutMs: 5000,
      maxBytes: 100_000,
      maxRedirects: 3,
    };
    await expect(guardedFetch(`${origin}/docs/away.html`, options)).rejects.toThrow(
      /private or local address/,
    );
    await expect(guardedFetch("http://10.1.2.3/", { ...options, allowHosts: [] })).rejects.toThrow(
      /private or local address/,
    );
    await expect(
      guardedFetch("http://169.254.169.254/latest/meta-data/", { ...options, allowHosts: [] }),
    ).rejects.toThrow(/private or local address/);
    await expect(
      guardedFetch(`${origin}/docs/a.html`, { ...options, maxBytes: 50 }),
    ).rejects.toThrow(/larger than/);
  });
});
