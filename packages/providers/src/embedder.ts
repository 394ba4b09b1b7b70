// The Embedder port: turns texts into unit vectors of a fixed dimension.

export interface Embedder {
  /** Stable id recorded on each collection ("local:lore-hash-v1", "openai:text-embedding-3-small"). */
  readonly id: string;
  readonly dimensions: number;
  /** Most texts one `embed` call may be given; callers batch to this size. */
  readonly maxBatch: number;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
}
