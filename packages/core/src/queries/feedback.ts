// Feedback on a logged answer: thumbs up or down with an optional comment.
import { feedback, queries } from "@lore/db";
import { eq } from "drizzle-orm";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { newId } from "../ids";
import type { FeedbackRequest } from "./schemas";

/**
 * Records feedback on a logged answer. `collections` (a collection-limited key's) hides answers
 * from other collections: they are "not found" like unknown ids, so their existence does not leak.
 */
export async function recordFeedback(
  context: Pick<LoreContext, "db">,
  request: FeedbackRequest,
  keyId: string | null = null,
  collections: readonly string[] | null = null,
): Promise<{ id: string }> {
  const [query] = await context.db
    .select({ id: queries.id, collection: queries.collection })
    .from(queries)
    .where(eq(queries.id, request.queryId));
  if (!query || (collections && !collections.includes(query.collection))) {
    throw new LoreError("not_found", `No answer with queryId "${request.queryId}".`);
  }
  const id = newId("fb");
  await context.db.insert(feedback).values({
    id,
    queryId: request.queryId,
    rating: request.rating,
    comment: request.comment ?? null,
    keyId,
  });
  return { id };
}
