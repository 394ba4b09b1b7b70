// Turns text into normalised, stemmed terms; shared by the local embedder and the extractive answerer.
import { stemmer } from "stemmer";

// Common English function words plus question words: they carry no topic, so they neither
// help retrieval nor count as evidence that a sentence answers a question.
const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being
  below between both but by can could did do does doing down during each few for from further
  had has have having he her here hers herself him himself his how i if in into is it its itself
  just me more most my myself no nor not of off on once only or other our ours ourselves out over
  own same she should so some such than that the their theirs them themselves then there these
  they this those through to too under until up very was we were what when where which while who
  whom why will with would you your yours yourself yourselves also may might must shall us via
  get got tell know need want please many much s t don doesn isn aren wasn weren`.split(/\s+/),
);

// Printable ASCII and whitespace are their own NFKD form, with no diacritics to fold.
const PLAIN_ASCII = /^[\t\n\r\x20-\x7e]*$/;

/** Lowercased word tokens with diacritics folded; keeps numbers and identifiers. */
export function words(text: string): string[] {
  const folded = PLAIN_ASCII.test(text)
    ? text
    : text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  const found = folded.toLowerCase().match(/[a-z0-9]+(?:['’][a-z]+)?/g) ?? [];
  if (!folded.includes("'") && !folded.includes("’")) return found;
  return found.map((word) => word.replace(/['’].*$/, ""));
}

// Stemming dominates answering and query embedding, and a corpus has a small vocabulary, so each
// word's term is kept; cleared when full so a long ingest cannot grow it without bound.
const MAX_CACHED_WORDS = 200_000;
const termOfWord = new Map<string, string | null>();

function term(word: string): string | null {
  let cached = termOfWord.get(word);
  if (cached === undefined) {
    if (STOPWORDS.has(word)) cached = null;
    else cached = word.length > 3 && !/\d/.test(word) ? stemmer(word) : word;
    if (termOfWord.size >= MAX_CACHED_WORDS) termOfWord.clear();
    termOfWord.set(word, cached);
  }
  return cached;
}

/** Content terms: words minus stopwords, Porter-stemmed. */
export function terms(text: string): string[] {
  const result: string[] = [];
  for (const word of words(text)) {
    const found = term(word);
    if (found !== null) result.push(found);
  }
  return result;
}

/**
 * Content terms reduced by inflection only (plural, -ed, -ing, final e), for deciding whether a
 * passage says what a question asks: Porter also strips derivational suffixes, which turns
 * different words into one ("deductible" and "deduction" both become "deduct").
 */
export function matchTerms(text: string): string[] {
  const result: string[] = [];
  for (const word of words(text)) {
    const found = matchTerm(word);
    if (found !== null) result.push(found);
  }
  return result;
}

// Answering reduces every retrieved chunk's words on each question, so each word's reduction is
// kept like its stem (same bound).
const matchTermOfWord = new Map<string, string | null>();

function matchTerm(word: string): string | null {
  let cached = matchTermOfWord.get(word);
  if (cached === undefined) {
    if (STOPWORDS.has(word)) cached = null;
    else cached = word.length > 3 && !/\d/.test(word) ? inflectionStem(word) : word;
    if (matchTermOfWord.size >= MAX_CACHED_WORDS) matchTermOfWord.clear();
    matchTermOfWord.set(word, cached);
  }
  return cached;
}

const VOWEL = /[aeiouy]/;

function inflectionStem(word: string): string {
  let stem = word;
  if (stem.endsWith("ies") && stem.length > 4) stem = `${stem.slice(0, -3)}y`;
  else if (stem.endsWith("sses")) stem = stem.slice(0, -2);
  else if (/[^su]s$/.test(stem) && !/(?:ss|us|is)$/.test(stem)) stem = stem.slice(0, -1);
  if (stem.endsWith("ied") && stem.length > 4) stem = `${stem.slice(0, -3)}y`;
  else {
    const suffix = /(?:ed|ing)$/.exec(stem)?.[0];
    const base = suffix ? stem.slice(0, -suffix.length) : "";
    // "bring" and "feed" keep their letters: what is left must still hold a vowel.
    if (suffix && base.length >= 2 && VOWEL.test(base) && !stem.endsWith("eed")) {
      if (base.length === 2) stem = `${base}e`;
      else stem = /([^aeiouylsz])\1$/.test(base) ? base.slice(0, -1) : base;
    }
  }
  return stem.length > 3 ? stem.replace(/e$/, "") : stem;
}
