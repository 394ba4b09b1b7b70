// Builds benchmark corpora from the real sample docs: a folder of varied markdown files, or varied chunk texts.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { chunkMarkdown, SAMPLE_DOCS_DIR } from "@lore/core";

export interface SourceDoc {
  source: string;
  text: string;
}

/** Every markdown file of the sample docs, in a stable order. */
export async function readSampleDocs(folder = SAMPLE_DOCS_DIR): Promise<SourceDoc[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".md"))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  return Promise.all(
    files.map(async (file) => ({
      source: path.relative(folder, file),
      text: await readFile(file, "utf8"),
    })),
  );
}

/** mulberry32: a tiny seeded generator, so every run of a benchmark sees the same corpus. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function vocabularyOf(docs: readonly SourceDoc[]): string[] {
  const words = new Set<string>();
  for (const doc of docs) {
    for (const word of doc.text.match(/[A-Za-z][a-z]{3,}/g) ?? []) words.add(word.toLowerCase());
  }
  return [...words].sort();
}

/**
 * Rewrites prose with a share of its words swapped for other corpus words, leaving headings,
 * code fences and tables intact, so the result chunks like a real doc but hashes differently.
 */
export function varyText(
  text: string,
  random: () => number,
  vocabulary: readonly string[],
  rate: number,
): string {
  let inFence = false;
  return text
    .split("\n")
    .map((line) => {
      if (line.trimStart().startsWith("```")) inFence = !inFence;
      if (inFence || line.startsWith("#") || line.startsWith("|")) return line;
      return line.replace(/[A-Za-z][a-z]{3,}/g, (word) =>
        random() < rate ? (vocabulary[Math.floor(random() * vocabulary.length)] ?? word) : word,
      );
    })
    .join("\n");
}

export interface GeneratedCorpus {
  folder: string;
  files: number;
  bytes: number;
}

/**
 * Writes `files` markdown files of about `totalBytes` together: each concatenates varied copies
 * of sample docs (headings renamed per copy) until it reaches its share of the size.
 */
export async function generateCorpusFolder(
  folder: string,
  options: { files: number; totalBytes: number; seed?: number },
): Promise<GeneratedCorpus> {
  const docs = await readSampleDocs();
  const vocabulary = vocabularyOf(docs);
  const random = seededRandom(options.seed ?? 8);
  const perFile = Math.max(1, Math.floor(options.totalBytes / options.files));
  let bytes = 0;
  for (let index = 0; index < options.files; index++) {
    const parts: string[] = [];
    let size = 0;
    for (let copy = 0; size < perFile; copy++) {
      const doc = docs[(index + copy * 7) % docs.length] as SourceDoc;
      const renamed = doc.text.replace(/^(#+ .*)$/gm, `$1 (${index + 1}.${copy + 1})`);
      const part = varyText(renamed, random, vocabulary, 0.15);
      parts.push(part);
      size += Buffer.byteLength(part) + 1;
    }
    const team = `team-${String(index % 12).padStart(2, "0")}`;
    const file = path.join(folder, team, `doc-${String(index + 1).padStart(3, "0")}.md`);
    await mkdir(path.dirname(file), { recursive: true });
    const content = parts.join("\n");
    await writeFile(file, content);
    bytes += Buffer.byteLength(content);
  }
  return { folder, files: options.files, bytes };
}

export interface ChunkText {
  heading: string;
  text: string;
}

/** `count` chunk texts: the sample docs' real chunks, each reused with a different share of words swapped. */
export async function generateChunkTexts(count: number, seed = 10): Promise<ChunkText[]> {
  const docs = await readSampleDocs();
  const vocabulary = vocabularyOf(docs);
  const base: ChunkText[] = [];
  for (const doc of docs) {
    for (const chunk of await chunkMarkdown(doc.text)) {
      base.push({ heading: chunk.heading, text: chunk.text });
    }
  }
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const original = base[index % base.length] as ChunkText;
    // The first pass keeps the real chunks; later passes drift further from them.
    const round = Math.floor(index / base.length);
    const rate = round === 0 ? 0 : Math.min(0.5, 0.1 + 0.02 * round);
    return { heading: original.heading, text: varyText(original.text, random, vocabulary, rate) };
  });
}

/** Questions over the sample docs, used as queries by the load and scale benchmarks. */
export const BENCH_QUESTIONS = [
  "How many days of PTO do full-time employees get?",
  "How do I roll back a deploy?",
  "Who approves travel expenses?",
  "How long do we keep customer data after an account is closed?",
  "What is the on-call escalation policy?",
  "How are database migrations reviewed?",
  "When do we cut a release and how are versions numbered?",
  "How do I restore a database backup?",
  "What are the limits of the free plan?",
  "How do feature flags get cleaned up?",
  "What should a new hire do in the first week?",
  "How do we write API error responses?",
] as const;
