// Chunks a loaded document by its syntax: markdown sections, code by language separators, PDFs page by page.
import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import { estimateTokens } from "../answering/token-count";
import { contentHash } from "../hash";
import { type ChunkingOptions, chunkMarkdown, type TextChunk } from "./chunk-markdown";
import type { LoadedDocument } from "./load-folder";

export async function chunkDocument(
  document: LoadedDocument,
  options: ChunkingOptions,
): Promise<TextChunk[]> {
  if (document.syntax === "pages" && document.pages) return chunkPages(document.pages, options);
  if (document.syntax === "code") return chunkCode(document.content, options);
  return chunkMarkdown(document.content, options);
}

/**
 * A PDF has no stable lines of its own, so each page is chunked alone: a chunk's heading starts
 * with "Page N" and its startLine/endLine count lines of that page's extracted text.
 */
async function chunkPages(
  pages: readonly string[],
  options: ChunkingOptions,
): Promise<TextChunk[]> {
  const result: TextChunk[] = [];
  for (const [index, page] of pages.entries()) {
    const pageLabel = `Page ${index + 1}`;
    for (const chunk of await chunkMarkdown(page, options)) {
      const heading = chunk.heading ? `${pageLabel} > ${chunk.heading}` : pageLabel;
      result.push(withHeading({ ...chunk, ordinal: result.length }, heading));
    }
  }
  return result;
}

/** Source and config files: no headings (a `#` comment is not one), split at blank lines first. */
async function chunkCode(text: string, options: ChunkingOptions): Promise<TextChunk[]> {
  const splitter = new RecursiveCharacterTextSplitter({
    chunkSize: options.chunkSize,
    chunkOverlap: options.chunkOverlap,
    separators: ["\n\n\n", "\n\n", "\n", " ", ""],
  });
  const normalised = text.replace(/\r\n?/g, "\n");
  const pieces = await splitter.createDocuments([normalised]);
  const result: TextChunk[] = [];
  for (const piece of pieces) {
    const lines = (piece.metadata as { loc?: { lines?: { from: number; to: number } } }).loc?.lines;
    if (piece.pageContent.trim() === "") continue;
    result.push(
      withHeading(
        {
          ordinal: result.length,
          text: piece.pageContent,
          heading: "",
          startLine: lines?.from ?? 1,
          endLine: lines?.to ?? 1,
          tokenCount: estimateTokens(piece.pageContent),
          embedText: piece.pageContent,
          contentHash: "",
        },
        "",
      ),
    );
  }
  return result;
}

// The embedded text (and so the chunk hash) carries the heading, as chunkMarkdown's does.
function withHeading(chunk: TextChunk, heading: string): TextChunk {
  const embedText = heading ? `${heading}\n\n${chunk.text}` : chunk.text;
  return { ...chunk, heading, embedText, contentHash: contentHash(embedText) };
}
