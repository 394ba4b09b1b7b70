// Schema of a citation: a numbered source of an answer, located to its lines, with the quoted snippet.
import { z } from "zod";
import { ChunkLocation } from "../retrieval/schemas";

export const Citation = ChunkLocation.extend({ n: z.number().int(), snippet: z.string() });
export type Citation = z.infer<typeof Citation>;
