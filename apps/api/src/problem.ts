// Maps domain errors to HTTP problem+json responses (RFC 9457): one place for codes and statuses.
import { type ErrorCode, LoreError } from "@lore/core";
import { ProviderError } from "@lore/providers";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
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

/** Turns anything thrown into a problem; never leaks SQL or stack traces. */
export function classify(error: unknown): {
  code: ErrorCode;
  detail: string;
  retryAfterSeconds?: number;
} {
  if (error instanceof LoreError) {
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

/** Validation hook for zod-openapi routes: the first issues, readably. */
export function validationProblem(context: Context, error: z.ZodError): Response {
  const detail = error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "body"}: ${issue.message}`)
    .join("; ");
  return problemResponse(context, "invalid_request", detail);
}
