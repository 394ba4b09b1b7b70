// @ts-check
// Worker thread that extracts a PDF's page texts with pdf.js (unpdf), away from the job's event loop.
//
// Plain JavaScript on purpose: Node 20 cannot start a worker from a .ts file, and this file is
// loaded as it is from packages/core/src both under tsx/vitest and by the CLI's esbuild bundle
// (which keeps each module's import.meta.url pointing at its source, so pdf-text.ts finds it).
// pdf-text.ts validates every message this file sends.
import { parentPort, workerData } from "node:worker_threads";
import { inflateSync } from "node:zlib";
import { extractText, getDocumentProxy } from "unpdf";

/** @typedef {{ bytes: Uint8Array, maxDecompressedBytes: number }} PdfJob */

const STREAM = Buffer.from("stream");
const END_STREAM = Buffer.from("endstream");
const OBJ = Buffer.from("obj");
// How far before a `stream` keyword its dictionary is looked for.
const DICTIONARY_WINDOW = 4096;

/**
 * Inflates every Flate stream the text extraction may decode, stopping once their total passes
 * `limit`: a few hundred KB of PDF can hold gigabytes of zeros. Images are left out (text
 * extraction never decodes them), and so are streams that are not plain zlib data (other
 * filters): the wall-time and memory limits of the worker cover those.
 * @param {Buffer} bytes
 * @param {number} limit
 * @returns {boolean} true when the streams decompress to more than `limit` bytes
 */
function exceedsDecompressedLimit(bytes, limit) {
  if (!Number.isFinite(limit)) return false;
  let total = 0;
  for (let at = bytes.indexOf(STREAM); at !== -1; at = bytes.indexOf(STREAM, at + 1)) {
    // `endstream` contains `stream`; only the keyword that opens a stream counts.
    if (at >= 3 && bytes.subarray(at - 3, at).toString("latin1") === "end") continue;
    let start = at + STREAM.length;
    if (bytes[start] === 0x0d) start += 1;
    if (bytes[start] === 0x0a) start += 1;
    const objectStart = bytes.lastIndexOf(OBJ, at);
    const dictionary = bytes
      .subarray(Math.max(objectStart, at - DICTIONARY_WINDOW, 0), at)
      .toString("latin1");
    if (/\/Subtype\s*\/Image\b/.test(dictionary)) continue;
    const end = bytes.indexOf(END_STREAM, start);
    const data = bytes.subarray(start, end === -1 ? bytes.length : end);
    try {
      total += inflateSync(data, { maxOutputLength: Math.max(1, limit - total + 1) }).length;
    } catch (error) {
      // RangeError: more output than allowed. Anything else: not zlib data, pdf.js decides.
      if (error instanceof RangeError) return true;
    }
    if (total > limit) return true;
  }
  return false;
}

/** @param {PdfJob} job */
async function extract(job) {
  const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  if (exceedsDecompressedLimit(bytes, job.maxDecompressedBytes)) {
    return {
      ok: false,
      reason: `its streams decompress to more than the ${job.maxDecompressedBytes}-byte limit`,
    };
  }
  const pdf = await getDocumentProxy(new Uint8Array(job.bytes));
  try {
    const { text } = await extractText(pdf, { mergePages: false });
    return { ok: true, pages: text };
  } finally {
    await pdf.loadingTask.destroy();
  }
}

try {
  parentPort?.postMessage(await extract(/** @type {PdfJob} */ (workerData)));
} catch (error) {
  parentPort?.postMessage({
    ok: false,
    reason: error instanceof Error ? error.message : String(error),
  });
}
