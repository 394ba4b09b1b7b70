// Maps domain errors to HTTP problem+json responses (RFC 9457): one place for codes and statuses.
import { describeError, type ErrorCode, isConnectionError, LoreError } from "@lore/core";
import { ProviderError } from "@lore/providers";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "pino";
import { z } from "zod";

export const STATUS_BY_CODE: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  provider_unavailable: 503,
  unavailable: 503,
  timeout: 504,
};

const TITLE_BY_CODE: Record<ErrorCode, string> = {
  invalid_request: "Invalid request",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  not_found: "Not found",
  conflict: "Conflict",
  payload_too_large: "Payload too large",
  rate_limited: "Too many requests",
  internal: "Internal error",
  provider_unavailable: "Provider unavailable",
  unavailable: "Service unavailable",
  timeout: "Gateway timeout",
};

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  requestId: z.string(),
});
export type Problem = z.infer<typeof Problem>;

export function problemResponse(
  context: Context,
  code: ErrorCode,
  detail: string,
  retryAfterSeconds?: number,
): Response {
  const status = STATUS_BY_CODE[code];
  const body: Problem = {
    type: `https://lore.dev/problems/${code.replaceAll("_", "-")}`,
    title: TITLE_BY_CODE[code],
    status,
    detail,
    code,
    requestId: context.get("requestId") ?? "",
  };
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (retryAfterSeconds !== undefined) headers["retry-after"] = String(retryAfterSeconds);
  return context.body(JSON.stringify(body), status, headers);
}

/** A database restart or failover takes a few seconds; clients retry after this long. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/** Turns anything thrown into a problem; never leaks SQL or stack traces. */
export function classify(error: unknown): {
  code: ErrorCode;
  detail: string;
  retryAfterSeconds?: number;
} {
  // A LoreError with a code of its own says what went wrong; an "internal" one may wrap an outage.
  if (error instanceof LoreError && error.code !== "internal") {
    return {
      code: error.code,
      detail: error.message,
      ...(error.retryAfterSeconds === undefined
        ? {}
        : { retryAfterSeconds: error.retryAfterSeconds }),
    };
  }
  if (error instanceof ProviderError) {
    return {
      code: "provider_unavailable",
      detail: `The embedding or chat provider is unavailable (${error.message}). Try again shortly.`,
      retryAfterSeconds: 5,
    };
  }
  // Checked after ProviderError: a provider's refused socket is not the database's.
  if (isConnectionError(error)) {
    return {
      code: "unavailable",
      detail: "The database is unreachable right now. Try again shortly.",
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    };
  }
  if (error instanceof LoreError) return { code: error.code, detail: error.message };
  if (error instanceof HTTPException) {
    const code: ErrorCode =
      error.status === 413
        ? "payload_too_large"
        : error.status === 504
          ? "timeout"
          : error.status < 500
            ? "invalid_request"
            : "internal";
    return { code, detail: error.message || TITLE_BY_CODE[code] };
  }
  return { code: "internal", detail: "An unexpected error occurred; it has been logged." };
}

/**
 * Logs a failed request by code and a short message, never the error itself: drizzle's message
 * carries the SQL and every parameter (document text, questions, key hashes). Bad requests are
 * the client's business and are not logged; an unreachable database is a warning (it recovers).
 */
export function logFailure(
  logger: Logger,
  requestId: string | undefined,
  error: unknown,
  code: ErrorCode,
): void {
  const fields = { requestId, error: describeError(error) };
  if (code === "internal" || code === "provider_unavailable") {
    logger.error(fields, "request failed");
  } else if (code === "unavailable") {
    logger.warn(fields, "request failed: the database is unreachable");
  }
}

/** Validation hook for zod-openapi routes: the first issues, readably. */
export function validationProblem(context: Context, error: z.ZodError): Response {
  const detail = error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "body"}: ${issue.message}`)
    .join("; ");
  return problemResponse(context, "invalid_request", detail);
}
