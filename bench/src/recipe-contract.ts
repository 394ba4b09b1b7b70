// What the ingest bench sends the LangChain.js recipe (bench/langchain) and reads back from it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The recipe's script; its packages live in bench/langchain/node_modules, outside the workspace. */
export const RECIPE_MAIN = fileURLToPath(new URL("../langchain/recipe.ts", import.meta.url));
export const RECIPE_INSTALL_COMMAND = "pnpm bench:install-langchain";

export function recipeInstalled(): boolean {
  return existsSync(
    fileURLToPath(new URL("../langchain/node_modules/@langchain/community", import.meta.url)),
  );
}

export const RecipeInput = z.object({
  folder: z.string().min(1),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//),
  baseUrl: z.url(),
  dimensions: z.coerce.number().int().min(8),
  /** The same chunk size and overlap as Lore's markdown chunker, so both embed similar amounts. */
  chunkSize: z.coerce.number().int().min(100),
  chunkOverlap: z.coerce.number().int().min(0),
});
export type RecipeInput = z.infer<typeof RecipeInput>;

export interface RecipeResult {
  documents: number;
  chunks: number;
  /** Milliseconds per stage, in order; `searchable` is after the first query answered. */
  stages: {
    read: number;
    split: number;
    embedAndInsert: number;
    index: number;
    firstQuery: number;
  };
  ms: number;
}

export const RECIPE_TABLE = "langchain_bench";
