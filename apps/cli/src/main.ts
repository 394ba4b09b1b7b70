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
// A login the server refused, or a database it does not have: DATABASE_URL is wrong, not Lore.
const LOGIN_ERRORS = new Set(["28P01", "28000", "3D000"]);

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`lore: ${await describeFailure(error)}\n`);
  process.exit(1);
}

/**
 * Lore's own errors print their message. Anything unexpected prints its code and the driver's
 * short message (describeError): a database error's stack and message carry the SQL and every
 * parameter, document text and key hashes among them. LORE_DEBUG=1 adds the stack.
 */
async function describeFailure(error: unknown): Promise<string> {
  if (!(error instanceof Error)) return String(error);
  // The command that threw has loaded the error classes already, so this import is cheap; when
  // one of them is what failed to load, its stack is the useful part.
  const expected = await import("./expected-failure").catch(() => undefined);
  if (!expected) return error.stack ?? error.message;
  if (expected.isExpectedFailure(error)) return error.message;
  // The driver's error, under any wrapper (drizzle's query error, which quotes the SQL).
  const { code, message } = expected.describeError(error);
  const unreachable = databaseUnreachable(code, message);
  if (unreachable) return unreachable;
  const summary = `unexpected error: ${code}: ${message}`;
  return process.env.LORE_DEBUG === "1"
    ? `${summary}\n${error.stack ?? ""}`
    : `${summary} (LORE_DEBUG=1 prints the stack)`;
}

function databaseUnreachable(code: string, message: string): string | undefined {
  if (!process.env.DATABASE_URL) return undefined;
  if (NETWORK_ERRORS.has(code)) {
    return `cannot reach the database at DATABASE_URL (${message}). Is Postgres running and the URL right?`;
  }
  if (LOGIN_ERRORS.has(code)) {
    return `the database server refused DATABASE_URL (${message}). Check its user, password and database name.`;
  }
  return undefined;
}
