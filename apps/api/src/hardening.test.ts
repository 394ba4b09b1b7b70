import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createApiKey,
  enqueueIngestJob,
  ingestFolder,
  type LoreContext,
  SAMPLE_DOCS_DIR,
} from "@lore/core";
import { type Database, queries } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./app";
import { rowCounts } from "./testing";

let database: Database;
let context: LoreContext;
let root: string;
let locked: ReturnType<typeof createApp>;
let open: ReturnType<typeof createApp>;
let adminKey: string;
let handbookKey: string;

beforeAll(async () => {
  database = await createTestDatabase();
  context = { db: database.db, embedder: createLocalEmbedder() };
  await ingestFolder(context, `${SAMPLE_DOCS_DIR}/policies`, { collection: "handbook" });
  root = await mkdtemp(path.join(tmpdir(), "lore-hardening-"));
  for (const folder of ["shared", "people-docs", "handbook-docs"]) {
    await mkdir(path.join(root, folder));
    await writeFile(path.join(root, folder, "a.md"), `# ${folder}\n\nText.\n`);
  }
  await mkdir(path.join(root, "people-docs", "reviews"));
  // A link in the shared root into people's folder: what lies behind it is people's alone.
  await symlink(path.join(root, "people-docs"), path.join(root, "shared", "to-people"));
  const roots = {
    ingestRoots: [root],
    collectionIngestRoots: {
      people: [path.join(root, "people-docs")],
      handbook: [path.join(root, "handbook-docs")],
    },
  };
  locked = createApp({
    context,
    logger: pino({ level: "silent" }),
    auth: "required",
    failedAuthPerMinute: 3,
    ...roots,
  });
  open = createApp({ context, logger: pino({ level: "silent" }), ...roots });
  adminKey = (await createApiKey({ db: database.db }, { name: "ops", scopes: ["admin"] })).key;
  handbookKey = (
    await createApiKey(
      { db: database.db },
      {
        name: "handbook-only",
        scopes: ["ask", "search", "ingest"],
        collections: ["handbook"],
      },
    )
  ).key;
  await database.db.insert(queries).values([
    {
      id: "qry_people",
      collection: "people",
      question: "q",
      answer: "a",
      abstained: false,
      mode: "extractive",
    },
    {
      id: "qry_handbook",
      collection: "handbook",
      question: "q",
      answer: "a",
      abstained: false,
      mode: "extractive",
    },
  ]);
});
afterAll(async () => {
  await database.close();
  await rm(root, { recursive: true, force: true });
});

const send = (
  app: ReturnType<typeof createApp>,
  target: string,
  options: {
    method?: string;
    key?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
    address?: string;
  } = {},
) => {
  const body =
    options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return app.request(
    target,
    {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers: {
        "content-type": "application/json",
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...options.headers,
      },
      ...(body === undefined ? {} : { body }),
    },
    // What @hono/node-server passes: the peer address the failed-auth limit counts by.
    options.address ? { incoming: { socket: { remoteAddress: options.address } } } : undefined,
  );
};

