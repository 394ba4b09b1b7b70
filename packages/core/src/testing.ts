// Test helpers shared by the packages' and apps' suites: checking that citations quote their lines.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Citation } from "./contract";

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
