// File formats Lore reads: which extensions, and how HTML becomes text with lines (PDFs: pdf-text.ts).
import path from "node:path";
import { tables } from "@joplin/turndown-plugin-gfm";
import TurndownService from "turndown";

/**
 * How a document's text is chunked: markdown sections at headings; code and config split by the
 * language's own separators (a `#` comment must not start a section); pages chunked one page at a time.
 */
export type DocumentSyntax = "markdown" | "code" | "pages";

export interface FileFormat {
  mimeType: string;
  syntax: DocumentSyntax;
  kind: "text" | "html" | "pdf";
}

const markdown = (mimeType: string): FileFormat => ({ mimeType, syntax: "markdown", kind: "text" });
const code = (mimeType: string): FileFormat => ({ mimeType, syntax: "code", kind: "text" });

const FORMATS: Record<string, FileFormat> = {
  ".md": markdown("text/markdown"),
  ".mdx": markdown("text/markdown"),
  ".markdown": markdown("text/markdown"),
  ".txt": markdown("text/plain"),
  ".rst": markdown("text/x-rst"),
  ".adoc": markdown("text/asciidoc"),
  ".html": { mimeType: "text/html", syntax: "markdown", kind: "html" },
  ".htm": { mimeType: "text/html", syntax: "markdown", kind: "html" },
  ".pdf": { mimeType: "application/pdf", syntax: "pages", kind: "pdf" },
  ".ts": code("text/x-typescript"),
  ".tsx": code("text/x-typescript"),
  ".js": code("text/javascript"),
  ".jsx": code("text/javascript"),
  ".mjs": code("text/javascript"),
  ".cjs": code("text/javascript"),
  ".py": code("text/x-python"),
  ".go": code("text/x-go"),
  ".rs": code("text/x-rust"),
  ".java": code("text/x-java"),
  ".kt": code("text/x-kotlin"),
  ".scala": code("text/x-scala"),
  ".swift": code("text/x-swift"),
  ".rb": code("text/x-ruby"),
  ".php": code("text/x-php"),
  ".c": code("text/x-c"),
  ".h": code("text/x-c"),
  ".cc": code("text/x-c++"),
  ".cpp": code("text/x-c++"),
  ".hpp": code("text/x-c++"),
  ".cs": code("text/x-csharp"),
  ".sh": code("text/x-shellscript"),
  ".bash": code("text/x-shellscript"),
  ".sql": code("text/x-sql"),
  ".css": code("text/css"),
  ".scss": code("text/x-scss"),
  ".json": code("application/json"),
  ".yaml": code("application/yaml"),
  ".yml": code("application/yaml"),
  ".toml": code("application/toml"),
  ".ini": code("text/plain"),
  ".cfg": code("text/plain"),
  ".conf": code("text/plain"),
  ".xml": code("application/xml"),
  ".proto": code("text/plain"),
  ".graphql": code("text/plain"),
  ".tf": code("text/plain"),
};
// Extension-less files that are conventionally text.
const NAMED_FORMATS: Record<string, FileFormat> = {
  Dockerfile: code("text/x-dockerfile"),
  Makefile: code("text/x-makefile"),
  README: markdown("text/plain"),
  LICENSE: markdown("text/plain"),
};

export function formatOf(file: string): FileFormat | undefined {
  const name = path.basename(file);
  return NAMED_FORMATS[name] ?? FORMATS[path.extname(name).toLowerCase()];
}

/** The format a pushed document's mime type asks for; unknown types are chunked as markdown. */
export function formatOfMimeType(mimeType: string): FileFormat {
  if (mimeType === "text/html") return { mimeType, syntax: "markdown", kind: "html" };
  const known = Object.values(FORMATS).find((format) => format.mimeType === mimeType);
  return known && known.kind === "text" ? known : markdown(mimeType);
}

const turndown = new TurndownService({
  headingStyle: "atx",
  codeBlockStyle: "fenced",
  bulletListMarker: "-",
});
// Tables stay tables: a row is read as one unit, each value with its column's header ("Who:
// Foreman; Deadline: Monday 10:00 a.m."), where cells as paragraphs lose which goes with which.
turndown.use(tables);
turndown.remove(["head", "title", "script", "style", "noscript", "template"]);
turndown.addRule("pageChrome", { filter: isPageChrome, replacement: () => "" });

/** Elements that are a site's controls, never what a page says: menus, sidebars, buttons, dialogs. */
const CHROME_ELEMENTS = new Set(["NAV", "ASIDE", "BUTTON", "DIALOG", "SELECT"]);
const CHROME_ROLES = new Set([
  "navigation",
  "search",
  "complementary",
  "banner",
  "contentinfo",
  "dialog",
  "menu",
  "menubar",
  "toolbar",
]);
// A header or footer inside one of these is the article's own (its title, its byline).
const SECTIONING = "article, main, section, [role=main]";

/** What the filter reads of turndown's parsed DOM (this package builds without the DOM types). */
interface PageElement {
  nodeName: string;
  ownerDocument: Page;
  parentElement: PageElement | null;
  contains(other: PageElement): boolean;
  closest(selectors: string): PageElement | null;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
}
interface Page {
  querySelector(selectors: string): PageElement | null;
}

// The first main landmark of each parsed page, found once per page.
const mainLandmarks = new WeakMap<Page, PageElement | null>();

function mainLandmark(page: Page): PageElement | null {
  let found = mainLandmarks.get(page);
  if (found === undefined) {
    found = page.querySelector("main:not([hidden]), [role=main]:not([hidden])");
    mainLandmarks.set(page, found);
  }
  return found;
}

/**
 * Page chrome is dropped before conversion: a site's navigation, sidebars, search box, cookie
 * dialog and footer repeat on every page of a crawl or an exported documentation site, and as
 * chunks they would answer questions with a menu. When a page marks its main content (`<main>`,
 * `role="main"`, as documentation generators do), everything outside it goes; inside, and on
 * pages without one, the landmarks and controls above, hidden elements, and a header or footer
 * that belongs to the page rather than to an article.
 */
function isPageChrome(node: PageElement): boolean {
  const main = mainLandmark(node.ownerDocument);
  if (main && !main.contains(node) && !node.contains(main)) return true;
  if (CHROME_ELEMENTS.has(node.nodeName)) return true;
  const role = node.getAttribute("role");
  if (role && CHROME_ROLES.has(role)) return true;
  if (node.hasAttribute("hidden") || node.getAttribute("aria-hidden") === "true") return true;
  return (
    (node.nodeName === "HEADER" || node.nodeName === "FOOTER") &&
    node.parentElement?.closest(SECTIONING) == null
  );
}

export interface HtmlText {
  /** The page as markdown: headings become `#` lines, so sections and heading paths survive. */
  markdown: string;
  title?: string;
}

export function htmlToMarkdown(html: string): HtmlText {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1]?.replace(/\s+/g, " ").trim();
  const converted = turndown.turndown(html).trim();
  return { markdown: converted === "" ? "" : `${converted}\n`, ...(title ? { title } : {}) };
}
