// A small fetch-based client for Lore's HTTP API, typed by the same schemas the server validates with.
import type {
  AskRequest,
  AskResponse,
  CollectionsResponse,
  FeedbackRequest,
  SearchRequest,
  SearchResponse,
} from "@lore/core";
import { EventSourceParserStream } from "eventsource-parser/stream";

export interface LoreClientOptions {
  /** e.g. "http://127.0.0.1:3000" */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when the server requires keys. */
  apiKey?: string;
  fetch?: typeof fetch;
}

/** Input as callers write it: fields with server-side defaults are optional. */
export type AskInput = Omit<Partial<AskRequest>, "stream"> & Pick<AskRequest, "question">;
export type SearchInput = Partial<SearchRequest> & Pick<SearchRequest, "query">;

export interface IngestJob {
  id: string;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  progress: Record<string, unknown>;
  error?: string | null;
  [field: string]: unknown;
}

export type AskStreamEvent =
  | { type: "token"; text: string }
  | { type: "citations"; citations: AskResponse["citations"] }
  | { type: "done"; response: AskResponse }
  | { type: "error"; error: { code?: string; detail?: string; [field: string]: unknown } };

/** A problem+json answer from the server, with its stable `code`. */
export class LoreApiError extends Error {
  override readonly name = "LoreApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly requestId?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
  }
}

export interface LoreClient {
  ask(input: AskInput, signal?: AbortSignal): Promise<AskResponse>;
  /** Server-sent events of one streamed answer; ends after `done` (or `error` and `done`). */
  askStream(input: AskInput, signal?: AbortSignal): AsyncGenerator<AskStreamEvent>;
  search(input: SearchInput, signal?: AbortSignal): Promise<SearchResponse>;
  collections(signal?: AbortSignal): Promise<CollectionsResponse>;
  createIngestJob(input: {
    collection: string;
    path: string;
    sync?: boolean;
  }): Promise<{ jobId: string }>;
  ingestJob(id: string): Promise<IngestJob>;
  feedback(input: FeedbackRequest): Promise<{ id: string }>;
}

export function createLoreClient(options: LoreClientOptions): LoreClient {
  const fetcher = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, "");

  const request = async (
    method: string,
    path: string,
    body?: unknown,
    init: { signal?: AbortSignal | undefined; accept?: string } = {},
  ): Promise<Response> => {
    const response = await fetcher(`${base}${path}`, {
      method,
      headers: {
        accept: init.accept ?? "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    if (!response.ok) throw await toError(response);
    return response;
  };
  const json = async <Result>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<Result> => (await (await request(method, path, body, { signal })).json()) as Result;

  return {
    ask: (input, signal) => json<AskResponse>("POST", "/v1/ask", input, signal),
    search: (input, signal) => json<SearchResponse>("POST", "/v1/search", input, signal),
    collections: (signal) => json<CollectionsResponse>("GET", "/v1/collections", undefined, signal),
    createIngestJob: (input) => json("POST", "/v1/ingest-jobs", input),
    ingestJob: (id) => json<IngestJob>("GET", `/v1/ingest-jobs/${encodeURIComponent(id)}`),
    feedback: (input) => json("POST", "/v1/feedback", input),
    askStream: async function* (input, signal) {
      const response = await request(
        "POST",
        "/v1/ask",
        { ...input, stream: true },
        { signal, accept: "text/event-stream" },
      );
      if (!response.body) return;
      const events = response.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream());
      for await (const event of events) {
        const parsed = toStreamEvent(event.event ?? "message", parseData(event.data));
        if (parsed) yield parsed;
      }
    },
  };
}

// Event data is JSON; a plain-text token is accepted as is.
function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

function toStreamEvent(name: string, data: unknown): AskStreamEvent | undefined {
  const record = (data ?? {}) as Record<string, unknown>;
  switch (name) {
    case "token":
      return { type: "token", text: typeof data === "string" ? data : String(record.text ?? "") };
    case "citations":
      return {
        type: "citations",
        citations: (Array.isArray(data) ? data : record.citations) as AskResponse["citations"],
      };
    case "done":
      return { type: "done", response: data as AskResponse };
    case "error":
      return { type: "error", error: record };
    default:
      return undefined;
  }
}

async function toError(response: Response): Promise<LoreApiError> {
  const retryAfter = response.headers.get("retry-after");
  const retryAfterSeconds = retryAfter === null ? undefined : Number(retryAfter);
  let problem: { code?: string; detail?: string; requestId?: string } = {};
  try {
    problem = (await response.json()) as typeof problem;
  } catch {
    // Not problem+json (a proxy in between, say): fall back to the status line.
  }
  return new LoreApiError(
    response.status,
    problem.code ?? "http_error",
    problem.detail ?? `${response.status} ${response.statusText}`,
    problem.requestId,
    retryAfterSeconds,
  );
}
