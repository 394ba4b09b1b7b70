// Column types drizzle does not ship in the shape Lore needs.
import { customType } from "drizzle-orm/pg-core";

/**
 * A pgvector column without a fixed dimension: each collection fixes its own
 * (its embedder's), and the HNSW index is built per dimension (see vector-index.ts).
 */
export const vector = customType<{ data: number[]; driverData: Buffer | string }>({
  dataType: () => "vector",
  toDriver: (value) => vectorBinary(value),
  fromDriver: (value) => JSON.parse(String(value)) as number[],
});

/**
 * pgvector's binary input (int16 dimensions, int16 zero, then each component as a big-endian
 * float4), which both drivers send as a binary parameter (node-postgres for any Buffer, PGlite
 * through binary-vectors.ts): the server takes the floats as they are instead of parsing 1,536
 * decimals a row, which was most of the cost of writing chunks (500 rows on PGlite over the wire:
 * 2.6-3.7 s as text, 0.15-0.25 s binary). Components are stored as float4 either way.
 */
export function vectorBinary(values: ArrayLike<number>): Buffer {
  const buffer = Buffer.allocUnsafe(vectorBinaryLength(values));
  writeVectorBinary(values, buffer, 0);
  return buffer;
}

/** Bytes of `values` in pgvector's binary input. */
export function vectorBinaryLength(values: ArrayLike<number>): number {
  return 4 + 4 * values.length;
}

/** Writes vectorBinary(values) into `target` at `offset` (a COPY row's buffer: no copy of its own); returns the end. */
export function writeVectorBinary(
  values: ArrayLike<number>,
  target: Buffer,
  offset: number,
): number {
  target.writeInt16BE(values.length, offset);
  target.writeInt16BE(0, offset + 2);
  const start = offset + 4;
  const end = start + 4 * values.length;
  if (values instanceof Float32Array && isLittleEndian) {
    // float32s already: one copy and a native byte swap instead of a write per component.
    Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(target, start);
    target.subarray(start, end).swap32();
    return end;
  }
  for (let index = 0; index < values.length; index++) {
    target.writeFloatBE(values[index] as number, start + 4 * index);
  }
  return end;
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export const tsvector = customType<{ data: string }>({
  dataType: () => "tsvector",
});
