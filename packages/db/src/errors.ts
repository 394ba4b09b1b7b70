// Classifies database errors: which mean "the database is unreachable", and how to log any error safely.

/** What may be logged or stored about an error: a stable code and a short driver message. */
export interface ErrorDescription {
  /** SQLSTATE (`23505`), a socket errno (`ECONNRESET`), or the error's class name. */
  code: string;
  /** The driver's own short message, control characters removed, at most MAX_MESSAGE long. */
  message: string;
}

const MAX_MESSAGE = 200;
const MAX_CAUSE_DEPTH = 8;

// Class 08 is "connection exception"; 57P01-03 are admin/crash shutdown and "cannot connect now"
// (a restarting server); 53300 is too_many_connections, which clears as clients reconnect.
const CONNECTION_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);
const CONNECTION_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
// node-postgres reports a dropped socket or an exhausted connect timeout with plain Errors.
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /client has encountered a connection error/i,
  // A client given back to the pool after its connection broke, used by code still holding it.
  /client was closed and is not queryable/i,
  /timeout exceeded when trying to connect/i,
  /connection timeout/i,
  /server closed the connection unexpectedly/i,
  /terminating connection due to administrator command/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

interface ErrorFields {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  name?: unknown;
}

/** The error and its causes, outermost first (drizzle wraps the driver's error in `cause`). */
function causeChain(error: unknown): ErrorFields[] {
  const chain: ErrorFields[] = [];
  let current: unknown = error;
  while (current !== null && typeof current === "object" && chain.length < MAX_CAUSE_DEPTH) {
    chain.push(current as ErrorFields);
    const fields = current as ErrorFields;
    // AggregateError (a failed dual-stack connect) holds the real socket errors in `errors`.
    const nested = (current as { errors?: unknown }).errors;
    current = fields.cause ?? (Array.isArray(nested) ? nested[0] : undefined);
  }
  return chain;
}

function stringCode(fields: ErrorFields): string | undefined {
  return typeof fields.code === "string" && fields.code.length > 0 ? fields.code : undefined;
}

/**
 * True when the error means the database cannot be reached right now (a restart, a failover, a
 * terminated backend, a refused or reset socket): callers answer 503 and retry, never crash.
 */
export function isConnectionError(error: unknown): boolean {
  return causeChain(error).some((fields) => {
    const code = stringCode(fields);
    if (code && (code.startsWith("08") || CONNECTION_SQLSTATES.has(code))) return true;
    if (code && CONNECTION_ERRNOS.has(code)) return true;
    const message = typeof fields.message === "string" ? fields.message : "";
    return CONNECTION_MESSAGES.some((pattern) => pattern.test(message));
  });
}

/**
 * A loggable summary of any error. Drizzle's DrizzleQueryError message carries the SQL and every
 * parameter (document text, questions, key hashes), so it is never used: the code and message
 * come from the innermost error that has a code (the driver's), else the innermost error.
 * Postgres's `detail` (which quotes row values) is left out for the same reason, and so are the
 * values data exceptions quote in their message.
 */
export function describeError(error: unknown): ErrorDescription {
  const chain = causeChain(error);
  if (chain.length === 0) return { code: "unknown", message: oneLine(String(error)) };
  const coded = [...chain].reverse().find((fields) => stringCode(fields) !== undefined);
  const innermost = coded ?? chain[chain.length - 1] ?? {};
  const code =
    stringCode(innermost) ?? (typeof innermost.name === "string" ? innermost.name : "Error");
  const message = isDrizzleQueryError(innermost)
    ? "database query failed"
    : typeof innermost.message === "string"
      ? innermost.message
      : "";
  return { code, message: oneLine(code.startsWith("22") ? redactQuoted(message) : message) };
}

/**
 * Postgres's data exceptions (SQLSTATE class 22) quote the offending value in the message itself
 * (`invalid input syntax for type integer: "…"`, `value "…" is out of range`): that value is a
 * query parameter, so it goes. Other classes quote identifiers (constraints, relations), kept.
 */
function redactQuoted(message: string): string {
  return message.replace(/"[\s\S]*"/, '"…"');
}

function isDrizzleQueryError(fields: ErrorFields): boolean {
  return typeof fields.message === "string" && fields.message.startsWith("Failed query:");
}

/**
 * A parser's or driver's message as one short line, safe in a log line and a text or jsonb column:
 * control characters (a NUL from a bad file) and whitespace runs become one space.
 */
export function oneLine(message: string, max = MAX_MESSAGE): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const line = message.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim();
  const short = line.length <= max ? line : `${line.slice(0, max - 1)}…`;
  // Lone surrogates (from a bad file, or the cut above) are invalid in a JSON log or a text column.
  return short.toWellFormed();
}
