// Schemas of feedback on a logged answer: thumbs up or down with an optional comment.
import { z } from "zod";

export const FeedbackRequest = z
  .object({
    queryId: z.string().min(1).max(100),
    rating: z.enum(["up", "down"]),
    comment: z.string().max(2000).optional(),
  })
  .strict();
export type FeedbackRequest = z.infer<typeof FeedbackRequest>;

export const FeedbackResponse = z.object({ id: z.string() });
