// Structure-aware chunking: sections by heading (never across one), then @langchain/textsplitters inside.
import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
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
  /** Estimated (characters / 4): cheap at ingest; prompts count exactly. */
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

export function stripInlineMarkdown(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/(\*\*|__|\*|_|`)(\S(?:.*?\S)?)\1/g, "$2")
    .trim();
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
  for (const section of sections(lines)) {
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
        tokenCount: Math.ceil(piece.text.length / 4),
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
