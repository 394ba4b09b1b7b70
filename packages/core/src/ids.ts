// Ids shown to users carry their type as a prefix (doc_…, chk_…, qry_…).
import { randomBytes } from "node:crypto";

export type IdPrefix = "col" | "doc" | "chk" | "qry" | "job" | "key" | "fb" | "res" | "src" | "cnv";

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(12).toString("base64url")}`;
}
