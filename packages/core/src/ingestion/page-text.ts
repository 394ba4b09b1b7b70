// The text of a markdown-like page as Lore chunks it: markdown, with its headings as `#` lines.
import { htmlToMarkdown } from "./formats";
import { type MarkdownPage, withoutFrontMatter } from "./front-matter";

// Characters reStructuredText adorns section titles with.
const RST_ADORNMENT = /^([!-/:-@[-`{-~])\1{2,}\s*$/;

/**
 * A page's text for chunking, from a file or a push alike. HTML becomes markdown (its `<title>`
 * the page's title). Markdown loses its front matter. reStructuredText and AsciiDoc
 * headings are written as markdown's, so their sections get heading paths (an `.rst` page of
 * Sphinx documentation would otherwise be one headingless run of text); every line keeps its
 * number, so citations still point at the file's own lines.
 */
export function pageText(mimeType: string, text: string): MarkdownPage {
  switch (mimeType) {
    case "text/html": {
      const { markdown, title } = htmlToMarkdown(text);
      return title ? { content: markdown, title } : { content: markdown };
    }
    case "text/markdown":
      return withoutFrontMatter(text);
    case "text/x-rst":
      return { content: rstHeadings(text) };
    case "text/asciidoc":
      return { content: asciidocHeadings(text) };
    default:
      return { content: text };
  }
}

/**
 * reStructuredText section titles: a line underlined (or over- and underlined) with one
 * punctuation character at least as long as the title. Levels follow the order in which each
 * adornment style first appears, as docutils assigns them.
 */
function rstHeadings(text: string): string {
  const lines = text.split("\n");
  const styles: string[] = [];
  const levelOf = (style: string): number => {
    if (!styles.includes(style)) styles.push(style);
    return styles.indexOf(style) + 1;
  };
  for (let index = 0; index + 1 < lines.length; index++) {
    const title = lines[index]?.trim() ?? "";
    const under = RST_ADORNMENT.exec(lines[index + 1] ?? "")?.[0].trimEnd();
    if (title === "" || !under || under.length < title.length || RST_ADORNMENT.test(title))
      continue;
    const over = index > 0 && lines[index - 1]?.trimEnd() === under;
    // Without an overline the title starts at the margin (an indented line is a block's text).
    if (!over && /^\s/.test(lines[index] ?? "")) continue;
    const level = levelOf(`${over ? "over" : ""}${under[0]}`);
    if (over) lines[index - 1] = "";
    lines[index] = `${"#".repeat(Math.min(level, 6))} ${title}`;
    lines[index + 1] = "";
    index++;
  }
  return lines.join("\n");
}

/** AsciiDoc section titles: `= Document`, `== Section` … (and the symmetric `== Section ==`). */
function asciidocHeadings(text: string): string {
  return text.replace(
    /^(={1,6})[ \t]+(\S.*?)(?:[ \t]+=+)?[ \t]*$/gm,
    (_line, marks: string, title: string) => `${"#".repeat(marks.length)} ${title}`,
  );
}
