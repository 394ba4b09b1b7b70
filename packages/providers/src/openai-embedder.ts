// Embeddings from any OpenAI-compatible server (OpenAI, Azure, Ollama, vLLM, TEI) through the openai SDK.
import OpenAI from "openai";
import type { Embedder } from "./embedder";
import { toProviderError } from "./openai-errors";
import { ProviderError } from "./provider-error";

export interface OpenAIEmbedderOptions {
  model: string;
  apiKey?: string;
  baseUrl?: string;
  /** Requested output size; learned from the server when omitted and the model is unknown. */
  dimensions?: number;
  /** The output size when it is already known (another instance probed it): skips the probe, not sent. */
  knownDimensions?: number;
  /** Texts per request (LORE_EMBED_BATCH_SIZE); lower it for servers with a small cap (TEI: 32). */
  maxBatch?: number;
  timeoutMs?: number;
  maxRetries?: number;
}

// OpenAI takes up to 2,048 inputs (and 300k tokens, which the ingest also keeps under) a request;
// fewer, larger requests are what makes a first ingest fast when each call costs ~300 ms.
export const DEFAULT_OPENAI_EMBED_BATCH = 1024;

const KNOWN_DIMENSIONS: Record<string, number> = {
  "text-embedding-3-small": 1536,
  "text-embedding-3-large": 3072,
  "text-embedding-ada-002": 1536,
};

export async function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Promise<Embedder> {
  const client = new OpenAI({
    // Local servers (Ollama, vLLM) accept any key; the SDK insists on one.
    apiKey: options.apiKey ?? "unused",
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
    timeout: options.timeoutMs ?? 60_000,
    // The SDK retries 408/409/429/5xx and network errors with backoff, honouring Retry-After.
    maxRetries: options.maxRetries ?? 4,
  });
  // `base64` given explicitly makes the SDK hand back the wire strings instead of number arrays.
  const request = async <Vector>(
    texts: readonly string[],
    signal: AbortSignal | undefined,
    format: "base64" | undefined,
    decode: (embedding: unknown) => Vector,
  ): Promise<Vector[]> => {
    if (texts.length === 0) return [];
    try {
      const response = await client.embeddings.create(
        {
          model: options.model,
          input: [...texts],
          ...(options.dimensions ? { dimensions: options.dimensions } : {}),
          ...(format ? { encoding_format: format } : {}),
        },
        signal ? { signal } : {},
      );
      const vectors = [...response.data]
        .sort((left, right) => left.index - right.index)
        .map((item) => decode(item.embedding));
      if (vectors.length !== texts.length) {
        throw new ProviderError(
          `embedding server returned ${vectors.length} vectors for ${texts.length} texts`,
          true,
        );
      }
      return vectors;
    } catch (error) {
      throw toProviderError(error);
    }
  };
  const embed = (texts: readonly string[], signal?: AbortSignal) =>
    request(texts, signal, undefined, (embedding) => embedding as number[]);
  const embedFloat32 = (texts: readonly string[], signal?: AbortSignal) =>
    request(texts, signal, "base64", float32Of);
  const dimensions =
    options.dimensions ??
    options.knownDimensions ??
    KNOWN_DIMENSIONS[options.model] ??
    (await embed(["dimension probe"]))[0]?.length;
  if (!dimensions) throw new ProviderError("embedding server returned an empty vector", false);
  return {
    id: `openai:${options.model}`,
    dimensions,
    maxBatch: options.maxBatch ?? DEFAULT_OPENAI_EMBED_BATCH,
    embed,
    embedFloat32,
  };
}

/** A base64 embedding as float32s (little-endian, as OpenAI sends them); a server that answered with numbers anyway is converted. */
function float32Of(embedding: unknown): Float32Array {
  if (Array.isArray(embedding)) return Float32Array.from(embedding as number[]);
  const bytes = Buffer.from(String(embedding), "base64");
  if (bytes.length % 4 !== 0) {
    throw new ProviderError("embedding server returned a malformed base64 vector", false);
  }
  // A view needs 4-byte alignment; a pooled small Buffer may not have it.
  return bytes.byteOffset % 4 === 0
    ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)
    : new Float32Array(new Uint8Array(bytes).buffer);
}
