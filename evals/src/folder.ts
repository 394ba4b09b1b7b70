// A user's own folder and questions file as an eval corpus, checked against the folder before anything is ingested.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { type EvalCorpus, readQuestions } from "./golden";

/** Messages listed before "… and N more", so a wholly wrong file does not flood the terminal. */
const MAX_LISTED = 20;

/**
 * The corpus `lore eval folder <dir> --questions <file>` runs: every question valid, every
 * expected source a file of the folder (a path relative to it, as citations show it). Throws an
 * error naming the line of each question whose source is not there, with the file of the same
 * name elsewhere in the folder when there is one.
 */
export async function loadFolderCorpus(
  directory: string,
  questionsFile: string,
): Promise<EvalCorpus> {
  const docsDir = path.resolve(directory);
  const info = await stat(docsDir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`${directory} is not a folder`);
  const file = await stat(questionsFile).catch(() => undefined);
  if (!file?.isFile()) throw new Error(`${questionsFile}: no such questions file`);
  const read = await readQuestions(questionsFile);
  if (read.length === 0)
    throw new Error(`${questionsFile} holds no questions (one JSON object a line)`);
  if (!read.some(({ question }) => question.answerable)) {
    throw new Error(`${questionsFile} has no answerable question: retrieval cannot be measured`);
  }
  const problems: string[] = [];
  let files: string[] | undefined;
  for (const { line, question } of read) {
    for (const source of question.sources) {
      if (await isFileInside(docsDir, source)) continue;
      files ??= await filesOf(docsDir);
      const named = files.filter(
        (file) => path.posix.basename(file) === path.posix.basename(source),
      );
      problems.push(
        `${questionsFile} line ${line} (${question.id}): source "${source}" is not a file in ${directory}${named.length > 0 ? ` (did you mean "${named.slice(0, 3).join('", "')}"?)` : ""}`,
      );
    }
  }
  if (problems.length > 0) {
    const more = problems.length > MAX_LISTED ? [`… and ${problems.length - MAX_LISTED} more`] : [];
    throw new Error(
      [
        `${problems.length} source(s) in ${questionsFile} are not files of the folder; sources are paths relative to it, such as "policies/leave.md":`,
        ...problems.slice(0, MAX_LISTED),
        ...more,
      ].join("\n  "),
    );
  }
  const questionsPath = path.relative(docsDir, path.resolve(questionsFile));
  const inside = !questionsPath.startsWith("..") && !path.isAbsolute(questionsPath);
  return {
    name: path.basename(docsDir),
    docsDir,
    questions: read.map(({ question }) => question),
    // A questions file kept in the folder is not a document: its questions would answer themselves.
    ...(inside ? { exclude: [escapeGlob(questionsPath.split(path.sep).join("/"))] } : {}),
  };
}

/** A relative path that names a file inside the folder (not `..`, not absolute). */
async function isFileInside(root: string, source: string): Promise<boolean> {
  if (path.isAbsolute(source) || source.split(/[\\/]/).includes("..")) return false;
  const info = await stat(path.join(root, source)).catch(() => undefined);
  return info?.isFile() ?? false;
}

async function filesOf(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) =>
      path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"),
    );
}

/** A literal path as a picomatch glob (the ingest's exclude takes globs). */
function escapeGlob(literal: string): string {
  return literal.replace(/[\\*?[\]{}()!+@|]/g, "\\$&");
}
