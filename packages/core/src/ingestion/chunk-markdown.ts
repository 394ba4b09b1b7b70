// Structure-aware chunking: sections by heading, short sibling sections packed, long ones split by @langchain/textsplitters.
import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import { estimateTokens } from "../answering/token-count";
import { contentHash } from "../hash";

export interface ChunkingOptions {
  /** Target chunk size in characters. */
  chunkSize: number;
  chunkOverlap: number;
}

export const DEFAULT_CHUNKING: ChunkingOptions = { chunkSize: 1000, chunkOverlap: 150 };

export interface TextChunk {
  ordinal: number;
  text: string;
  /** Heading path, e.g. "Deploy guide > Rollback > Kubernetes". */
  heading: string;
  /** 1-based, inclusive line range in the source file. */
  startLine: number;
  endLine: number;
  /** Estimated from length (estimateTokens): cheap at ingest; prompts count exactly. */
  tokenCount: number;
  /** What is embedded: heading path and text, so a chunk knows where it sits. */
  embedText: string;
  contentHash: string;
}

interface Section {
  headingPath: string[];
  /** 0-based index of the section's first line in the file. */
  firstLine: number;
  lines: string[];
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$/;

/** Splits text into sections at markdown headings outside code fences. */
function sections(lines: readonly string[]): Section[] {
  const result: Section[] = [];
  const stack: { level: number; title: string }[] = [];
  let current: Section = { headingPath: [], firstLine: 0, lines: [] };
  let fence: string | undefined;
  lines.forEach((line, index) => {
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch?.[1]) {
      const marker = fenceMatch[1];
      if (fence === undefined) fence = marker;
      else if (marker.startsWith(fence)) fence = undefined;
    }
    const heading = fence === undefined ? HEADING.exec(line) : null;
    if (heading?.[1] && heading[2]) {
      if (hasBody(current)) result.push(current);
      const level = heading[1].length;
      while (stack.length > 0 && (stack.at(-1)?.level ?? 0) >= level) stack.pop();
      stack.push({ level, title: stripInlineMarkdown(heading[2]) });
      current = { headingPath: stack.map((entry) => entry.title), firstLine: index, lines: [] };
    }
    current.lines.push(line);
  });
  if (hasBody(current)) result.push(current);
  return result;
}

// A heading directly followed by a sub-heading has nothing to retrieve on its own.
function hasBody(section: Section): boolean {
  const body = section.headingPath.length > 0 ? section.lines.slice(1) : section.lines;
  return body.some((text) => text.trim() !== "");
}

/** The text of a page's first `#` heading outside code blocks, if it has one. */
export function firstHeading(content: string): string | undefined {
  const withoutCode = content.replace(/^\s{0,3}(`{3,}|~{3,})[\s\S]*?^\s{0,3}\1/gm, "");
  const heading = /^\s{0,3}#\s+(.+?)\s*#*\s*$/m.exec(withoutCode);
  return heading?.[1] ? stripInlineMarkdown(heading[1]) : undefined;
}

export function stripInlineMarkdown(text: string): string {
  return unescapeMarkdown(
    text
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/(\*\*|__|\*|_|`)(\S(?:.*?\S)?)\1/g, "$2"),
  ).trim();
}

/**
 * Markdown's backslash escapes removed ("TLS 1\\.2" → "TLS 1.2", turndown's "## 2\\. Overtime"
 * → "2. Overtime"): the text as it reads.
 */
