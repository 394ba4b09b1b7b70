// Lets PGlite send vectors as pgvector's binary input, as node-postgres does for any Buffer.
import type { PGlite } from "@electric-sql/pglite";

/**
 * PGlite turns a parameter into text with the serializer registered for its type, or
 * `toString()`, which would garble a Buffer; a serializer that hands bytes back makes PGlite
 * bind them as a binary parameter. pgvector is created first so its type has an oid to key on
 * (migration 0000 creates it the same way on any database).
 */
export async function sendVectorsAsBinary(pglite: PGlite): Promise<void> {
  await pglite.exec("CREATE EXTENSION IF NOT EXISTS vector");
  const { rows } = await pglite.query<{ oid: number }>("SELECT 'vector'::regtype::oid AS oid");
  const oid = rows[0]?.oid;
  if (oid === undefined) throw new Error("pgvector's vector type is missing");
  // PGlite's Serializer type says string; its bind sends any byte view as binary.
  pglite.serializers[oid] = (value: unknown) =>
    (value instanceof Uint8Array ? value : String(value)) as unknown as string;
}
