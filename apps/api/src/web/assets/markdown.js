// Answers as CommonMark, sanitised, with each cited [n] a button: shared by the page and the <lore-ask> widget.
// It takes marked and DOMPurify as arguments so the page can import their ES modules and the
// widget, one classic script, can inline their UMD builds (web-routes.ts composes it).

const ALLOWED_TAGS = [
  "p",
  "br",
  "hr",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "ul",
  "ol",
  "li",
  "blockquote",
  "pre",
  "code",
  "em",
  "strong",
  "del",
  "a",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
];
const ALLOWED_ATTR = ["href", "title", "start", "align"];
const WEB_LINK = /^(https?:|mailto:)/i;
// A citation marker is text; inside code it is code.
const NO_MARKERS_IN = new Set(["CODE", "PRE", "A"]);

function escapeHtml(text) {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/**
 * @param {{ Marked: new (...args: unknown[]) => { parse(text: string): string }, DOMPurify: { sanitize(html: string, options: object): DocumentFragment } }} libraries
 */
export function createAnswerRenderer({ Marked, DOMPurify }) {
  const parser = new Marked({
    gfm: true,
    async: false,
    renderer: {
      // Raw HTML in a document or a model's answer is shown as the text it is, never parsed.
      html: ({ text }) => escapeHtml(text),
      // No images: an answer cannot make the browser fetch anything.
      image: ({ text }) => escapeHtml(text),
    },
  });

  /**
   * The answer as a fragment: markdown rendered, sanitised (an allow-list, no attributes that
   * run code), links opening in a new tab, and each `[n]` naming a citation replaced by
   * `citationButton(citation)`.
   * @param {string} text
   * @param {Array<{ n: number }>} citations
   * @param {(citation: { n: number }) => Node} citationButton
   */
  function render(text, citations, citationButton) {
    const html = parser.parse(text);
    const fragment = DOMPurify.sanitize(html, {
      ALLOWED_TAGS,
      ALLOWED_ATTR,
      ALLOW_DATA_ATTR: false,
      RETURN_DOM_FRAGMENT: true,
    });
    for (const link of fragment.querySelectorAll("a")) {
      const href = link.getAttribute("href") ?? "";
      if (!WEB_LINK.test(href)) {
        link.replaceWith(...link.childNodes);
        continue;
      }
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
    addCitationButtons(fragment, citations, citationButton);
    // marked ends blocks with newlines; between blocks they only add stray text.
    for (const node of [...fragment.childNodes]) {
      if (node.nodeType === Node.TEXT_NODE && node.textContent.trim() === "") node.remove();
    }
    return fragment;
  }

  return { render };
}

function addCitationButtons(root, citations, citationButton) {
  const byNumber = new Map(citations.map((citation) => [citation.n, citation]));
  if (byNumber.size === 0) return;
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    let parent = node.parentNode;
    let inCode = false;
    while (parent && parent !== root) {
      if (NO_MARKERS_IN.has(parent.nodeName)) inCode = true;
      parent = parent.parentNode;
    }
    if (!inCode) texts.push(node);
  }
  for (const node of texts) {
    const text = node.textContent;
    const parts = [];
    let last = 0;
    for (const match of text.matchAll(/\[(\d+)\]/g)) {
      const citation = byNumber.get(Number(match[1]));
      if (!citation) continue;
      parts.push(text.slice(last, match.index), citationButton(citation));
      last = match.index + match[0].length;
    }
    if (parts.length === 0) continue;
    parts.push(text.slice(last));
    node.replaceWith(...parts.filter((part) => part !== ""));
  }
}
