// Text from parsers made safe to store: Postgres text cannot hold NUL, and JSON cannot carry lone surrogates.

/**
 * For text a parser produced (a PDF's pages, HTML turned into markdown): NUL characters are
 * dropped and unpaired surrogates become U+FFFD. Such characters come from a broken font map or
 * an entity like `&#0;`, not from the author, so the rest of the document is kept. A file that
 * holds them itself is skipped instead (load-folder.ts): it is binary or mis-encoded.
 */
export function cleanExtractedText(text: string): string {
  return text.replaceAll("\u0000", "").toWellFormed();
}

/**
 * A parser's or driver's message as one short line, safe in a job's summary (jsonb refuses
 * `\u0000`) and in a log line: control characters and whitespace runs become one space.
 */
export function oneLine(message: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const line = message.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim();
  // Cleaned after the cut, which may split a surrogate pair.
  return cleanExtractedText(line.length <= max ? line : `${line.slice(0, max - 1)}…`);
}
