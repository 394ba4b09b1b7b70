// Splits a chunk's markdown into quotable units (sentences, list items, table rows, code) with their lines.
import { stripInlineMarkdown } from "../ingestion/chunk-markdown";

export interface EvidenceUnit {
  /** Readable text: inline markdown removed, table rows labelled by their header. */
  text: string;
  /** The same lines as they read in the source, less inline markdown: what a citation quotes. */
  quote: string;
  /** 1-based, inclusive lines in the source file. */
  startLine: number;
  endLine: number;
  /** Which section of the chunk it sits in: a new one starts at each heading line in the chunk. */
  section: number;
  /** Headings above it inside the chunk, outermost first; empty before the chunk's first heading. */
  sectionPath: string[];
  /** What the source made it: a step list reads as items and code, a table as rows. */
  kind: UnitKind;
}

export type UnitKind = "sentence" | "item" | "row" | "code";

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const LIST_ITEM = /^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const MAX_CODE_UNIT = 400;
const segmenter = new Intl.Segmenter("en", { granularity: "sentence" });

type Quotable = Omit<EvidenceUnit, "section" | "sectionPath" | "kind">;

/** `firstLine` is the file line of the chunk's first line. */
export function evidenceUnits(chunkText: string, firstLine: number): EvidenceUnit[] {
  const lines = chunkText.split("\n");
  const units: EvidenceUnit[] = [];
  let section = 0;
  let headings: { level: number; title: string }[] = [];
  let sectionPath: string[] = [];
  const add = (found: readonly Quotable[], kind: UnitKind = "sentence") => {
    for (const unit of found) units.push({ ...unit, section, sectionPath, kind });
  };
  let paragraph: { text: string; line: number }[] = [];
  let code: { text: string; line: number }[] | undefined;
  let tableHeader: string[] | undefined;

  const flushParagraph = () => {
    add(sentences(paragraph));
    paragraph = [];
  };

  lines.forEach((raw, index) => {
    const line = firstLine + index;
    if (FENCE.test(raw)) {
      if (code === undefined) {
        flushParagraph();
        code = [];
      } else {
        add(codeUnits(code), "code");
        code = undefined;
      }
      return;
    }
    if (code !== undefined) {
      code.push({ text: raw, line });
      return;
    }
    const heading = HEADING.exec(raw);
    if (raw.trim() === "" || heading) {
      flushParagraph();
      tableHeader = undefined;
      if (heading) {
        const level = heading[1]?.length ?? 1;
        headings = [
          ...headings.filter((entry) => entry.level < level),
          { level, title: stripInlineMarkdown(heading[2] ?? "") },
        ];
        sectionPath = headings.map((entry) => entry.title);
        section++;
      }
      return;
    }
    if (TABLE_ROW.test(raw)) {
      flushParagraph();
      const next = lines[index + 1];
      if (next !== undefined && TABLE_SEPARATOR.test(next)) {
        tableHeader = cells(raw);
      } else if (!TABLE_SEPARATOR.test(raw)) {
        const values = cells(raw);
        add(
          [
            {
              text: tableRow(values, tableHeader),
              quote: values.join(" | "),
              startLine: line,
              endLine: line,
            },
          ],
          "row",
        );
      }
      return;
    }
    if (LIST_ITEM.test(raw)) {
      flushParagraph();
      add(sentences([{ text: raw.replace(LIST_ITEM, ""), line }]), "item");
      return;
    }
    paragraph.push({ text: raw.trim(), line });
  });
  flushParagraph();
  if (code !== undefined) add(codeUnits(code), "code");
  return units.filter((unit) => /[\p{L}\p{N}]/u.test(unit.text));
}

/** A row's cells; a pipe escaped inside a cell ("Safety \| HSE") is the cell's text. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||(?<!\\)\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((cell) => stripInlineMarkdown(cell.trim().replaceAll("\\|", "|")));
}

function tableRow(values: string[], header: string[] | undefined): string {
  if (!header) return values.join(" | ");
  return values
    .map((value, index) => (header[index] ? `${header[index]}: ${value}` : value))
    .join("; ");
}

function codeUnits(code: { text: string; line: number }[]): Quotable[] {
  const first = code[0];
  const last = code.at(-1);
  if (!first || !last) return [];
  const whole = code.map((entry) => entry.text).join("\n");
  if (whole.length <= MAX_CODE_UNIT) {
    const text = whole.trim();
    return [{ text, quote: text, startLine: first.line, endLine: last.line }];
  }
  return code
    .filter((entry) => entry.text.trim() !== "")
    .map((entry) => {
      const text = entry.text.trim();
      return { text, quote: text, startLine: entry.line, endLine: entry.line };
    });
}

/** Sentence-segments a paragraph, mapping each sentence back to the lines it spans. */
function sentences(paragraph: { text: string; line: number }[]): Quotable[] {
  if (paragraph.length === 0) return [];
  const joined = paragraph.map((entry) => entry.text).join(" ");
  const lineAt = (offset: number): number => {
    let consumed = 0;
    for (const entry of paragraph) {
      consumed += entry.text.length + 1;
      if (offset < consumed) return entry.line;
    }
    return paragraph.at(-1)?.line ?? 0;
  };
  const result: Quotable[] = [];
  for (const segment of segmenter.segment(joined)) {
    const text = segment.segment.trim();
    if (text === "") continue;
    const start = segment.index + (segment.segment.length - segment.segment.trimStart().length);
    const readable = stripInlineMarkdown(text);
    result.push({
      text: readable,
      quote: readable,
      startLine: lineAt(start),
      endLine: lineAt(start + text.length - 1),
    });
  }
  return result;
}
