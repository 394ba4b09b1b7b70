// What every domain verb runs against; built once by each app's composition root.
import type { LoreDb } from "@lore/db";
import type { Embedder } from "@lore/providers";

export interface LoreContext {
  db: LoreDb;
  embedder: Embedder;
}
