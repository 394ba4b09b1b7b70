// Counts tokens as OpenAI's current models do (o200k_base), to fit sources into the prompt's budget; or estimates them from length.
import type { Tiktoken } from "js-tiktoken";

// About 4 characters a token for English prose; denser text (code) has more tokens than estimated.
const CHARS_PER_TOKEN = 4;

/**
 * Lore's one cheap token estimate, from length alone: where an exact count is not worth the
 * tokenizer (chunk sizes at ingest, embedding request budgets, a key's quota reservation).
 */
export function estimateTokens(text: string): number {
  return tokensOfChars(text.length);
}

/** estimateTokens for text known only by its length (several texts summed). */
export function tokensOfChars(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

const ENCODING = "o200k_base";
// The ranks are megabytes of bundled data that take seconds to index: build the encoder once, lazily.
let encoding: Promise<Tiktoken> | undefined;

export interface TokenCounter {
  count(text: string): number;
  /** The longest prefix of `text` that fits in `tokens` tokens. */
  truncate(text: string, tokens: number): string;
}

/**
 * Starts building the encoder (seconds of CPU on a busy machine) so the first answer does not
 * wait for it; resolves when it is ready and never rejects (the first prompt reports a failure).
 */
export async function preloadTokenizer(): Promise<void> {
  await loadEncoding().catch(() => {
    encoding = undefined;
  });
}

export async function tokenCounter(): Promise<TokenCounter> {
  const tokenizer = await loadEncoding();
  return {
    count: (text) => tokenizer.encode(text).length,
    truncate: (text, tokens) => {
      const encoded = tokenizer.encode(text);
      return encoded.length <= tokens ? text : tokenizer.decode(encoded.slice(0, tokens));
    },
  };
}

function loadEncoding(): Promise<Tiktoken> {
  encoding ??= import("js-tiktoken").then((module) => module.getEncoding(ENCODING));
  return encoding;
}
