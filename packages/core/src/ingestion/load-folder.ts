// Finds the loadable files under a folder and reads them as documents with a relative source path.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { stripInlineMarkdown } from "./chunk-markdown";

export interface LoadedDocument {
  /** Path relative to the ingested folder, with "/" separators: the document's identity. */
  source: string;
  title: string;
  mimeType: string;
  content: string;
}

export interface SkippedFile {
  source: string;
  reason: string;
}

const MIME_TYPES: Record<string, string> = {
  ".md": "text/markdown",
  ".mdx": "text/markdown",
  ".markdown": "text/markdown",
  ".txt": "text/plain",
};
const SKIPPED_DIRECTORIES = new Set(["node_modules"]);

/** Lists loadable files in a stable order, skipping hidden folders and node_modules. */
export async function listFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (directory: string): Promise<void> => {
    const entries = await readdir(directory, { withFileTypes: true });
    entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) await walk(full);
      } else if (entry.isFile()) {
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

export async function loadFile(root: string, file: string): Promise<LoadedDocument | SkippedFile> {
  const source = sourceFor(root, file);
  const mimeType = MIME_TYPES[path.extname(file).toLowerCase()];
  if (!mimeType) return { source, reason: "unsupported file type" };
  const bytes = await readFile(file);
  let content: string;
  try {
    content = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { source, reason: "not valid UTF-8" };
  }
  if (content.trim() === "") return { source, reason: "empty file" };
  return { source, title: titleOf(content, source), mimeType, content };
}

/** The first markdown H1, else the file name without its extension. */
export function titleOf(content: string, source: string): string {
  const withoutCode = content.replace(/^\s{0,3}(`{3,}|~{3,})[\s\S]*?^\s{0,3}\1/gm, "");
  const heading = /^\s{0,3}#\s+(.+?)\s*#*\s*$/m.exec(withoutCode);
  if (heading?.[1]) return stripInlineMarkdown(heading[1]);
  return path.basename(source, path.extname(source));
}
