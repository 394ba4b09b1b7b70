// Content hashes decide what changed between ingests.
import { createHash } from "node:crypto";

export function contentHash(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}
