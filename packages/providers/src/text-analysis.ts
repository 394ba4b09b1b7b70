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

/** Lowercased word tokens with diacritics folded; keeps numbers and identifiers. */
export function words(text: string): string[] {
  return (
    text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .match(/[a-z0-9]+(?:['’][a-z]+)?/g) ?? []
  ).map((word) => word.replace(/['’].*$/, ""));
}

/** Content terms: words minus stopwords, Porter-stemmed. */
export function terms(text: string): string[] {
  const result: string[] = [];
  for (const word of words(text)) {
    if (STOPWORDS.has(word)) continue;
    result.push(word.length > 3 && !/\d/.test(word) ? stemmer(word) : word);
  }
  return result;
}
