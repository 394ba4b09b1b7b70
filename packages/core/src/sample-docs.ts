// Where the bundled sample team docs live (loaded by `pnpm start` into an empty default collection).
import { fileURLToPath } from "node:url";

export const SAMPLE_DOCS_DIR = fileURLToPath(new URL("../../../fixtures/docs", import.meta.url));