describe("DNS rebinding and cross-site requests with auth off", () => {
  it("refuses a foreign Host with 403 and queues nothing", async () => {
    const before = await rowCounts(database.db);
    const response = await send(open, "/v1/ingest-jobs", {
      body: { collection: "docs", path: path.join(root, "shared") },
      headers: { host: "attacker.example" },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ code: "forbidden" });
    const search = await send(open, "/v1/search", {
      body: { query: "hotel", collection: "handbook" },
      headers: { host: "attacker.example:3000" },
    });
    expect(search.status).toBe(403);
    expect((await send(open, "/", { headers: { host: "attacker.example" } })).status).toBe(403);
    expect(await rowCounts(database.db)).toEqual(before);
  });

  it("refuses a request from a web page on another site, even to localhost", async () => {
    const response = await send(open, "/v1/search", {
      body: { query: "hotel", collection: "handbook" },
      headers: { host: "127.0.0.1:3000", origin: "https://attacker.example" },
    });
    expect(response.status).toBe(403);
    const sandboxed = await send(open, "/v1/search", {
      body: { query: "hotel", collection: "handbook" },
      headers: { host: "localhost:3000", origin: "null" },
    });
    expect(sandboxed.status).toBe(403);
  });

  it("serves loopback names with any port, without Origin (curl) or from its own page", async () => {
    for (const host of [
      "localhost:3000",
      "127.0.0.1",
      "127.8.9.10:80",
      "[::1]:3000",
      "LOCALHOST.",
    ]) {
      const response = await send(open, "/v1/search", {
        body: { query: "hotel", collection: "handbook" },
        headers: { host },
      });
      expect(response.status, host).toBe(200);
    }
    const page = await send(open, "/v1/search", {
      body: { query: "hotel", collection: "handbook" },
      headers: { host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000" },
    });
    expect(page.status).toBe(200);
  });

  it("serves the names in LORE_ALLOWED_HOSTS and pages from LORE_CORS_ORIGINS", async () => {
    const widened = createApp({
      context,
      logger: pino({ level: "silent" }),
      allowedHosts: ["lore.internal"],
      corsOrigins: ["https://intranet.example.com"],
    });
    const ok = await send(widened, "/v1/collections", { headers: { host: "lore.internal:8080" } });
    expect(ok.status).toBe(200);
    const fromIntranet = await send(widened, "/v1/collections", {
      headers: { host: "lore.internal", origin: "https://intranet.example.com" },
    });
    expect(fromIntranet.status).toBe(200);
    const other = await send(widened, "/v1/collections", { headers: { host: "other.internal" } });
    expect(other.status).toBe(403);
  });

  it("does not check Host when every request needs a key", async () => {
    const response = await send(locked, "/v1/collections", {
      key: adminKey,
      headers: { host: "lore.example.com", origin: "https://lore.example.com" },
    });
    expect(response.status).toBe(200);
  });
});

describe("malformed text answers 400 and writes nothing", () => {
  const NUL = "a\u0000b";
  const LONE = "a\uD800b";
  const document = { source: "notes/x.md", content: "# X\n\nText." };
  const probes: [string, string, string, unknown][] = [
    ["ask question", "POST", "/v1/ask", { question: NUL, collection: "handbook" }],
    [
      "ask pathPrefix",
      "POST",
      "/v1/ask",
      { question: "hotel?", collection: "handbook", filters: { pathPrefix: NUL } },
    ],
    [
      "ask tag",
      "POST",
      "/v1/ask",
      { question: "hotel?", collection: "handbook", filters: { tags: [NUL] } },
    ],
    [
      "ask history",
      "POST",
      "/v1/ask",
      { question: "and?", collection: "handbook", history: [{ role: "user", content: NUL }] },
    ],
    ["search query", "POST", "/v1/search", { query: NUL, collection: "handbook" }],
    [
      "search pathPrefix",
      "POST",
      "/v1/search",
      { query: "hotel", collection: "handbook", filters: { pathPrefix: NUL } },
    ],
    [
      "search tag",
      "POST",
      "/v1/search",
      { query: "hotel", collection: "handbook", filters: { tags: [NUL] } },
    ],
    ["search lone surrogate", "POST", "/v1/search", { query: LONE, collection: "handbook" }],
    ["put content", "PUT", "/v1/collections/handbook/documents", { ...document, content: NUL }],
    ["put title", "PUT", "/v1/collections/handbook/documents", { ...document, title: NUL }],
    ["put source", "PUT", "/v1/collections/handbook/documents", { ...document, source: NUL }],
    [
      "put metadata value",
      "PUT",
      "/v1/collections/handbook/documents",
      { ...document, metadata: { note: NUL } },
    ],
    [
      "put metadata key",
      "PUT",
      "/v1/collections/handbook/documents",
      { ...document, metadata: { [NUL]: 1 } },
    ],
    [
      "put metadata lone surrogate",
      "PUT",
      "/v1/collections/handbook/documents",
      { ...document, metadata: { note: LONE } },
    ],
    [
      "put content lone surrogate",
      "PUT",
      "/v1/collections/handbook/documents",
      { ...document, content: `# X\n\n${LONE}` },
    ],
    ["feedback queryId", "POST", "/v1/feedback", { queryId: NUL, rating: "up" }],
    [
      "feedback comment",
      "POST",
      "/v1/feedback",
      { queryId: "qry_handbook", rating: "up", comment: NUL },
    ],
    ["key name", "POST", "/v1/keys", { name: NUL, scopes: ["search"] }],
    ["key collection", "POST", "/v1/keys", { name: "k", scopes: ["search"], collections: [NUL] }],
    ["ingest path", "POST", "/v1/ingest-jobs", { collection: "handbook", path: `${root}/${NUL}` }],
    ["delete source", "DELETE", "/v1/collections/handbook/documents?source=a%00b", undefined],
    ["revoke id", "DELETE", "/v1/keys/a%00b", undefined],
  ];

  it.each(probes)("%s", async (_name, method, target, body) => {
    const before = await rowCounts(database.db);
    const response = await send(locked, target, { method, key: adminKey, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_request" });
    expect(await rowCounts(database.db)).toEqual(before);
  });

  it("refuses 5,000-deep metadata and metadata over its size limit", async () => {
    const before = await rowCounts(database.db);
    const deep = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`;
    const nested = await send(locked, "/v1/collections/handbook/documents", {
      method: "PUT",
      key: adminKey,
      rawBody: `{"source":"deep.md","content":"# Deep","metadata":${deep}}`,
    });
    expect(nested.status).toBe(400);
    expect(await nested.json()).toMatchObject({ code: "invalid_request" });
    const large = await send(locked, "/v1/collections/handbook/documents", {
      method: "PUT",
      key: adminKey,
      body: { ...document, metadata: { blob: "x".repeat(70 * 1024) } },
    });
    expect(large.status).toBe(400);
    const fine = await send(locked, "/v1/collections/handbook/documents", {
      method: "PUT",
      key: adminKey,
      body: { ...document, source: "notes/nested.md", metadata: { a: { b: { c: [1, 2] } } } },
    });
    expect(fine.status).toBe(200);
    const after = await rowCounts(database.db);
    expect(after.documents).toBe(before.documents + 1);
  });

  it.each([
    "application/pdf",
    "image/png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ])("refuses a document pushed as %s, whose bytes are not text", async (mimeType) => {
    const before = await rowCounts(database.db);
    const response = await send(locked, "/v1/collections/handbook/documents", {
      method: "PUT",
      key: adminKey,
      body: { ...document, source: "manuals/fan.pdf", content: "%PDF-1.7 binary", mimeType },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: "invalid_request",
      detail: expect.stringMatching(/^mimeType: a binary format/),
    });
    expect(await rowCounts(database.db)).toEqual(before);
  });

  it.each([
    [
      "an HTML page of nothing but its site's chrome",
      "text/html",
      "<nav><a href='/'>Home</a></nav><footer>© Fern</footer>",
    ],
    ["a markdown page of nothing but front matter", "text/markdown", "---\ntitle: Empty\n---\n"],
  ])("refuses %s, and creates no collection for it", async (_name, mimeType, content) => {
    const before = await rowCounts(database.db);
    const response = await send(locked, "/v1/collections/brand-new/documents", {
      method: "PUT",
      key: adminKey,
      body: { source: "pages/empty", content, mimeType },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_request" });
    expect(await rowCounts(database.db)).toEqual(before);
  });

  it("refuses a dailyTokenLimit above the column's int4 range", async () => {
    const before = await rowCounts(database.db);
    const response = await send(locked, "/v1/keys", {
      key: adminKey,
      body: { name: "huge", scopes: ["ask"], dailyTokenLimit: 2_147_483_648 },
    });
    expect(response.status).toBe(400);
    expect(await rowCounts(database.db)).toEqual(before);
  });
});

describe("a collection-limited key sees only its collections", () => {
  it("reads another collection's job as missing and does not list it", async () => {
    const theirs = await enqueueIngestJob(
      { db: database.db },
      {
        collection: "people",
        path: path.join(root, "people-docs"),
        sync: false,
      },
    );
    const ours = await enqueueIngestJob(
      { db: database.db },
      {
        collection: "handbook",
        path: path.join(root, "handbook-docs"),
        sync: false,
      },
    );
    const read = await send(locked, `/v1/ingest-jobs/${theirs.id}`, { key: handbookKey });
    expect(read.status).toBe(404);
    const unknown = await send(locked, "/v1/ingest-jobs/job_doesnotexist", { key: handbookKey });
    expect(unknown.status).toBe(404);
    expect((await send(locked, `/v1/ingest-jobs/${ours.id}`, { key: handbookKey })).status).toBe(
      200,
    );
    const listed = (await (await send(locked, "/v1/ingest-jobs", { key: handbookKey })).json()) as {
      jobs: { id: string; collection: string }[];
    };
    expect(listed.jobs.map((job) => job.id)).toContain(ours.id);
    expect(listed.jobs.every((job) => job.collection === "handbook")).toBe(true);
    const all = (await (await send(locked, "/v1/ingest-jobs", { key: adminKey })).json()) as {
      jobs: { id: string }[];
    };
    expect(all.jobs.map((job) => job.id)).toContain(theirs.id);
  });

  it("answers 404 to feedback on another collection's answer and records nothing", async () => {
    const before = await rowCounts(database.db);
    const theirs = await send(locked, "/v1/feedback", {
      key: handbookKey,
      body: { queryId: "qry_people", rating: "down" },
    });
    expect(theirs.status).toBe(404);
    const unknown = await send(locked, "/v1/feedback", {
      key: handbookKey,
      body: { queryId: "qry_nope", rating: "down" },
    });
    expect(((await unknown.json()) as { detail: string }).detail).toMatch(/No answer with queryId/);
    expect(await rowCounts(database.db)).toEqual(before);
    const ours = await send(locked, "/v1/feedback", {
      key: handbookKey,
      body: { queryId: "qry_handbook", rating: "up" },
    });
    expect(ours.status).toBe(201);
  });

  it("cannot ingest another collection's folder, nor learn what is in it", async () => {
    const before = await rowCounts(database.db);
    for (const folder of [
      "people-docs",
      "people-docs/missing",
      "shared/to-people/reviews",
      "shared/to-people/missing",
    ]) {
      const response = await send(locked, "/v1/ingest-jobs", {
        key: handbookKey,
        body: { collection: "handbook", path: path.join(root, folder) },
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { detail: string }).detail).toMatch(
        /not inside the ingest roots of collection "handbook"/,
      );
    }
    expect(await rowCounts(database.db)).toEqual(before);
    const own = await send(locked, "/v1/ingest-jobs", {
      key: handbookKey,
      body: { collection: "handbook", path: path.join(root, "handbook-docs") },
    });
    expect(own.status).toBe(202);
    const shared = await send(locked, "/v1/ingest-jobs", {
      key: handbookKey,
      body: { collection: "handbook", path: path.join(root, "shared") },
    });
    expect(shared.status).toBe(202);
    const theirs = await send(locked, "/v1/ingest-jobs", {
      key: adminKey,
      body: { collection: "people", path: path.join(root, "people-docs") },
    });
    expect(theirs.status).toBe(202);
  });
});

describe("failed authentication", () => {
  it("answers 429 with Retry-After after too many wrong keys from one address, and only there", async () => {
    const wrong = `lore_${"x".repeat(43)}`;
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await send(locked, "/v1/collections", {
        key: wrong,
        address: "203.0.113.7",
      });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(Number(response.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      }
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // The address is refused before any key is looked at, for the rest of the minute.
    const valid = await send(locked, "/v1/collections", { key: adminKey, address: "203.0.113.7" });
    expect(valid.status).toBe(429);
    const elsewhere = await send(locked, "/v1/collections", { key: wrong, address: "203.0.113.8" });
    expect(elsewhere.status).toBe(401);
    const missing = await send(locked, "/v1/collections", { address: "203.0.113.9" });
    expect(missing.status).toBe(401);
  });
});
