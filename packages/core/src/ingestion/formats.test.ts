import { describe, expect, it } from "vitest";
import { htmlToMarkdown } from "./formats";

// The chrome a documentation site repeats on every page, as generators (mdBook, Docusaurus,
// Sphinx, MkDocs) lay it out around the page's own content.
const SITE_HEADER = `<header class="navbar"><a href="/">Fern Docs</a><button>Toggle theme</button></header>`;
const SIDEBAR = `<nav class="sidebar" aria-label="Table of contents"><ol><li><a href="/install">Installing Fern</a></li><li><a href="/backups">Backups</a></li></ol></nav>`;
const HELP_DIALOG = `<div id="help" hidden><h2>Keyboard shortcuts</h2><p>Press S to search</p></div>`;
const COOKIES = `<div role="dialog"><p>We use cookies to improve your experience.</p></div>`;
const SITE_FOOTER = `<footer><p>© 2026 Fern Inc. All rights reserved.</p></footer>`;
const CHROME_WORDS =
  /Fern Docs|Toggle theme|Installing Fern|Keyboard shortcuts|cookies|All rights reserved|On this page|Previous|Next/;

describe("htmlToMarkdown", () => {
  it("keeps only a page's main content: menus, sidebars, dialogs and footers are not its text", () => {
    const page = `<!doctype html><html><head><title>Backups - Fern Docs</title></head><body>
${SITE_HEADER}${HELP_DIALOG}${SIDEBAR}
<div class="page"><main>
  <article>
    <header><h1>Backups</h1><p class="byline">Owned by the platform team</p></header>
    <p>Backups run nightly at 02:00 UTC and are kept for 30 days.</p>
    <h2>Restoring</h2><p>Run <code>fern restore --at TIME</code>.</p>
  </article>
  <aside class="toc"><p>On this page</p><a href="#restoring">Restoring</a></aside>
  <nav class="pager"><a href="/install">Previous</a><a href="/alerts">Next</a></nav>
</main></div>
${COOKIES}${SITE_FOOTER}</body></html>`;
    const { markdown, title } = htmlToMarkdown(page);
    expect(title).toBe("Backups - Fern Docs");
    expect(markdown).not.toMatch(CHROME_WORDS);
    // The article's own header is content: its title and byline stay.
    expect(markdown).toMatch(/^# Backups$/m);
    expect(markdown).toContain("Owned by the platform team");
    expect(markdown).toContain("Backups run nightly at 02:00 UTC and are kept for 30 days.");
    expect(markdown).toMatch(/^## Restoring$/m);
    expect(markdown).toContain("`fern restore --at TIME`");
  });

  it("drops the same chrome from a page that marks no main content, and keeps the rest", () => {
    const page = `<html><body>${SITE_HEADER}${SIDEBAR}${HELP_DIALOG}
<h1>Installing Fern</h1><p>Fern needs 2 GB of memory.</p>
<section><header><h2>On Linux</h2></header><p>Unpack the archive into /opt/fern.</p></section>
<div role="search"><input placeholder="Search the docs"></div>
${COOKIES}${SITE_FOOTER}</body></html>`;
    const { markdown } = htmlToMarkdown(page);
    expect(markdown).not.toMatch(
      /Fern Docs|Toggle theme|Keyboard shortcuts|cookies|All rights reserved|Backups/,
    );
    expect(markdown).toMatch(/^# Installing Fern$/m);
    expect(markdown).toContain("Fern needs 2 GB of memory.");
    expect(markdown).toMatch(/^## On Linux$/m);
    expect(markdown).toContain("Unpack the archive into /opt/fern.");
  });

  it("keeps a table a table, its header above its rows", () => {
    const { markdown } = htmlToMarkdown(`<main><h2>Deadlines</h2><table>
<thead><tr><th>Step</th><th>Who</th><th>Deadline</th></tr></thead>
<tbody><tr><td>Approve crew timesheets</td><td>Foreman</td><td>Monday 10:00 a.m.</td></tr>
<tr><td>Final approval</td><td>Site Superintendent</td><td>Monday 2:00 p.m.</td></tr></tbody>
</table></main>`);
    expect(markdown).toBe(
      [
        "## Deadlines",
        "",
        "| Step | Who | Deadline |",
        "| --- | --- | --- |",
        "| Approve crew timesheets | Foreman | Monday 10:00 a.m. |",
        "| Final approval | Site Superintendent | Monday 2:00 p.m. |",
        "",
      ].join("\n"),
    );
  });

  it("converts a fragment without landmarks whole", () => {
    const { markdown } = htmlToMarkdown("<h2>Limits</h2><p>At most <b>5</b> projects.</p>");
    expect(markdown).toBe("## Limits\n\nAt most **5** projects.\n");
  });
});
