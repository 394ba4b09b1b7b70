// Enforces the model's [n] citations: resolves them to the prompt's sources, drops invented ones, renumbers by first use.

import type { RetrievedChunk } from "../retrieval/hybrid-search";
import { linkAt } from "../sources/link-url";
import type { Citation } from "./schemas";

export interface EnforcedAnswer {
  answer: string;
  /** Only the sources the answer cites, numbered 1… in order of first use. */
  citations: Citation[];
  /** Citation numbers in the model's answer that were not sources in the prompt, removed. */
  droppedCitations: number;
}

const MARKER = /\[(\s*\d{1,4}\s*(?:,\s*\d{1,4}\s*)*)\]/g;
// An unfinished "[12," at the end of a streamed delta may still become a marker: hold it back.
const PARTIAL_MARKER = /\[[\d,\s]{0,24}$/;
// Marks where a dropped marker stood, so the whitespace before it can go too in the final answer.
const DROPPED = "\u0000";
const SNIPPET_CHARS = 300;

/**
 * Rewrites citation markers in a streamed answer as it arrives: numbers of prompt sources become
 * their order of first use, other numbers are removed. `push` returns the text safe to show now.
 */
export class CitationRewriter {
  readonly #sources: readonly RetrievedChunk[];
  /** Prompt number → number shown, in order of first use. */
  readonly #renumbered = new Map<number, number>();
  #pending = "";
  #answer = "";
  #dropped = 0;

  constructor(sources: readonly RetrievedChunk[]) {
    this.#sources = sources;
  }

  push(delta: string): string {
    this.#pending += delta;
    const partial = PARTIAL_MARKER.exec(this.#pending);
    const cut = partial ? partial.index : this.#pending.length;
    const ready = this.#pending.slice(0, cut);
    this.#pending = this.#pending.slice(cut);
    return this.#emit(ready);
  }

  flush(): string {
    const rest = this.#pending;
    this.#pending = "";
    return this.#emit(rest);
  }

  /** The whole answer so far; call `flush` first once the text is complete. */
  result(): EnforcedAnswer {
    const answer = this.#answer
      // "claim [97]." → "claim.", but "claim [97][1]" → "claim [1]".
      .replace(new RegExp(`[ \\t]*${DROPPED}+(?=[\\s.,;:!?)]|$)`, "g"), "")
      .replaceAll(DROPPED, "")
      .trim();
    const citations = [...this.#renumbered].map(([promptNumber, n]) =>
      toCitation(n, this.#sources[promptNumber - 1] as RetrievedChunk),
    );
    return { answer, citations, droppedCitations: this.#dropped };
  }

  #emit(text: string): string {
    const rewritten = this.#rewrite(text);
    this.#answer += rewritten;
    return rewritten.replaceAll(DROPPED, "");
  }

  #rewrite(text: string): string {
    return text.replace(MARKER, (_, numbers: string) => {
      const kept: number[] = [];
      for (const part of numbers.split(",")) {
        const promptNumber = Number(part.trim());
        if (promptNumber < 1 || promptNumber > this.#sources.length) {
          this.#dropped += 1;
          continue;
        }
        let n = this.#renumbered.get(promptNumber);
        if (n === undefined) {
          n = this.#renumbered.size + 1;
          this.#renumbered.set(promptNumber, n);
        }
        if (!kept.includes(n)) kept.push(n);
      }
      return kept.length === 0 ? DROPPED : kept.map((n) => `[${n}]`).join("");
    });
  }
}

/** The whole-answer form of CitationRewriter. */
export function enforceCitations(text: string, sources: readonly RetrievedChunk[]): EnforcedAnswer {
  const rewriter = new CitationRewriter(sources);
  rewriter.push(text);
  rewriter.flush();
  return rewriter.result();
}

function toCitation(n: number, chunk: RetrievedChunk): Citation {
  return {
    n,
    chunkId: chunk.chunkId,
    documentId: chunk.documentId,
    source: chunk.source,
    title: chunk.title,
    heading: chunk.heading,
    startLine: chunk.startLine,
    endLine: chunk.endLine,
    snippet: snippet(chunk.text),
    score: chunk.score,
    ...linkAt(chunk.documentUrl, chunk.startLine, chunk.endLine),
  };
}

// A prefix of the chunk cut at a word boundary, so it still reads as a quote of the cited lines.
function snippet(text: string): string {
  if (text.length <= SNIPPET_CHARS) return text;
  const cut = text.lastIndexOf(" ", SNIPPET_CHARS);
  return text.slice(0, cut > SNIPPET_CHARS / 2 ? cut : SNIPPET_CHARS).trimEnd();
}
