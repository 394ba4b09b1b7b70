// zod schemas of sources (folder, git, web): what the API and CLI accept and show, and each kind's stored config.
import { z } from "zod";
import { CollectionName } from "../collections/schemas";
import { IngestSummary } from "../ingestion/schemas";
import { Schedule } from "./schedule";

export const SourceName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-'");

/**
 * A secret is named, never stored: `env:NAME` reads the variable NAME of the process that runs
 * the sync (the worker), so the database, logs and API responses only ever hold the reference.
 */
export const SecretReference = z
  .string()
  .regex(/^env:[A-Za-z_][A-Za-z0-9_]*$/, "a secret reference such as env:GIT_TOKEN");
export type SecretReference = z.infer<typeof SecretReference>;

const Globs = z.array(z.string().min(1).max(500)).max(100);

export const FolderSourceConfig = z
  .object({
    path: z.string().min(1).max(4096),
    include: Globs.optional(),
    exclude: Globs.optional(),
  })
  .strict();
export type FolderSourceConfig = z.infer<typeof FolderSourceConfig>;

export const LINK_STYLES = ["github", "gitlab", "gitea"] as const;

export const GitSourceConfig = z
  .object({
    /** https://…, ssh://…, git@host:path, or a local path / file:// URL. */
    url: z
      .string()
      .min(1)
      .max(2048)
      .refine((value) => !value.startsWith("-"), "must not start with '-'")
      .refine(
        (value) => !/^[a-z][a-z0-9+.-]*:\/\/[^/@]*@/i.test(value) || value.startsWith("ssh://"),
        "must not carry credentials: use `token` (a secret reference) instead",
      ),
    /** A branch, tag or other ref; the remote's default branch when absent. */
    ref: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[A-Za-z0-9._/-]+$/, "a branch, tag or ref name")
      .refine((value) => !value.startsWith("-") && !value.includes(".."), "not a ref name")
      .default("HEAD"),
    /** Only this folder of the repository; documents' sources are relative to it. */
    subPath: z
      .string()
      .max(1024)
      .regex(/^[^/.][^\\]*$/, "a relative folder such as docs")
      .refine((value) => !value.split("/").includes(".."), "must stay inside the repository")
      .optional(),
    include: Globs.optional(),
    exclude: Globs.optional(),
    /** Where a person browses the repository, e.g. https://github.com/acme/handbook. */
    browseUrl: z.url().max(2048).optional(),
    linkStyle: z.enum(LINK_STYLES).optional(),
    /** Overrides linkStyle: `{base}`, `{sha}`, `{path}`, and `{start}`/`{end}` (a citation's lines). */
    linkTemplate: z.string().min(1).max(2048).optional(),
    /** An HTTPS token (sent as basic auth), e.g. env:GIT_TOKEN. */
    token: SecretReference.optional(),
  })
  .strict();
export type GitSourceConfig = z.infer<typeof GitSourceConfig>;

export const WebSourceConfig = z
  .object({
    /** A page to start crawling from, or a sitemap.xml whose pages are fetched. */
    url: z.url().max(2048),
    /** Pages outside this URL prefix are not fetched; the start URL's folder when absent. */
    prefix: z.url().max(2048).optional(),
    maxPages: z.number().int().min(1).max(100_000).default(500),
    /** Requests in flight at once, and the pause each one waits before its request. */
    concurrency: z.number().int().min(1).max(8).default(2),
    delayMs: z.number().int().min(0).max(60_000).default(250),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(50 * 1024 * 1024)
      .default(5 * 1024 * 1024),
    timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
    maxRedirects: z.number().int().min(0).max(10).default(5),
    /**
     * Hosts (names or IP addresses) that may resolve to private, loopback or link-local
     * addresses: an internal docs portal. Every other host must resolve to a public address.
     */
    allowHosts: z.array(z.string().min(1).max(255)).max(100).optional(),
    /** Sent as `Authorization: Bearer …`, e.g. env:DOCS_TOKEN. */
    token: SecretReference.optional(),
  })
  .strict();
export type WebSourceConfig = z.infer<typeof WebSourceConfig>;

const common = {
  collection: CollectionName.default("default"),
  name: SourceName,
  schedule: Schedule.nullable().optional(),
};

export const CreateSourceRequest = z.discriminatedUnion("kind", [
  z.object({ ...common, kind: z.literal("folder"), config: FolderSourceConfig }).strict(),
  z.object({ ...common, kind: z.literal("git"), config: GitSourceConfig }).strict(),
  z.object({ ...common, kind: z.literal("web"), config: WebSourceConfig }).strict(),
]);
export type CreateSourceRequest = z.infer<typeof CreateSourceRequest>;
export type SourceKind = CreateSourceRequest["kind"];
export type SourceConfig = CreateSourceRequest["config"];

/** A PATCH: the config is replaced whole (validated against the source's kind); null clears the schedule. */
export const UpdateSourceRequest = z
  .object({
    name: SourceName.optional(),
    schedule: Schedule.nullable().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type UpdateSourceRequest = z.infer<typeof UpdateSourceRequest>;

export const SourceStatus = z.enum(["queued", "running", "succeeded", "failed", "cancelled"]);

export const SourceView = z.object({
  id: z.string(),
  collection: z.string(),
  name: z.string(),
  kind: z.enum(["folder", "git", "web"]),
  config: z.record(z.string(), z.unknown()),
  schedule: z.string().nullable(),
  nextRunAt: z.string().nullable(),
  lastSyncAt: z.string().nullable(),
  lastStatus: z.string().nullable(),
  lastError: z.string().nullable(),
  lastSyncedRef: z.string().nullable(),
  lastJobId: z.string().nullable(),
  counts: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SourceView = z.infer<typeof SourceView>;

export const SourceList = z.object({ sources: z.array(SourceView) });
export type SourceList = z.infer<typeof SourceList>;

export const SyncSourceResponse = z.object({
  jobId: z.string(),
  /** False when a sync of this source was already queued or running: that job is returned. */
  queued: z.boolean(),
});
export type SyncSourceResponse = z.infer<typeof SyncSourceResponse>;

/** What a source's sync adds to a job's summary beyond an ingest's. */
export const SourceSyncSummary = IngestSummary.extend({
  source: z.string(),
  /** git: the commit now held; web: pages answered 304. */
  ref: z.string().optional(),
  notModified: z.number().int().optional(),
});
export type SourceSyncSummary = z.infer<typeof SourceSyncSummary>;
