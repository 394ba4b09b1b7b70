// A recording fake of the Embedder port: delegates, and counts every call and text for assertions.
import type { Embedder } from "./embedder";

export interface RecordingEmbedder extends Embedder {
  readonly calls: string[][];
  textsEmbedded(): number;
  /** Makes the next calls throw this error (for fault tests); undefined restores normal service. */
  failWith(error: Error | undefined): void;
}

export function createRecordingEmbedder(inner: Embedder): RecordingEmbedder {
  const calls: string[][] = [];
  let failure: Error | undefined;
  return {
    id: inner.id,
    dimensions: inner.dimensions,
    maxBatch: inner.maxBatch,
    calls,
    textsEmbedded: () => calls.reduce((sum, call) => sum + call.length, 0),
    failWith: (error) => {
      failure = error;
    },
    embed: async (texts, signal) => {
      if (failure) throw failure;
      calls.push([...texts]);
      return inner.embed(texts, signal);
    },
  };
}
