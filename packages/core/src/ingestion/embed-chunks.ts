// The ingest's embedding stage: the texts prepared documents miss, each once, in requests sized by one rule.
import type { Embedder } from "@lore/providers";
import pLimit, { type LimitFunction } from "p-limit";
import { estimateTokens } from "../answering/token-count";
import {
  type ChangedDocument,
  type ChunkVector,
  type FileOutcome,
  isChanged,
  type PreparedDocument,
} from "./prepare-document";

/**
 * What one embedding request may carry beyond the provider's input count: OpenAI caps a request
 * at 300k tokens. Estimated from text length, so with headroom for text that tokenizes denser,
 * such as code.
 */
export const EMBED_REQUEST_TOKENS = 200_000;
// Documents per write transaction when nothing needs embedding (a re-sync): bounds memory.
const MAX_BATCH_DOCUMENTS = 200;

/** Texts per embedding request: the caller's choice (the default: all it allows) within the embedder's maxBatch. */
export function embedBatchSize(embedder: Embedder, requested?: number): number {
  return Math.max(1, Math.min(requested ?? embedder.maxBatch, embedder.maxBatch));
}

interface BatchCost {
  texts: number;
  tokens: number;
}

/**
 * The one rule that sizes embedding batches: entries are taken in order, and a batch closes
 * before the entry that would take it past `texts` texts, EMBED_REQUEST_TOKENS estimated tokens
 * or `entries` entries (an entry too large alone still gets a batch of its own).
 */
class EmbedBatcher<Entry> {
  private entries: Entry[] = [];
  private texts = 0;
  private tokens = 0;

  constructor(readonly limits: { texts: number; entries: number }) {}

  /** Adds an entry; returns the batch it closed, if it closed one. */
  add(entry: Entry, cost: BatchCost): Entry[] | undefined {
    const full =
      this.texts + cost.texts > this.limits.texts ||
      this.tokens + cost.tokens > EMBED_REQUEST_TOKENS ||
      this.entries.length >= this.limits.entries;
    const closed = full ? this.flush() : undefined;
    this.entries.push(entry);
    this.texts += cost.texts;
    this.tokens += cost.tokens;
    return closed;
  }

  /** The open batch, if it has entries; the batcher starts empty again. */
  flush(): Entry[] | undefined {
    if (this.entries.length === 0) return undefined;
    const batch = this.entries;
    this.entries = [];
    this.texts = 0;
    this.tokens = 0;
    return batch;
  }
}

export interface EmbedOptions {
  /** Texts per request, at most the embedder's maxBatch (the default). */
  batchSize?: number;
  /** Shared by every caller of one ingest, so requests in flight stay within its concurrency. */
  limit?: LimitFunction;
  signal?: AbortSignal;
}

/**
 * Embeds the missing chunk texts of several documents together: each distinct text once, in
 * requests as large as the provider allows, run concurrently through `limit`.
 */
export async function embedDocuments(
  embedder: Embedder,
  prepared: readonly PreparedDocument[],
  options: EmbedOptions = {},
): Promise<void> {
  const changed = prepared.filter(isChanged);
  const texts = new Map<string, string>();
  for (const document of changed) {
    const byHash = new Map(document.pieces.map((piece) => [piece.contentHash, piece.embedText]));
    document.textsEmbedded = 0;
    for (const chunkHash of document.missing) {
      if (texts.has(chunkHash)) continue;
      texts.set(chunkHash, byHash.get(chunkHash) ?? "");
      document.textsEmbedded += 1;
    }
  }
  if (texts.size === 0) return;
  const limit = options.limit ?? pLimit(1);
  const embedded = new Map<string, ChunkVector>();
  await Promise.all(
    requestBatches([...texts], embedBatchSize(embedder, options.batchSize)).map((batch) =>
      limit(async () => {
        options.signal?.throwIfAborted();
        const texts = batch.map(([, text]) => text);
        const vectors: readonly ChunkVector[] = embedder.embedFloat32
          ? await embedder.embedFloat32(texts, options.signal)
          : await embedder.embed(texts, options.signal);
        batch.forEach(([chunkHash], index) => {
          const vector = vectors[index];
          if (vector) embedded.set(chunkHash, vector);
        });
      }),
    ),
  );
  for (const document of changed) {
    for (const chunkHash of document.missing) {
      const vector = embedded.get(chunkHash);
      if (vector) document.vectors.set(chunkHash, vector);
    }
  }
}

/** Splits [hash, text] entries into requests of at most `size` texts, within the token budget. */
function requestBatches(entries: [string, string][], size: number): [string, string][][] {
  const batcher = new EmbedBatcher<[string, string]>({ texts: size, entries: Infinity });
  const batches: [string, string][][] = [];
  for (const entry of entries) {
    const closed = batcher.add(entry, { texts: 1, tokens: estimateTokens(entry[1]) });
    if (closed) batches.push(closed);
  }
  const last = batcher.flush();
  if (last) batches.push(last);
  return batches;
}

/**
 * Groups consecutive files into batches of about `size` texts to embed (and estimated tokens
 * within one request's budget): one embedding request and one write transaction per batch. The
 * first batches are smaller (a quarter, then half of `size`), so the first request leaves, and
 * the first write can start, after a few files are read instead of a full batch's worth.
 */
export async function* embeddingBatches(
  files: AsyncIterable<FileOutcome>,
  size: number,
): AsyncGenerator<FileOutcome[]> {
  const ramp = [Math.ceil(size / 4), Math.ceil(size / 2)];
  const batcher = new EmbedBatcher<FileOutcome>({
    texts: ramp.shift() ?? size,
    entries: MAX_BATCH_DOCUMENTS,
  });
  for await (const entry of files) {
    const changed = entry.prepared && isChanged(entry.prepared) ? entry.prepared : undefined;
    const closed = batcher.add(
      entry,
      changed
        ? { texts: changed.missing.length, tokens: missingTokens(changed) }
        : { texts: 0, tokens: 0 },
    );
    if (closed) {
      batcher.limits.texts = ramp.shift() ?? size;
      yield closed;
    }
  }
  const last = batcher.flush();
  if (last) yield last;
}

function missingTokens(document: ChangedDocument): number {
  const missing = new Set(document.missing);
  return document.pieces.reduce(
    (total, piece) =>
      total + (missing.has(piece.contentHash) ? estimateTokens(piece.embedText) : 0),
    0,
  );
}
