// The text the full-text half of retrieval parses: the question, plus the parts of its identifiers and lettered numbers.

// A token of letters and digits joined by dots or slashes: an instance type (db.t2.small), a
// host, a path, a version. Postgres' parser keeps such a token whole in a question, but splits
// the same characters into parts where markdown escapes the dots (`ml\.eia1\.xlarge`, as
// exported documentation writes it) and where they touch other punctuation, so the question's
// one lexeme would match none of them.
const JOINED = /[\p{L}\p{N}]+(?:[./\\]+[\p{L}\p{N}]+)+/gu;

// A number with one letter stuck to it, as users type what documents write with the letter in
// parentheses ("401k" for "401(k)", "403b"): Postgres keeps the typed token whole and indexes
// the written one as the number and the letter, so the typed form would match neither.
export const LETTERED_NUMBER = /\b(\d+)(\p{L})\b/gu;

/**
 * The question with each joined identifier's parts appended ("ml.eia1.xlarge" adds "ml eia1
 * xlarge"), and each lettered number's ("401k" adds "401 k"), so the full-text query matches
 * documents that hold it whole and documents that hold it split. Everything else is left as it
 * is: Postgres still stems and drops stop words.
 */
export function fullTextQuery(question: string): string {
  const parts = [
    ...[...question.matchAll(JOINED)].map((match) => match[0].split(/[./\\]+/).join(" ")),
    ...[...question.matchAll(LETTERED_NUMBER)].map((match) => `${match[1]} ${match[2]}`),
  ];
  return parts.length === 0 ? question : `${question} ${parts.join(" ")}`;
}
