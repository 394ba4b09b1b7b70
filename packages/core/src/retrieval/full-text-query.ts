// The text the full-text half of retrieval parses: the question, plus the parts of its dotted and slashed identifiers.

// A token of letters and digits joined by dots or slashes: an instance type (db.t2.small), a
// host, a path, a version. Postgres' parser keeps such a token whole in a question, but splits
// the same characters into parts where markdown escapes the dots (`ml\.eia1\.xlarge`, as
// exported documentation writes it) and where they touch other punctuation, so the question's
// one lexeme would match none of them.
const JOINED = /[\p{L}\p{N}]+(?:[./\\]+[\p{L}\p{N}]+)+/gu;

/**
 * The question with each joined identifier's parts appended ("ml.eia1.xlarge" adds "ml eia1
 * xlarge"), so the full-text query matches documents that hold it whole and documents that hold
 * it split. Everything else is left as it is: Postgres still stems and drops stop words.
 */
export function fullTextQuery(question: string): string {
  const parts = [...question.matchAll(JOINED)].map((match) => match[0].split(/[./\\]+/).join(" "));
  return parts.length === 0 ? question : `${question} ${parts.join(" ")}`;
}
