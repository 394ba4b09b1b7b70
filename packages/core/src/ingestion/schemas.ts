// The ingestion domain's shapes: what an ingest reports (progress while it runs, the summary
// stored on its job) and the single-document push API's requests and responses.
import { z } from "zod";

export const IngestProgress = z.object({
  /** Files the walk found (known up front, so a progress bar has a total). */
  filesSeen: z.number().int(),
  /** Files written or found unchanged. */
  filesProcessed: z.number().int(),
  /** Files skipped with a reason (unsupported, binary, empty, too large, undecodable). */
  filesSkipped: z.number().int(),
  /** Files that could not be read at all (also listed in the summary's skipped files). */
  filesFailed: z.number().int(),
  chunksEmbedded: z.number().int(),
  chunksWritten: z.number().int(),
  /** The file last finished. */
  source: z.string().optional(),
});
export type IngestProgress = z.infer<typeof IngestProgress>;

export const IngestStages = z.object({
  /** Walking the folder and loading what the collection stores for it. */
  list: z.number(),
  /** Reading, converting and chunking files, and looking up the vectors already stored. */
  read: z.number(),
  /** Waiting on embedding requests. */
  embed: z.number(),
  /** Write transactions. */
  write: z.number(),
  /** Dropping and rebuilding the HNSW and full-text indexes around a bulk load. */
  index: z.number(),
  /**
   * The writes waiting for the next batch to be read and embedded: near 0 when the database is
   * the bottleneck, most of the job when the embedder or the reading is. Absent on older jobs.
   */
  waiting: z.number().optional(),
  /** Deleting documents whose files are gone (sync). */
  sync: z.number(),
});
export type IngestStages = z.infer<typeof IngestStages>;

export const IngestSummary = z.object({
  collection: z.string(),
  documents: z.object({
    added: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    deleted: z.number().int(),
  }),
  chunks: z.object({ added: z.number().int(), deleted: z.number().int() }),
  textsEmbedded: z.number().int(),
  skipped: z.array(z.object({ source: z.string(), reason: z.string() })),
  ms: z.number(),
  /**
   * Milliseconds spent in each stage. Reading (and chunking) and embedding run ahead of the
   * writes and several at once, so the stages add up to more than `ms`; absent on jobs recorded
   * before stages were measured.
   */
  stages: IngestStages.optional(),
});
export type IngestSummary = z.infer<typeof IngestSummary>;

const Source = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (value) => [...value].every((character) => character.charCodeAt(0) >= 0x20),
    "must not contain control characters",
  );

/** Formats whose bytes are not text: a JSON string of them would be indexed as gibberish. */
const BINARY_MIME_TYPE =
  /^(?:image|audio|video|font)\/|^application\/(?:pdf|octet-stream|zip|gzip|x-tar|x-7z-compressed|msword|vnd\.(?:ms-|openxmlformats|oasis))/;

export const PutDocumentRequest = z
  .object({
    source: Source,
    title: z.string().trim().min(1).max(500).optional(),
    content: z.string().refine((value) => value.trim() !== "", "must not be empty"),
    mimeType: z
      .string()
      .regex(/^[a-z]+\/[a-z0-9.+-]+$/, "a mime type such as text/markdown")
      .refine(
        (value) => !BINARY_MIME_TYPE.test(value),
        "a binary format (a PDF, an image, an office file) cannot be pushed as text: put the file where a folder ingest or a source reads it",
      )
      .default("text/markdown"),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type PutDocumentRequest = z.infer<typeof PutDocumentRequest>;

export const PutDocumentResponse = z.object({
  documentId: z.string(),
  source: z.string(),
  outcome: z.enum(["added", "updated", "unchanged"]),
  chunks: z.number().int(),
  textsEmbedded: z.number().int(),
});
export type PutDocumentResponse = z.infer<typeof PutDocumentResponse>;

export const DeleteDocumentResponse = z.object({
  documentId: z.string(),
  source: z.string(),
  chunksDeleted: z.number().int(),
});
export type DeleteDocumentResponse = z.infer<typeof DeleteDocumentResponse>;
