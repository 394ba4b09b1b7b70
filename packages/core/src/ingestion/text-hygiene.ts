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
