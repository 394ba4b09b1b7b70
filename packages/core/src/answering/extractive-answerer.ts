// The no-LLM answerer: quotes the retrieved sentences that best cover the question, or abstains.
import { terms } from "@lore/providers";
import type { Citation } from "../contract";
import type { RetrievedChunk } from "../retrieval/hybrid-search";
import { type EvidenceUnit, evidenceUnits } from "./evidence-units";

export interface ExtractiveOptions {
  /** Minimum share of the question's (idf-weighted) terms the best unit must cover. */
  abstainBelow: number;
  /** Retrieved chunks read, best first: lower-ranked chunks add more wrong candidates than answers. */
  maxChunks: number;
  /** Units quoted at most. */
  maxUnits: number;
  /** A further unit is quoted when it scores at least this share of the best one. */
  companionRatio: number;
  maxAnswerChars: number;
  /** Credit for a question term found elsewhere in the unit's chunk rather than in the unit. */
  chunkMatch: number;
  /** Abstain when a name the question asks about (e.g. "Japan", "reporting-service") is in no retrieved chunk. */
  requireNames: boolean;
}

export const DEFAULT_EXTRACTIVE: ExtractiveOptions = {
  abstainBelow: 0.5,
  maxChunks: 4,
  maxUnits: 3,
  companionRatio: 0.75,
  maxAnswerChars: 700,
  chunkMatch: 0.5,
  requireNames: true,
};

export interface DraftAnswer {
  answer: string;
  abstained: boolean;
  citations: Citation[];
}

export const NOT_FOUND_ANSWER = "I could not find this in the documents.";

interface ScoredUnit {
  unit: EvidenceUnit;
  chunk: RetrievedChunk;
  coverage: number;
  score: number;
}

// Heading words say what a sentence is about without being in it: they count for half.
const HEADING_MATCH = 0.5;
const RANK_PRIOR = 0.15;

