// `lore sources add|list|show|sync|remove`: sources that keep a collection in sync with a folder, a git repository or a website.
import path from "node:path";
import {
  CreateSourceRequest,
  createSource,
  deleteSource,
  getIngestJob,
  getSource,
  INGEST_JOB_ENDED_CHANNEL,
  type IngestJobView,
  LoreError,
  listSources,
  localGitPath,
  type SourceView,
  syncSource,
} from "@lore/core";
import type { Command } from "commander";
import { parseInput } from "../command-input";
import { formatIngest, printJson } from "../output";
import { withRuntime } from "../runtime";
import { watchJob } from "../watch-job";

export interface SourcesAddOptions {
  collection: string;
  schedule?: string;
  ref?: string;
  subPath?: string;
  include?: string[];
  exclude?: string[];
  browseUrl?: string;
  linkStyle?: string;
  linkTemplate?: string;
  token?: string;
  prefix?: string;
  maxPages?: number;
  delayMs?: number;
  allowHosts?: string[];
  /** Any other config fields, as JSON (merged under the flags). */
  config?: string;
  json?: boolean;
}

/** Flags that were given, without the undefined ones (the config schemas are strict). */
function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

export async function runSourcesAdd(
  kind: string,
  name: string,
  location: string,
  options: SourcesAddOptions,
  command: Command,
): Promise<void> {
  let extra: Record<string, unknown> = {};
  if (options.config) {
    try {
      extra = JSON.parse(options.config) as Record<string, unknown>;
    } catch {
      throw new LoreError("invalid_request", "--config: not valid JSON.");
    }
  }
  const common = { include: options.include, exclude: options.exclude, token: options.token };
  const config =
    kind === "folder"
      ? { path: path.resolve(location), include: options.include, exclude: options.exclude }
      : kind === "git"
        ? {
            ...common,
            url:
              localGitPath(location) === undefined
                ? location
                : path.resolve(localGitPath(location) ?? location),
            ref: options.ref,
            subPath: options.subPath,
            browseUrl: options.browseUrl,
            linkStyle: options.linkStyle,
            linkTemplate: options.linkTemplate,
          }
        : {
            url: location,
            prefix: options.prefix,
            maxPages: options.maxPages,
            delayMs: options.delayMs,
            allowHosts: options.allowHosts,
            token: options.token,
          };
  const request = parseInput(CreateSourceRequest, {
    collection: options.collection,
    name,
    kind,
    schedule: options.schedule,
    config: { ...extra, ...defined(config) },
  });
  await withRuntime(command, async ({ context }) => {
    const source = await createSource(context, request);
    if (options.json) printJson(source);
    else process.stdout.write(`${formatSource(source)}\n`);
  });
}

export async function runSourcesList(
  options: { collection?: string; json?: boolean },
  command: Command,
): Promise<void> {
  await withRuntime(command, async ({ context }) => {
    const sources = await listSources(
      context,
      options.collection ? { collections: [options.collection] } : {},
    );
    if (options.json) printJson({ sources });
    else
      process.stdout.write(
        `${sources.length > 0 ? sources.map(formatLine).join("\n") : "No sources yet: add one with `lore sources add`."}\n`,
      );
  });
}

export async function runSourcesShow(
  id: string,
  options: { collection: string; json?: boolean },
  command: Command,
): Promise<void> {
  await withRuntime(command, async ({ context }) => {
    const source = await getSource(context, { id, collection: options.collection });
    if (options.json) printJson(source);
    else process.stdout.write(`${formatSource(source)}\n`);
  });
}

export async function runSourcesRemove(
  id: string,
  options: { collection: string; json?: boolean },
  command: Command,
): Promise<void> {
  await withRuntime(command, async ({ context }) => {
    const source = await deleteSource(context, { id, collection: options.collection });
    if (options.json) printJson(source);
    else
      process.stdout.write(
        `Removed source ${source.name} (${source.id}); its documents stay in "${source.collection}".\n`,
      );
  });
}

export async function runSourcesSync(
  id: string,
  options: { collection: string; wait: boolean; json?: boolean },
  command: Command,
): Promise<void> {
  await withRuntime(command, async ({ config, context, database }) => {
    const { jobId, queued } = await syncSource(context, { id, collection: options.collection });
    if (!options.wait) {
      if (options.json) printJson({ jobId, queued });
      else process.stdout.write(`${jobId}${queued ? "" : " (already queued or running)"}\n`);
      return;
    }
    // Embedded mode: this process holds the data directory, so it runs the sync itself.
    const running =
      config.mode === "embedded"
        ? import("../run-job-here").then(({ runJobHere }) => runJobHere(config, database, jobId))
        : undefined;
    const watched = watchJob(() => getIngestJob(context, jobId), {
      quiet: options.json === true,
      listen: (onEnded) => database.listen(INGEST_JOB_ENDED_CHANNEL, onEnded),
      ...(running
        ? {}
        : {
            unclaimedHint: {
              afterMs: 10_000,
              message: `${jobId} is waiting for a worker: start one with \`lore worker\`, or leave this running.`,
            },
          }),
    });
    const job: IngestJobView = await (running
      ? Promise.all([watched, running]).then(([view]) => view)
      : watched);
    if (job.status !== "succeeded" || !job.summary) {
      throw new LoreError(
        "internal",
        `Sync job ${job.id} ${job.status}${job.error ? `: ${job.error}` : "."}`,
      );
    }
    if (options.json) printJson({ jobId: job.id, ...job.summary });
    else process.stdout.write(`${formatIngest(job.summary)}\n(${job.id})\n`);
  });
}

function formatLine(source: SourceView): string {
  const status = source.lastStatus ?? "never synced";
  const next = source.nextRunAt ? `next ${source.nextRunAt}` : "on demand";
  return `${source.id}  ${source.collection}/${source.name}  ${source.kind}  ${status}  ${source.lastSyncAt ?? "-"}  ${next}`;
}

function formatSource(source: SourceView): string {
  const lines = [
    formatLine(source),
    `config: ${JSON.stringify(source.config)}`,
    `schedule: ${source.schedule ?? "none (lore sources sync)"}`,
  ];
  if (source.lastSyncedRef) lines.push(`synced commit: ${source.lastSyncedRef}`);
  if (Object.keys(source.counts).length > 0)
    lines.push(`last sync: ${JSON.stringify(source.counts)}`);
  if (source.lastError) lines.push(`error: ${source.lastError}`);
  return lines.join("\n");
}
