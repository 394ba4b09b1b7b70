// Feedback on a logged answer: thumbs up or down with an optional comment.
import { feedback, type LoreDb, queries } from "@lore/db";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { LoreError } from "./errors";
import { newId } from "./ids";

export const FeedbackRequest = z
  .object({
    queryId: z.string().min(1).max(100),
    rating: z.enum(["up", "down"]),
    comment: z.string().max(2000).optional(),
  })
  .strict();
export type FeedbackRequest = z.infer<typeof FeedbackRequest>;

export const FeedbackResponse = z.object({ id: z.string() });

/**
 * Records feedback on a logged answer. `collections` (a collection-limited key's) hides answers
 * from other collections: they are "not found" like unknown ids, so their existence does not leak.
 */
export async function recordFeedback(
  db: LoreDb,
  request: FeedbackRequest,
  keyId: string | null = null,
  collections: readonly string[] | null = null,
): Promise<{ id: string }> {
  const [query] = await db
    .select({ id: queries.id, collection: queries.collection })
    .from(queries)
    .where(eq(queries.id, request.queryId));
  if (!query || (collections && !collections.includes(query.collection))) {
    throw new LoreError("not_found", `No answer with queryId "${request.queryId}".`);
  }
  const id = newId("fb");
  await db.insert(feedback).values({
    id,
    queryId: request.queryId,
    rating: request.rating,
    comment: request.comment ?? null,
    keyId,
  });
  return { id };
}
