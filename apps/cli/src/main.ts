#!/usr/bin/env node
// `lore`: the command line for serving, migrating, ingesting, asking and searching.
import { createProgram } from "./program";

// Network failures reaching Postgres are an operator's problem to fix, not a bug: no stack.
// (Declared before the top-level await below, which may already need it.)
const NETWORK_ERRORS = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
]);

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`lore: ${await describeFailure(error)}\n`);
  process.exit(1);
}

/** Lore's own errors print their message; anything unexpected prints its stack. */
async function describeFailure(error: unknown): Promise<string> {
  if (!(error instanceof Error)) return String(error);
  // The command that threw has loaded these modules already, so importing them here is free;
  // when one of them is what failed to load, its stack is the useful part.
  const modules = await Promise.all([
    import("@lore/config"),
    import("@lore/core"),
    import("@lore/db"),
  ]).catch(() => undefined);
  if (!modules) return error.stack ?? error.message;
  const [{ ConfigError }, { LoreError }, { DataDirLockedError }] = modules;
  const known =
    error instanceof LoreError ||
    error instanceof ConfigError ||
    error instanceof DataDirLockedError;
  if (known) return error.message;
  const unreachable = databaseUnreachable(error);
  return unreachable ?? error.stack ?? error.message;
}

function databaseUnreachable(error: Error): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (!process.env.DATABASE_URL || code === undefined || !NETWORK_ERRORS.has(code))
    return undefined;
  return `cannot reach the database at DATABASE_URL (${error.message}). Is Postgres running and the URL right?`;
}
