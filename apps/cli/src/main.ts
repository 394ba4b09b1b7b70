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
  // The command that threw has loaded the error classes already, so this import is cheap; when
  // one of them is what failed to load, its stack is the useful part.
  const expected = await import("./expected-failure").catch(() => undefined);
  if (!expected) return error.stack ?? error.message;
  if (expected.isExpectedFailure(error)) return error.message;
  const unreachable = databaseUnreachable(error);
  return unreachable ?? error.stack ?? error.message;
}

function databaseUnreachable(error: Error): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (!process.env.DATABASE_URL || code === undefined || !NETWORK_ERRORS.has(code))
    return undefined;
  return `cannot reach the database at DATABASE_URL (${error.message}). Is Postgres running and the URL right?`;
}
