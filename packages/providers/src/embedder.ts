// The Embedder port: turns texts into unit vectors of a fixed dimension.

export interface Embedder {
  /** Stable id recorded on each collection ("local:lore-hash-v1", "openai:text-embedding-3-small"). */
  readonly id: string;
  readonly dimensions: number;
  /** Most texts one `embed` call may be given; callers batch to this size. */
  readonly maxBatch: number;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
  /**
   * The same vectors as float32 arrays, when the provider receives them that way (OpenAI's
   * base64 wire format): a bulk ingest then never turns millions of floats into JS numbers and
   * back into bytes. Optional; callers fall back to `embed`.
   */
  embedFloat32?(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}
