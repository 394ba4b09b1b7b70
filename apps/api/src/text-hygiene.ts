// Refuses text Postgres cannot store or that breaks JSON (NUL, unpaired surrogates) and over-deep JSON, at every /v1 entrance.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env";
import { problemResponse } from "./problem";

/** Nesting levels a JSON body may have (the body itself is level 1): metadata is at most 19 deep. */
export const MAX_JSON_DEPTH = 20;

/** Why `text` cannot be accepted, or undefined when it can. */
export function textProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return "must not contain NUL (\\u0000) characters";
  if (!text.isWellFormed()) return "must not contain unpaired UTF-16 surrogates";
  return undefined;
}

/**
 * The first problem in a parsed JSON value: an unacceptable string (as a key or a value) or
 * nesting deeper than `maxDepth`, with where it is. Walks with an explicit stack, so hostile
 * nesting cannot overflow the call stack.
 */
export function jsonProblem(value: unknown, maxDepth: number = MAX_JSON_DEPTH): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value, path: "body", depth: 1 },
  ];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value: current, path, depth } = item;
    if (typeof current === "string") {
      const problem = textProblem(current);
      if (problem) return `${path}: ${problem}`;
      continue;
    }
    if (typeof current !== "object" || current === null) continue;
    if (depth > maxDepth) return `${path}: JSON nests deeper than ${maxDepth} levels`;
    const entries = Array.isArray(current)
      ? current.map((element, index) => [String(index), element] as const)
      : Object.entries(current);
    for (const [key, element] of entries) {
      const keyProblem = textProblem(key);
      if (keyProblem) return `${path}: a key ${keyProblem}`;
      stack.push({ value: element, path: `${path}.${key.slice(0, 40)}`, depth: depth + 1 });
    }
  }
  return undefined;
}

// Hono's own test for a JSON body (its validator's), so every body a route parses is checked here first.
const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

function isJson(contentType: string | undefined): boolean {
  return JSON_TYPE.test((contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "");
}

/**
 * Checks the path, the query string and a JSON body before any route sees them, so no route can
 * forget to: a bad value answers 400 invalid_request and nothing is written. A body that is not
 * valid JSON is left to the route's validator, which rejects it.
 */
export function textHygiene(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const invalid = (detail: string) => problemResponse(c, "invalid_request", detail);
    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      return invalid("path: is not valid percent-encoded UTF-8");
    }
    const pathProblem = textProblem(path);
    if (pathProblem) return invalid(`path: ${pathProblem}`);
    for (const [name, values] of Object.entries(c.req.queries())) {
      for (const text of [name, ...values]) {
        const problem = textProblem(text);
        if (problem) return invalid(`query.${name.slice(0, 40)}: ${problem}`);
      }
    }
    if (isJson(c.req.header("content-type"))) {
      // Hono caches the parsed body, so the route's validator reads it again for free.
      const body: unknown = await c.req.json().catch(() => undefined);
      const problem = jsonProblem(body);
      if (problem) return invalid(problem);
    }
    await next();
  };
}
