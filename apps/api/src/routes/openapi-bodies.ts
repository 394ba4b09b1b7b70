// The request and problem bodies of zod-openapi route declarations, declared the same way by every route.
import type { z } from "zod";

export function jsonBody<Schema extends z.ZodType>(schema: Schema) {
  return { required: true, content: { "application/json": { schema } } } as const;
}

export function problems<Schema extends z.ZodType>(schema: Schema, statuses: readonly number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: "Problem details", content: { "application/problem+json": { schema } } },
    ]),
  );
}
