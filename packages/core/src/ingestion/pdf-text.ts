// Extracts a PDF's page texts in a worker thread with wall-time, memory and decompressed-size limits.
import { Worker } from "node:worker_threads";
import { z } from "zod";

export interface PdfLimits {
  /** A PDF still being read after this long is skipped (its worker is stopped). */
  timeoutMs?: number;
  /** V8 heap of the parsing worker, in MB; a PDF needing more is skipped. */
  maxHeapMb?: number;
  /** The Flate streams text extraction would decode may hold at most this many bytes in all. */
  maxDecompressedBytes?: number;
}

// Generous for a real 10 MB manual (pdf.js reads a few hundred pages a second); a bomb is refused
// by the decompressed-size check in well under a second.
const DEFAULT_PDF_LIMITS: Required<PdfLimits> = {
  timeoutMs: 60_000,
  maxHeapMb: 512,
  maxDecompressedBytes: 64 * 1024 * 1024,
};

/** The PDF's page texts, or why it cannot be read. */
export type PdfText = { ok: true; pages: string[] } | { ok: false; reason: string };

const WorkerReply = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), pages: z.array(z.string()) }),
  z.object({ ok: z.literal(false), reason: z.string() }),
]);

// Resolved from this module's source location, which the CLI bundle keeps (bundle.mjs).
const WORKER_FILE = new URL("./pdf-worker.mjs", import.meta.url);

/**
 * Parses the PDF off the calling thread: pdf.js decodes and parses synchronously for seconds on a
 * crafted file, which would stall every lease heartbeat of the process. A worker that overruns
 * its time or memory is terminated; the file is then skipped, never the job.
 */
export function pdfText(
  bytes: Uint8Array,
  limits: PdfLimits = {},
  signal?: AbortSignal,
): Promise<PdfText> {
  const { timeoutMs, maxHeapMb, maxDecompressedBytes } = { ...DEFAULT_PDF_LIMITS, ...limits };
  // A copy the worker owns: transferring it leaves the caller's buffer intact.
  const owned = new Uint8Array(bytes);
  return new Promise<PdfText>((resolve) => {
    let settled = false;
    const settle = (result: PdfText) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", stop);
      void worker.terminate();
      resolve(result);
    };
    // A stopped ingest does not wait out the parse: the worker goes at once.
    const stop = () => settle({ ok: false, reason: "the ingest was stopped" });
    const worker = new Worker(WORKER_FILE, {
      workerData: { bytes: owned, maxDecompressedBytes },
      transferList: [owned.buffer],
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
      // The worker's own output is pdf.js warnings about the file: not the job's to print.
      stdout: true,
      stderr: true,
    });
    // Discarded, not buffered: a malformed file can make pdf.js warn for every object.
    worker.stdout.resume();
    worker.stderr.resume();
    // A background thread: a stuck parse must never keep the process from exiting.
    worker.unref();
    const timer = setTimeout(
      () => settle({ ok: false, reason: `reading it took longer than ${timeoutMs} ms` }),
      timeoutMs,
    );
    signal?.addEventListener("abort", stop, { once: true });
    if (signal?.aborted) stop();
    worker.on("message", (message: unknown) => {
      const reply = WorkerReply.safeParse(message);
      if (!reply.success) return settle({ ok: false, reason: "the PDF reader gave no answer" });
      settle(
        reply.data.ok
          ? { ok: true, pages: reply.data.pages.map((page) => page.replace(/\r\n?/g, "\n")) }
          : reply.data,
      );
    });
    worker.on("error", (error: Error & { code?: string }) => {
      settle({
        ok: false,
        reason:
          error.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? `reading it needed more than ${maxHeapMb} MB of memory`
            : error.message,
      });
    });
    worker.on("exit", () => settle({ ok: false, reason: "the PDF reader stopped" }));
  });
}