export function extractiveAnswer(
  question: string,
  allRetrieved: readonly RetrievedChunk[],
  options: ExtractiveOptions = DEFAULT_EXTRACTIVE,
): DraftAnswer {
  const retrieved = allRetrieved.slice(0, options.maxChunks);
  const questionTerms = [...new Set(terms(question))];
  // Per document, the terms of everything retrieved from it: a name the question asks about
  // must be among those of the quoted unit's document.
  const documentTerms = new Map<string, Set<string>>();
  const candidates = retrieved.flatMap((chunk, rank) => {
    const seen = documentTerms.get(chunk.source) ?? new Set<string>();
    for (const term of terms(`${chunk.title} ${chunk.heading} ${chunk.text}`)) seen.add(term);
    documentTerms.set(chunk.source, seen);
    const chunkContext = terms(`${chunk.title} ${chunk.heading}`);
    const units = evidenceUnits(chunk.text, chunk.startLine).map((unit) => ({
      unit,
      unitTerms: new Set(terms(unit.text)),
    }));
    // A chunk packing several short sections lends a unit only its own section's words, and its
    // headings as context.
    const sections = new Map<number, { context: Set<string>; words: Set<string> }>();
    for (const { unit, unitTerms } of units) {
      let section = sections.get(unit.section);
      if (!section) {
        const headings = terms(unit.sectionPath.join(" "));
        section = { context: new Set([...chunkContext, ...headings]), words: new Set(headings) };
        sections.set(unit.section, section);
      }
      for (const term of unitTerms) section.words.add(term);
    }
    return units.map(({ unit, unitTerms }) => {
      const section = sections.get(unit.section);
      return {
        unit,
        chunk,
        rank,
        unitTerms,
        contextTerms: section?.context ?? new Set(chunkContext),
        chunkTerms: section?.words ?? unitTerms,
      };
    });
  });
  if (questionTerms.length === 0 || candidates.length === 0) return abstain();
  const questionNames = options.requireNames ? names(question) : [];
  const named = candidates.filter((candidate) =>
    questionNames.every((name) => documentTerms.get(candidate.chunk.source)?.has(name)),
  );

  // Rarer terms among the candidates carry more of the question's meaning.
  const weight = new Map(
    questionTerms.map((term) => {
      const frequency = candidates.filter((candidate) => candidate.unitTerms.has(term)).length;
      return [term, Math.log(1 + (candidates.length + 1) / (frequency + 0.5))];
    }),
  );
  const totalWeight = [...weight.values()].reduce((sum, value) => sum + value, 0);

  const scored: ScoredUnit[] = named.map((candidate) => {
    let covered = 0;
    for (const term of questionTerms) {
      const termWeight = weight.get(term) ?? 0;
      if (candidate.unitTerms.has(term)) covered += termWeight;
      else if (candidate.contextTerms.has(term)) covered += termWeight * HEADING_MATCH;
      else if (candidate.chunkTerms.has(term)) covered += termWeight * options.chunkMatch;
    }
    const coverage = covered / totalWeight;
    const lengthPenalty = candidate.unitTerms.size > 60 ? 0.9 : 1;
    const score = (coverage + RANK_PRIOR / (1 + candidate.rank)) * lengthPenalty;
    return { unit: candidate.unit, chunk: candidate.chunk, coverage, score };
  });
  scored.sort((left, right) => right.score - left.score);

  const best = scored[0];
  if (!best || best.coverage < options.abstainBelow) return abstain();

  const chosen: ScoredUnit[] = [best];
  let length = best.unit.text.length;
  for (const candidate of scored.slice(1)) {
    if (chosen.length >= options.maxUnits) break;
    if (candidate.score < best.score * options.companionRatio) break;
    if (length + candidate.unit.text.length > options.maxAnswerChars) continue;
    if (chosen.some((entry) => entry.unit.text === candidate.unit.text)) continue;
    chosen.push(candidate);
    length += candidate.unit.text.length;
  }

  const citations: Citation[] = chosen.map((entry, index) => ({
    n: index + 1,
    chunkId: entry.chunk.chunkId,
    documentId: entry.chunk.documentId,
    source: entry.chunk.source,
    title: entry.chunk.title,
    heading: unitHeading(entry.chunk.heading, entry.unit.sectionPath),
    startLine: entry.unit.startLine,
    endLine: entry.unit.endLine,
    snippet: entry.unit.quote,
    score: entry.chunk.score,
  }));
  const answer = chosen.map((entry, index) => `${quote(entry.unit.text)} [${index + 1}]`).join(" ");
  return { answer, abstained: false, citations };
}

/**
 * Terms of the question's names: words capitalised after the first word, or identifiers with
 * digits, hyphens or dots. A name absent from every retrieved chunk means the documents are
 * about something else, however well the other words match.
 */
function names(question: string): string[] {
  const tokens = question.split(/\s+/).slice(1);
  return tokens
    .map((token) => token.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ""))
    .filter(
      (token) => /^\p{Lu}/u.test(token) || /[\p{L}][-_.]?\d|[\p{L}\d][-_.][\p{L}\d]/u.test(token),
    )
    .flatMap((token) => terms(token));
}

/**
 * The heading path of a quoted unit: the chunk's, continued by the headings above the unit inside
 * the chunk (a chunk's first line is often its own heading, the last of the chunk's path).
 */
function unitHeading(chunkHeading: string, sectionPath: readonly string[]): string {
  const path = chunkHeading === "" ? [] : chunkHeading.split(" > ");
  const inner = sectionPath[0] === path.at(-1) ? sectionPath.slice(1) : sectionPath;
  return [...path, ...inner].join(" > ");
}

function abstain(): DraftAnswer {
  return { answer: NOT_FOUND_ANSWER, abstained: true, citations: [] };
}

// Multi-line code reads better fenced; prose is quoted as is.
function quote(text: string): string {
  return text.includes("\n") ? `\n\`\`\`\n${text}\n\`\`\`\n` : text;
}
