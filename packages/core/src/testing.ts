// Test helpers shared by the packages' and apps' suites: checking that citations quote their lines.
import { readFileSync } from "node:fs";
import path from "node:path";

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
