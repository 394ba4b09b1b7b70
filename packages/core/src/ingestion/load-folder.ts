// Finds the loadable files under a folder and reads each as a document with a relative source path.
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { oneLine } from "@lore/db";
import picomatch from "picomatch";
import { firstHeading } from "./chunk-markdown";
import { type DocumentSyntax, formatOf } from "./formats";
import { pageText } from "./page-text";
import { type PdfLimits, pdfText } from "./pdf-text";
import { cleanExtractedText } from "./text-hygiene";

export interface LoadedDocument {
  /** Path relative to the ingested folder, with "/" separators: the document's identity. */
  source: string;
  title: string;
  mimeType: string;
  /** The text that is chunked and hashed (for a PDF, its pages joined by form feeds). */
  content: string;
  /** How `content` is chunked; markdown when absent. */
  syntax?: DocumentSyntax;
  /** PDF: each page's text; chunks never span pages and their lines count within their page. */
  pages?: string[];
}

export interface SkippedFile {
  source: string;
  reason: string;
}

export interface ListFilesOptions {
  /** Globs (picomatch, relative to the folder) a file must match; all files when empty. */
  include?: readonly string[];
  /** Globs that drop a file or a whole folder. */
  exclude?: readonly string[];
}

export interface LoadFileOptions {
  /** Larger files are skipped with a reason. */
  maxFileBytes?: number;
  /** Limits of the PDF reader's worker thread; a PDF past one is skipped with a reason. */
  pdf?: PdfLimits;
  /** Stops a PDF being read (its worker) when the ingest stops. */
  signal?: AbortSignal;
}

export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
const SKIPPED_DIRECTORIES = new Set(["node_modules"]);

/** Lists files in a stable order, skipping hidden entries, node_modules and excluded globs. */
export async function listFiles(root: string, options: ListFilesOptions = {}): Promise<string[]> {
  const included =
    options.include && options.include.length > 0
      ? picomatch([...options.include], { dot: true })
      : () => true;
  const excluded =
    options.exclude && options.exclude.length > 0
      ? picomatch([...options.exclude], { dot: true })
      : () => false;
  const found: string[] = [];
  const walk = async (directory: string): Promise<void> => {
    const entries = await readdir(directory, { withFileTypes: true });
    entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const full = path.join(directory, entry.name);
      const relative = sourceFor(root, full);
      if (excluded(relative)) continue;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name) && !excluded(`${relative}/`)) await walk(full);
      } else if (entry.isFile() && included(relative)) {
        found.push(full);
      }
    }
  };
  await walk(root);
  return found;
}

export function sourceFor(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join("/");
}

/** Reads one file as a document, or says why it was skipped; never throws for a bad file. */
export async function loadFile(
  root: string,
  file: string,
  options: LoadFileOptions = {},
): Promise<LoadedDocument | SkippedFile> {
  const source = sourceFor(root, file);
  const format = formatOf(file);
  if (!format) return { source, reason: "unsupported file type" };
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const { size } = await stat(file);
  if (size === 0) return { source, reason: "empty file" };
  if (size > maxFileBytes) {
    return { source, reason: `larger than the ${maxFileBytes}-byte limit (${size} bytes)` };
  }
  const bytes = await readBytes(file, size);
  if (format.kind === "pdf") return loadPdf(source, bytes, options);
  // Anywhere in the file, not only in git's first 8 KiB: Postgres text cannot store a NUL, so a
  // text file holding one is skipped whole rather than stored with a hole in it.
  const nul = bytes.indexOf(0);
  if (nul !== -1) return { source, reason: `binary file (a NUL byte at offset ${nul})` };
  let text: string;
  try {
    // Fatal: invalid bytes, and surrogates encoded as UTF-8 (no valid UTF-8 has them), skip it.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { source, reason: "not valid UTF-8" };
  }
  if (format.syntax !== "markdown") {
    if (text.trim() === "") return { source, reason: "empty file" };
    return {
      source,
      title: path.posix.basename(source),
      mimeType: format.mimeType,
      content: text,
      syntax: format.syntax,
    };
  }
  const page = pageText(format.mimeType, text);
  // What a parser extracted (HTML's markdown) gets the hygiene a PDF's text gets.
  const clean = format.kind === "html" ? cleanExtractedText : (extracted: string) => extracted;
  const content = clean(page.content);
  if (content.trim() === "") return { source, reason: "empty file" };
  return {
    source,
    title: page.title === undefined ? titleOf(content, source) : clean(page.title),
    mimeType: format.mimeType,
    content,
  };
}

async function loadPdf(
  source: string,
  bytes: Uint8Array,
  options: LoadFileOptions,
): Promise<LoadedDocument | SkippedFile> {
  const text = await pdfText(bytes, options.pdf, options.signal);
  options.signal?.throwIfAborted();
  if (!text.ok) return { source, reason: `could not read the PDF: ${oneLine(text.reason)}` };
  const pages = text.pages.map(cleanExtractedText);
  if (pages.every((page) => page.trim() === "")) {
    return { source, reason: "no extractable text (scanned PDF?)" };
  }
  return {
    source,
    title: path.posix.basename(source, path.posix.extname(source)),
    mimeType: "application/pdf",
    content: pages.join("\f"),
    syntax: "pages",
    pages,
  };
}

async function readBytes(file: string, size: number): Promise<Uint8Array> {
  const handle = await open(file, "r");
  try {
    // Read at most size bytes: a file growing meanwhile cannot blow past the size check.
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The first markdown H1, else the file name without its extension. */
export function titleOf(content: string, source: string): string {
  return firstHeading(content) ?? path.basename(source, path.extname(source));
}
