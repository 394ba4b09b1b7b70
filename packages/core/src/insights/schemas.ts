// Request and response schemas of the insights verbs: documentation gaps, usage over time, retention.
import { z } from "zod";
import { CollectionName } from "../collections/schemas";

export const DEFAULT_INSIGHTS_DAYS = 30;
const DAY_MS = 86_400_000;

/** A window start: ISO date or date-time; defaults to DEFAULT_INSIGHTS_DAYS ago. */
const Since = z.coerce.date().optional();

export function windowStart(since: Date | undefined, now: Date = new Date()): Date {
  return since ?? new Date(now.getTime() - DEFAULT_INSIGHTS_DAYS * DAY_MS);
}

export const GapsRequest = z
  .object({
    collection: CollectionName.default("default"),
    since: Since,
    limit: z.coerce.number().int().min(1).max(200).default(20),
  })
  .strict();
export type GapsRequest = z.input<typeof GapsRequest>;

export const GapQuestion = z.object({ question: z.string(), count: z.number().int() });

export const Gap = z.object({
  /** Stable while the group's most asked question stays its representative. */
  id: z.string(),
  representative: z.string(),
  /** The group's distinct questions, most asked first (at most 10). */
  questions: z.array(GapQuestion),
  /** Times a question of the group was refused, fell back, or got a thumbs-down. */
  count: z.number().int(),
  refused: z.number().int(),
  fallback: z.number().int(),
  thumbsDown: z.number().int(),
  lastAsked: z.string(),
  /** Sources the group's failed answers cited, most cited first. */
  cited: z.array(z.object({ source: z.string(), count: z.number().int() })),
  /** Sources retrieval returns for the representative question now (what came closest). */
  retrieved: z.array(z.string()),
  status: z.enum(["open", "resolved"]),
  resolvedAt: z.string().nullable(),
});
export type Gap = z.infer<typeof Gap>;

export const GapsResponse = z.object({
  collection: z.string(),
  since: z.string(),
  /** Failed asks in the window, and distinct questions among them (clustered: at most MAX_GAP_QUESTIONS). */
  failedAsks: z.number().int(),
  distinctQuestions: z.number().int(),
  gaps: z.array(Gap),
});
export type GapsResponse = z.infer<typeof GapsResponse>;

export const ResolveGapRequest = z
  .object({
    collection: CollectionName.default("default"),
    gapId: z.string().regex(/^gap_[A-Za-z0-9_-]+$/, "a gap id (gap_…)"),
    since: Since,
  })
  .strict();
export type ResolveGapRequest = z.input<typeof ResolveGapRequest>;

export const ResolveGapResponse = z.object({ id: z.string(), resolvedAt: z.string() });

export const UsageRequest = z
  .object({
    collection: CollectionName.optional(),
    since: Since,
  })
  .strict();
export type UsageRequest = z.input<typeof UsageRequest>;

export const Percentiles = z.object({ p50: z.number().nullable(), p95: z.number().nullable() });

export const LATENCY_STAGES = ["embedMs", "retrieveMs", "generateMs", "totalMs"] as const;
export const StageLatency = z.object({
  embedMs: Percentiles,
  retrieveMs: Percentiles,
  generateMs: Percentiles,
  totalMs: Percentiles,
});

const Counts = {
  questions: z.number().int(),
  answered: z.number().int(),
  refused: z.number().int(),
  fallback: z.number().int(),
  thumbsUp: z.number().int(),
  thumbsDown: z.number().int(),
  /** Up votes over all votes; null without votes. */
  thumbsUpRate: z.number().nullable(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  costUsd: z.number(),
  latency: StageLatency,
};

export const UsageDay = z.object({
  day: z.string(),
  collection: z.string(),
  /** The API key's name; "(no key)" for the CLI or with auth off. */
  key: z.string(),
  ...Counts,
});
export type UsageDay = z.infer<typeof UsageDay>;

export const UsageResponse = z.object({
  since: z.string(),
  collections: z.array(z.string()),
  totals: z.object(Counts),
  days: z.array(UsageDay),
  topCited: z.array(
    z.object({ collection: z.string(), source: z.string(), citations: z.number().int() }),
  ),
  /** Documents no answer in the window cited (the first 100 by collection and source). */
  neverCited: z.array(z.object({ collection: z.string(), source: z.string() })),
});
export type UsageResponse = z.infer<typeof UsageResponse>;

export const RetentionResult = z.object({
  queries: z.number().int(),
  feedback: z.number().int(),
  before: z.string(),
});
export type RetentionResult = z.infer<typeof RetentionResult>;
