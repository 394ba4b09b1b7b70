// Builds small PDFs for tests, byte by byte: a one-page text PDF, or one whose stream is a Flate bomb.
import { deflateSync } from "node:zlib";

/** A PDF whose objects are these bodies (object n is bodies[n-1]); object 1 is the catalog. */
function pdfOf(bodies: (string | Buffer)[][]): Buffer {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const push = (part: string | Buffer) => {
    const bytes = typeof part === "string" ? Buffer.from(part, "latin1") : part;
    parts.push(bytes);
    length += bytes.length;
  };
  push("%PDF-1.4\n");
  bodies.forEach((body, index) => {
    offsets.push(length);
    push(`${index + 1} 0 obj\n`);
    for (const part of body) push(part);
    push("\nendobj\n");
  });
  const xref = length;
  const entries = offsets.map((offset) => `${String(offset).padStart(10, "0")} 00000 n \n`);
  push(`xref\n0 ${bodies.length + 1}\n0000000000 65535 f \n${entries.join("")}`);
  push(`trailer\n<< /Size ${bodies.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts);
}

function flateStream(data: Buffer): (string | Buffer)[] {
  const compressed = deflateSync(data);
  return [
    `<< /Length ${compressed.length} /Filter /FlateDecode >>\nstream\n`,
    compressed,
    "\nendstream",
  ];
}

/**
 * One page showing `line` in Helvetica; `padding` bytes of spaces follow the text operators in
 * the same Flate content stream: 100 MB of them compress to about 100 KB (a decompression bomb).
 */
export function onePagePdf(line: string, padding = 0): Buffer {
  const escaped = line.replace(/[\\()]/g, (character) => `\\${character}`);
  const content = Buffer.from(`BT /F1 12 Tf 50 700 Td (${escaped}) Tj ET\n`, "latin1");
  return pdfOf([
    ["<< /Type /Catalog /Pages 2 0 R >>"],
    ["<< /Type /Pages /Kids [3 0 R] /Count 1 >>"],
    [
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R",
      " /Resources << /Font << /F1 5 0 R >> >> >>",
    ],
    flateStream(padding > 0 ? Buffer.concat([content, Buffer.alloc(padding, 0x20)]) : content),
    ["<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"],
  ]);
}