export function unescapeMarkdown(text: string): string {
  return text.replace(/\\([\\`*_{}[\]()#+\-.!|<>~$])/g, "$1");
}

/**
 * Packs short sections into chunks of up to `chunkSize` characters, along the heading tree: a
 * section whose subsections all fit is one chunk; otherwise its own text leads its first
 * subsections, and consecutive sibling subtrees share a chunk while they fit. Pages of two-line
 * sections would otherwise cost a row, an embedding and an index entry each while saying too
 * little to be retrieved alone. A packed chunk's heading is the path its sections share; their
 * own headings stay in its text for retrieval and quoting.
 */
function packSections(
  lines: readonly string[],
  all: readonly Section[],
  chunkSize: number,
): Section[] {
  const packed: Section[] = [];
  const from = (index: number) => all[index]?.firstLine ?? 0;
  const to = (index: number) => from(index) + (all[index]?.lines.length ?? 0);
  const span = (first: number, last: number) => lines.slice(from(first), to(last));
  // Characters up to each line (newlines included), so a span's length costs no join.
  const offsets = [0];
  for (const line of lines) offsets.push((offsets.at(-1) ?? 0) + line.length + 1);
  const fits = (first: number, last: number) =>
    (offsets[to(last)] ?? 0) - (offsets[from(first)] ?? 0) - 1 <= chunkSize;
  const subtreeEnd = (root: number, end: number) => {
    const path = all[root]?.headingPath ?? [];
    let last = root;
    while (last < end && isBelow(all[last + 1]?.headingPath ?? [], path)) last++;
    return last;
  };

  // Packs the sibling subtrees in [start, end], continuing `group` (first and last section).
  const packRange = (start: number, end: number, initial?: [number, number]) => {
    let group = initial;
    const flush = () => {
      if (!group) return;
      const [first, last] = group;
      const paths = all.slice(first, last + 1).map((section) => section.headingPath);
      packed.push({
        headingPath: paths.reduce((prefix, path) => commonPrefix(prefix, path)),
        firstLine: all[first]?.firstLine ?? 0,
        lines: span(first, last),
      });
      group = undefined;
    };
    for (let root = start; root <= end; ) {
      const last = subtreeEnd(root, end);
      const parent = (group && all[group[0]]?.headingPath.slice(0, -1)) ?? [];
      if (group && isBelow(all[root]?.headingPath ?? [], parent) && fits(group[0], last)) {
        group = [group[0], last];
      } else if (fits(root, last)) {
        flush();
        group = [root, last];
      } else {
        flush();
        packRange(root + 1, last, [root, root]);
      }
      root = last + 1;
    }
    flush();
  };
  packRange(0, all.length - 1);
  return packed;
}

/** Whether a heading path lies strictly below another (every path lies below the preamble's []). */
function isBelow(path: readonly string[], ancestor: readonly string[]): boolean {
  return ancestor.length < path.length && ancestor.every((title, index) => path[index] === title);
}

function commonPrefix(left: string[], right: readonly string[]): string[] {
  const length = left.findIndex((title, index) => right[index] !== title);
  return length === -1 ? left : left.slice(0, length);
}

export async function chunkMarkdown(
  text: string,
  options: ChunkingOptions = DEFAULT_CHUNKING,
): Promise<TextChunk[]> {
  const splitter = RecursiveCharacterTextSplitter.fromLanguage("markdown", {
    chunkSize: options.chunkSize,
    chunkOverlap: options.chunkOverlap,
  });
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const result: TextChunk[] = [];
  for (const section of packSections(lines, sections(lines), options.chunkSize)) {
    const sectionText = section.lines.join("\n");
    const pieces =
      sectionText.trim().length <= options.chunkSize
        ? [{ text: sectionText.trim(), from: 1, to: lastNonBlank(section.lines) }]
        : await splitSection(splitter, sectionText);
    const heading = section.headingPath.join(" > ");
    for (const piece of pieces) {
      const startLine = section.firstLine + piece.from;
      const embedText = heading ? `${heading}\n\n${piece.text}` : piece.text;
      result.push({
        ordinal: result.length,
        text: piece.text,
        heading,
        startLine: firstNonBlank(lines, startLine),
        endLine: section.firstLine + piece.to,
        tokenCount: estimateTokens(piece.text),
        embedText,
        contentHash: contentHash(embedText),
      });
    }
  }
  return result;
}

// The splitter reports 1-based line ranges within the section through `loc.lines`.
async function splitSection(
  splitter: RecursiveCharacterTextSplitter,
  sectionText: string,
): Promise<{ text: string; from: number; to: number }[]> {
  const documents = await splitter.createDocuments([sectionText]);
  return documents.map((document) => {
    const lines = (document.metadata as { loc?: { lines?: { from: number; to: number } } }).loc
      ?.lines;
    return { text: document.pageContent, from: lines?.from ?? 1, to: lines?.to ?? 1 };
  });
}

function lastNonBlank(lines: readonly string[]): number {
  let line = lines.length;
  while (line > 1 && (lines[line - 1] ?? "").trim() === "") line--;
  return line;
}

function firstNonBlank(lines: readonly string[], line: number): number {
  let current = line;
  while (current < lines.length && (lines[current - 1] ?? "").trim() === "") current++;
  return current;
}
