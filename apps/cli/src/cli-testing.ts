// For tests that run `lore` as a child process: the bundled CLI users run, not tsx over the sources.
import { fileURLToPath } from "node:url";

/**
 * apps/cli/bin/lore.mjs: rebuilds the bundle when a source changed since (vitest's global set-up
 * does that once before any file runs), then runs it in the same process, so a signal sent to the
 * child reaches Lore itself. It starts in well under a second where tsx compiles every module.
 */
export const LORE_BIN = fileURLToPath(new URL("../bin/lore.mjs", import.meta.url));

/** The command and arguments that run `lore <args>`. */
export function loreCommand(args: readonly string[]): [string, string[]] {
  return [process.execPath, [LORE_BIN, ...args]];
}
