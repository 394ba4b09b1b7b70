// A deterministic embedder that needs no network and no model files: hashed term features.
import type { Embedder } from "./embedder";
import { terms } from "./text-analysis";

export interface LocalEmbedderOptions {
  dimensions?: number;
}

export const LOCAL_EMBEDDER_MODEL = "lore-hash-v1";
const DEFAULT_DIMENSIONS = 1024;
const BIGRAM_WEIGHT = 0.5;

/**
 * Feature hashing of stemmed unigrams and adjacent bigrams with sublinear term frequency
 * (1 + ln tf), signed hashing to cancel collision bias, then L2 normalisation, so cosine
 * similarity behaves like a TF cosine over the vocabulary without storing one.
 */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const dimensions = options.dimensions ?? DEFAULT_DIMENSIONS;
  return {
    id: `local:${LOCAL_EMBEDDER_MODEL}`,
    dimensions,
    maxBatch: 4096,
    embed: async (texts) => texts.map((text) => embedText(text, dimensions)),
  };
}

function embedText(text: string, dimensions: number): number[] {
  const counts = new Map<string, number>();
  const tokens = terms(text);
  tokens.forEach((token, index) => {
    counts.set(token, (counts.get(token) ?? 0) + 1);
    const next = tokens[index + 1];
    if (next !== undefined) {
      const bigram = `${token} ${next}`;
      counts.set(bigram, (counts.get(bigram) ?? 0) + 1);
    }
  });
  const vector = new Array<number>(dimensions).fill(0);
  for (const [feature, count] of counts) {
    const hash = fnv1a(feature);
    const weight = (feature.includes(" ") ? BIGRAM_WEIGHT : 1) * (1 + Math.log(count));
    const slot = hash % dimensions;
    vector[slot] = (vector[slot] ?? 0) + (hash & 0x80000000 ? -weight : weight);
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  // pgvector's cosine distance is undefined for a zero vector; give empty text a fixed direction.
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  return vector.map((value) => value / norm);
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
