// Builds small PDFs for tests, byte by byte: pages of text lines, or one whose stream is a Flate bomb.
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

function escaped(line: string): string {
  return line.replace(/[\\()]/g, (character) => `\\${character}`);
}

/**
 * A PDF with one page per entry of `pages`, each showing its lines in 12 pt Helvetica, 20 pt
 * apart from the top; `padding` bytes of spaces follow the text operators of the last page in the
 * same Flate content stream: 100 MB of them compress to about 100 KB (a decompression bomb).
 */
export function textPdf(pages: string[][], padding = 0): Buffer {
  // Objects: 1 catalog, 2 page tree, 3 font, then a page and its content stream per page.
  const pageObject = (index: number) => 4 + index * 2;
  const bodies: (string | Buffer)[][] = [
    ["<< /Type /Catalog /Pages 2 0 R >>"],
    [
      `<< /Type /Pages /Kids [${pages.map((_, index) => `${pageObject(index)} 0 R`).join(" ")}]`,
      ` /Count ${pages.length} >>`,
    ],
    ["<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"],
  ];
  pages.forEach((lines, index) => {
    const operators = lines.map((line, row) => {
      const position = row === 0 ? "50 700 Td" : "0 -20 Td";
      return `${position} (${escaped(line)}) Tj`;
    });
    const content = Buffer.from(`BT /F1 12 Tf ${operators.join(" ")} ET\n`, "latin1");
    const last = index === pages.length - 1 && padding > 0;
    bodies.push(
      [
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]",
        ` /Contents ${pageObject(index) + 1} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`,
      ],
      flateStream(last ? Buffer.concat([content, Buffer.alloc(padding, 0x20)]) : content),
    );
  });
  return pdfOf(bodies);
}

/** One page showing `line`, with `padding` as in textPdf. */
export function onePagePdf(line: string, padding = 0): Buffer {
  return textPdf([[line]], padding);
}
