// Front matter: the metadata block static-site generators and note apps put at the top of a markdown page.
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { firstHeading } from "./chunk-markdown";

export interface MarkdownPage {
  /**
   * The page with its front matter's lines left empty (line numbers still count the file's), the
   * first holding the title as a heading when the page has none.
   */
  content: string;
  /** The front matter's `title`, the page's name on its site. */
  title?: string;
}

// YAML between `---` lines (Jekyll, Docusaurus, MkDocs, Hugo, Obsidian; YAML may also end it
// with `...`) and TOML between `+++` lines (Hugo, Zola).
const BLOCKS: {
  opening: string;
  closing: ReadonlySet<string>;
  parse: (text: string) => unknown;
}[] = [
  { opening: "---", closing: new Set(["---", "..."]), parse: (text) => parseYaml(text) },
  { opening: "+++", closing: new Set(["+++"]), parse: (text) => parseToml(text) },
];

// A page that opens with a thematic break is not front matter, however far its next one is.
const MAX_FRONT_MATTER_LINES = 200;

/**
 * Separates a markdown page's front matter from its text: as chunk text it is noise
 * (`sidebar_position: 3`) that a question's words can match and an answer can quote. Only a
 * block that parses to a mapping counts; anything else stays text, as it was written.
 */
export function withoutFrontMatter(text: string): MarkdownPage {
  const lines = text.split("\n");
  const block = BLOCKS.find((candidate) => lines[0]?.trimEnd() === candidate.opening);
  if (!block) return { content: text };
  const end = lines
    .slice(1, MAX_FRONT_MATTER_LINES)
    .findIndex((line) => block.closing.has(line.trimEnd()));
  if (end === -1) return { content: text };
  const closing = end + 1;
  let fields: unknown;
  try {
    fields = block.parse(lines.slice(1, closing).join("\n"));
  } catch {
    return { content: text };
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    return { content: text };
  }
  const body = lines.slice(closing + 1);
  const title =
    "title" in fields && typeof fields.title === "string"
      ? fields.title.replace(/\s+/g, " ").trim()
      : "";
  // A site shows the title as the page's heading when the page has none of its own: it then
  // heads the page's sections (their heading paths) on the front matter's first line. A page of
  // front matter alone stays empty.
  const bodyText = body.join("\n");
  const heading =
    title !== "" && bodyText.trim() !== "" && firstHeading(bodyText) === undefined
      ? `# ${title}`
      : "";
  const content = [heading, ...lines.slice(1, closing + 1).map(() => ""), ...body].join("\n");
  return title === "" ? { content } : { content, title };
}
