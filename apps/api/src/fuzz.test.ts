// Property-based fuzz over every /v1 route's schema: no generated request gets a 5xx, and a refused one writes nothing.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createApiKey, ingestFolder, type LoreContext, SAMPLE_DOCS_DIR } from "@lore/core";
import { type Database, queries } from "@lore/db";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresUrl,
} from "@lore/db/real-postgres";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./app";
import { type RowCounts, rowCounts } from "./testing";

interface FuzzRequest {
  method: string;
  target: string;
  /** A JSON value to send, or raw text (not necessarily JSON). */
  body?: { json: unknown } | { raw: string };
  auth: "admin" | "limited" | "wrong" | "none";
}

// The real Postgres when one is here (CI), as production runs it; PGlite otherwise.
const onRealPostgres = realPostgresUrl() !== undefined;
let real: RealTestDatabase | undefined;
let database: Database;
let app: ReturnType<typeof createApp>;
let root: string;
const keys = { admin: "", limited: "" };
let counts: RowCounts | undefined;
const seen = { requests: 0, refused: 0, byStatus: new Map<number, number>() };

beforeAll(async () => {
  real = onRealPostgres ? await createRealTestDatabase("fuzz", { poolSize: 4 }) : undefined;
  database = real?.database ?? (await createTestDatabase());
  const context: LoreContext = { db: database.db, embedder: createLocalEmbedder() };
  await ingestFolder(context, `${SAMPLE_DOCS_DIR}/policies`, { collection: "handbook" });
  root = await mkdtemp(path.join(tmpdir(), "lore-fuzz-"));
  await mkdir(path.join(root, "docs"));
  await writeFile(path.join(root, "docs", "a.md"), "# A\n\nAlpha.\n");
  app = createApp({
    context,
    logger: pino({ level: "silent" }),
    auth: "required",
    ingestRoots: [root],
    collectionIngestRoots: { people: [path.join(root, "docs")] },
    // Wrong keys are part of the input; the failed-auth limit is tested on its own.
    failedAuthPerMinute: 1_000_000,
  });
  keys.admin = (
    await createApiKey({ db: database.db }, { name: "fuzz-admin", scopes: ["admin"] })
  ).key;
  keys.limited = (
    await createApiKey(
      { db: database.db },
      {
        name: "fuzz-limited",
        scopes: ["ask", "search", "ingest"],
        collections: ["handbook"],
      },
    )
  ).key;
  await database.db.insert(queries).values({
    id: "qry_fuzz",
    collection: "people",
    question: "q",
    answer: "a",
    abstained: false,
    mode: "extractive",
  });
});
afterAll(async () => {
  if (real) await real.drop();
  else await database.close();
  await rm(root, { recursive: true, force: true });
});

// Text that breaks things: any UTF-16 units (NUL, lone surrogates), SQL and path shapes, long runs.
const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
    maxLength: 20,
  }),
  fc.constantFrom(
    "\u0000",
    "a\u0000b",
    "\uD800",
    "x\uDC00",
    "'; DROP TABLE chunks; --",
    "../../etc/passwd",
    "%00",
    "*",
    "handbook",
  ),
  fc.string({ minLength: 900, maxLength: 2100 }),
);
const collection = fc.oneof(
  fc.constantFrom("handbook", "people", "missing", "default"),
  hostileText,
);
const integer = fc.oneof(
  fc.integer({ min: -5, max: 60 }),
  fc.constantFrom(0, 2_147_483_647, 2_147_483_648, -2_147_483_649, Number.MAX_SAFE_INTEGER, 1.5),
);
// Any JSON, nested deeply sometimes: what a client may put where a schema expects something else.
const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileText,
  integer,
  fc.nat({ max: 25 }).map((depth) => {
    let value: unknown = "leaf";
    for (let level = 0; level < depth; level++) value = { a: value };
    return value;
  }),
);
// Nesting far past any limit goes in as text: fast-check cannot print such a value.
const deepRaw = (prefix: string, suffix: string) =>
  fc
    .integer({ min: 20, max: 6000 })
    .map((depth) => ({ raw: `${prefix}${'{"a":'.repeat(depth)}1${"}".repeat(depth)}${suffix}` }));
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const filters = maybe(
  fc.oneof(
    fc.record(
      { pathPrefix: hostileText, tags: fc.array(hostileText, { maxLength: 3 }) },
      { requiredKeys: [] },
    ),
    anyJson,
  ),
);
const withJunk = <T extends object>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary },
    {
      weight: 1,
      arbitrary: fc
        .tuple(arbitrary, hostileText, anyJson)
        .map(([body, key, value]) => ({ ...body, [key]: value })),
    },
    { weight: 1, arbitrary: anyJson },
  );
