// Insights rollups per UTC hour, day and week over the query log, kept current by triggers on queries and feedback (migration 0011).
import {
  bigint,
  date,
  doublePrecision,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/** Questions, outcomes, votes, tokens and cost per hour and day, collection and key ("" without a key). */
export const insightUsageRollups = pgTable(
  "insight_usage_rollups",
  {
    /** The UTC hour (0-23) of `day` the row sums, 24: the whole day, 25: the week from Monday `day`. */
    hour: smallint("hour").notNull(),
    day: date("day").notNull(),
    collection: text("collection").notNull(),
    keyId: text("key_id").notNull().default(""),
    questions: bigint("questions", { mode: "number" }).notNull().default(0),
    answered: bigint("answered", { mode: "number" }).notNull().default(0),
    refused: bigint("refused", { mode: "number" }).notNull().default(0),
    fallback: bigint("fallback", { mode: "number" }).notNull().default(0),
    thumbsUp: bigint("thumbs_up", { mode: "number" }).notNull().default(0),
    thumbsDown: bigint("thumbs_down", { mode: "number" }).notNull().default(0),
    promptTokens: bigint("prompt_tokens", { mode: "number" }).notNull().default(0),
    completionTokens: bigint("completion_tokens", { mode: "number" }).notNull().default(0),
    costUsd: doublePrecision("cost_usd").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.hour, table.day, table.collection, table.keyId] })],
);

/** Asks per latency histogram bucket (`lore_latency_bucket`, 10 % wide) per stage, hour and day. */
export const insightLatencyRollups = pgTable(
  "insight_latency_rollups",
  {
    /** The UTC hour (0-23) of `day` the row sums, 24: the whole day, 25: the week from Monday `day`. */
    hour: smallint("hour").notNull(),
    day: date("day").notNull(),
    collection: text("collection").notNull(),
    keyId: text("key_id").notNull().default(""),
    stage: text("stage").notNull(),
    bucket: smallint("bucket").notNull(),
    count: bigint("count", { mode: "number" }).notNull().default(0),
    /** The bucket's times summed: their mean is the value a percentile in the bucket reads. */
    sumMs: doublePrecision("sum_ms").notNull().default(0),
  },
  (table) => [
    primaryKey({
      columns: [table.hour, table.day, table.collection, table.keyId, table.stage, table.bucket],
    }),
  ],
);

/** Citations of each source per hour and day and collection (keyed by md5: a source may be long). */
export const insightCitationRollups = pgTable(
  "insight_citation_rollups",
  {
    /** The UTC hour (0-23) of `day` the row sums, 24: the whole day, 25: the week from Monday `day`. */
    hour: smallint("hour").notNull(),
    day: date("day").notNull(),
    collection: text("collection").notNull(),
    sourceHash: text("source_hash").notNull(),
    source: text("source").notNull(),
    citations: bigint("citations", { mode: "number" }).notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.hour, table.day, table.collection, table.sourceHash] })],
);

/** Failed asks (refused, fallback, voted down) per normalised question, collection, hour and day. */
export const insightGapQuestionRollups = pgTable(
  "insight_gap_question_rollups",
  {
    /** The UTC hour (0-23) of `day` the row sums, 24: the whole day, 25: the week from Monday `day`. */
    hour: smallint("hour").notNull(),
    collection: text("collection").notNull(),
    day: date("day").notNull(),
    questionHash: text("question_hash").notNull(),
    question: text("question").notNull(),
    asked: bigint("asked", { mode: "number" }).notNull().default(0),
    refused: bigint("refused", { mode: "number" }).notNull().default(0),
    fallback: bigint("fallback", { mode: "number" }).notNull().default(0),
    thumbsDown: bigint("thumbs_down", { mode: "number" }).notNull().default(0),
    lastAsked: timestamp("last_asked", { withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.hour, table.collection, table.day, table.questionHash] }),
  ],
);

/** Sources the failed answers of a question cited, per collection, hour and day. */
export const insightGapCitationRollups = pgTable(
  "insight_gap_citation_rollups",
  {
    /** The UTC hour (0-23) of `day` the row sums, 24: the whole day, 25: the week from Monday `day`. */
    hour: smallint("hour").notNull(),
    collection: text("collection").notNull(),
    day: date("day").notNull(),
    questionHash: text("question_hash").notNull(),
    sourceHash: text("source_hash").notNull(),
    source: text("source").notNull(),
    count: bigint("count", { mode: "number" }).notNull().default(0),
  },
  (table) => [
    primaryKey({
      columns: [table.hour, table.collection, table.day, table.questionHash, table.sourceHash],
    }),
  ],
);

/** Up and down votes per logged ask: whether an ask is voted down, without reading feedback. */
export const insightQueryVotes = pgTable("insight_query_votes", {
  queryId: text("query_id").primaryKey(),
  up: integer("up").notNull().default(0),
  down: integer("down").notNull().default(0),
});
