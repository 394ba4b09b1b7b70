// Test helpers shared by the suites: citations that quote their lines, and waits on state, never sleeps.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Citation } from "./citations/schemas";

export { onePagePdf } from "./ingestion/test-pdf";

/** Lowercase, markdown markers and table pipes removed, whitespace collapsed. */
export function normaliseQuote(text: string): string {
  return text
    .toLowerCase()
    .replace(/[*_`|#>]/g, " ")
    .replace(/^\s*(?:[-+]|\d+[.)])\s+/gm, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** The text of lines start..end (1-based, inclusive) of a file under root. */
export function sourceLines(root: string, source: string, start: number, end: number): string {
  const lines = readFileSync(path.join(root, source), "utf8").split(/\r?\n/);
  return lines.slice(start - 1, end).join("\n");
}

/** The citations whose snippet is not in their file's cited lines: tests expect none. */
export function misquotedCitations(root: string, citations: readonly Citation[]): Citation[] {
  return citations.filter((citation) => {
    const lines = sourceLines(root, citation.source, citation.startLine, citation.endLine);
    return !normaliseQuote(lines).includes(normaliseQuote(citation.snippet));
  });
}

export interface PollOptions {
  /** Gives up after this long; generous, since a loaded CI machine is slow, not wrong. */
  timeoutMs?: number;
  /** Pause between reads: it paces the polling, it never decides the outcome. */
  intervalMs?: number;
  /** Named in the timeout's error, with the last value read. */
  what?: string;
}

/**
 * Reads until `done` holds and returns that value, or throws once the deadline passes: tests
 * wait on the state they expect (a job row, a file, a counter), never on a fixed sleep.
 */
export async function pollUntil<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 60_000, intervalMs = 50, what = "the condition" }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A promise with its resolve at hand: a fake holds on it until the test lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