const jsonBody = (arbitrary: fc.Arbitrary<unknown>, deepAt = '{"x":') =>
  fc.oneof(
    { weight: 18, arbitrary: arbitrary.map((json) => ({ json })) },
    { weight: 1, arbitrary: hostileText.map((raw) => ({ raw })) },
    { weight: 1, arbitrary: deepRaw(deepAt, "}") },
  );
/** Percent-encodes any UTF-16 text; a lone surrogate goes as the bytes a careless client would send. */
const encodeSegment = (text: string) =>
  encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, "\uFFFD")).replaceAll(
    "%EF%BF%BD",
    "%ED%A0%80",
  );
const segment = fc.oneof(
  fc.constantFrom(
    "handbook",
    "people",
    "job_x",
    "key_x",
    "fuzz-limited",
    "%00",
    "a%2Fb",
    "%E0%A4%A",
  ),
  hostileText.map(encodeSegment),
);

const routes: Record<string, fc.Arbitrary<Omit<FuzzRequest, "auth">>> = {
  ask: jsonBody(
    withJunk(
      fc.record(
        {
          question: fc.oneof(hostileText, fc.constantFrom("How many PTO days do I get?")),
          collection,
          topK: integer,
          filters,
          stream: fc.oneof(fc.boolean(), anyJson),
          history: fc.oneof(
            fc.array(
              fc.record({
                role: fc.constantFrom("user", "assistant", "system"),
                content: hostileText,
              }),
              {
                maxLength: 3,
              },
            ),
            anyJson,
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  ).map((body) => ({ method: "POST", target: "/v1/ask", body })),
  search: jsonBody(
    withJunk(
      fc.record(
        {
          query: fc.oneof(hostileText, fc.constantFrom("hotel")),
          collection,
          topK: integer,
          filters,
        },
        { requiredKeys: [] },
      ),
    ),
  ).map((body) => ({ method: "POST", target: "/v1/search", body })),
  putDocument: fc
    .tuple(
      segment,
      jsonBody(
        withJunk(
          fc.record(
            {
              source: hostileText,
              title: hostileText,
              content: fc.oneof(hostileText, fc.constantFrom("# Doc\n\nSome text.")),
              mimeType: fc.oneof(
                fc.constantFrom("text/markdown", "text/plain", "text/html"),
                hostileText,
              ),
              metadata: anyJson,
            },
            { requiredKeys: [] },
          ),
        ),
        '{"source":"deep.md","content":"# Deep","metadata":',
      ),
    )
    .map(([name, body]) => ({ method: "PUT", target: `/v1/collections/${name}/documents`, body })),
  deleteDocument: fc.tuple(segment, maybe(hostileText)).map(([name, source]) => ({
    method: "DELETE",
    target: `/v1/collections/${name}/documents${source === undefined ? "" : `?source=${encodeSegment(source)}`}`,
  })),
  feedback: jsonBody(
    withJunk(
      fc.record(
        {
          queryId: fc.oneof(fc.constantFrom("qry_fuzz", "qry_nope"), hostileText),
          rating: fc.oneof(fc.constantFrom("up", "down"), hostileText),
          comment: hostileText,
        },
        { requiredKeys: [] },
      ),
    ),
  ).map((body) => ({ method: "POST", target: "/v1/feedback", body })),
  createKey: jsonBody(
    withJunk(
      fc.record(
        {
          name: hostileText,
          scopes: fc.oneof(fc.array(fc.constantFrom("ask", "search", "ingest", "admin")), anyJson),
          collections: fc.oneof(fc.array(collection, { maxLength: 3 }), anyJson),
          rateLimitPerMinute: integer,
          dailyTokenLimit: integer,
        },
        { requiredKeys: [] },
      ),
    ),
  ).map((body) => ({ method: "POST", target: "/v1/keys", body })),
  revokeKey: segment.map((id) => ({ method: "DELETE", target: `/v1/keys/${id}` })),
  listKeys: fc.constant({ method: "GET", target: "/v1/keys" }),
  createJob: jsonBody(
    withJunk(
      fc.record(
        {
          collection,
          path: fc.oneof(
            // `root` exists only once beforeAll ran: read it when generating.
            fc.constantFrom("root", "/", "/etc").map((value) => (value === "root" ? root : value)),
            hostileText,
            hostileText.map((text) => `${root}/${text}`),
          ),
          sync: fc.oneof(fc.boolean(), anyJson),
        },
        { requiredKeys: [] },
      ),
    ),
  ).map((body) => ({ method: "POST", target: "/v1/ingest-jobs", body })),
  readJob: segment.map((id) => ({ method: "GET", target: `/v1/ingest-jobs/${id}` })),
  listJobs: fc.tuple(maybe(hostileText), maybe(hostileText)).map(([limit, status]) => ({
    method: "GET",
    target: `/v1/ingest-jobs?${new URLSearchParams({
      ...(limit === undefined ? {} : { limit }),
      ...(status === undefined ? {} : { status }),
    }).toString()}`,
  })),
  listCollections: fc.constant({ method: "GET", target: "/v1/collections" }),
};

const authArbitrary = fc.constantFrom<FuzzRequest["auth"]>(
  "admin",
  "admin",
  "limited",
  "wrong",
  "none",
);

async function send(request: FuzzRequest): Promise<Response> {
  const token =
    request.auth === "admin"
      ? keys.admin
      : request.auth === "limited"
        ? keys.limited
        : request.auth === "wrong"
          ? `lore_${"x".repeat(43)}`
          : undefined;
  const body =
    request.body === undefined
      ? undefined
      : "raw" in request.body
        ? request.body.raw
        : JSON.stringify(request.body.json);
  const response = await app.request(request.target, {
    method: request.method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body }),
  });
  await response.arrayBuffer();
  return response;
}

// Runs per route: 12 routes × RUNS_PER_ROUTE ≥ 5,000 requests, within about a minute here.
const RUNS_PER_ROUTE = 420;

describe(`fuzzing every route (${onRealPostgres ? "real Postgres" : "PGlite"})`, () => {
  it.each(Object.keys(routes))(
    "%s: no 5xx, and a refused request writes nothing",
    async (name) => {
      const arbitrary = routes[name];
      if (!arbitrary) throw new Error(name);
      await fc.assert(
        fc.asyncProperty(arbitrary, authArbitrary, async (shape, auth) => {
          const request: FuzzRequest = { ...shape, auth };
          const before = counts ?? (await rowCounts(database.db));
          const response = await send(request);
          seen.requests += 1;
          seen.byStatus.set(response.status, (seen.byStatus.get(response.status) ?? 0) + 1);
          expect(response.status, JSON.stringify(request).slice(0, 500)).toBeLessThan(500);
          // Only an accepted request may change the counts; a refused one is checked against them.
          counts = await rowCounts(database.db);
          if (response.status >= 400) {
            seen.refused += 1;
            expect(counts).toEqual(before);
          }
        }),
        { numRuns: RUNS_PER_ROUTE, seed: Number(process.env.LORE_FUZZ_SEED ?? 1313) },
      );
    },
    120_000,
  );

  it("sent at least 5,000 requests, most of them refused", () => {
    expect(seen.requests).toBeGreaterThanOrEqual(5000);
    expect(seen.refused).toBeGreaterThan(seen.requests / 2);
    expect(seen.byStatus.get(200) ?? 0).toBeGreaterThan(0);
  });
});
