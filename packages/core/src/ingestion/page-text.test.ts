import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { chunkDocument } from "./chunk-document";
import { DEFAULT_CHUNKING } from "./chunk-markdown";
import { type LoadedDocument, loadFile } from "./load-folder";
import { pageText } from "./page-text";

const DOCUSAURUS_PAGE = `---
title: Backup policy
sidebar_position: 3
tags: [ops, backups]
---

Backups run nightly at 02:00 UTC.

## Restoring

Run \`fern restore --at TIME\`.
`;

describe("pageText: markdown front matter", () => {
  it("takes a YAML front matter's title and leaves its lines empty, so line numbers hold", () => {
    const page = pageText("text/markdown", DOCUSAURUS_PAGE);
    expect(page.title).toBe("Backup policy");
    expect(page.content).not.toMatch(/title|sidebar_position|tags/);
    const lines = page.content.split("\n");
    expect(lines).toHaveLength(DOCUSAURUS_PAGE.split("\n").length);
    expect(lines[6]).toBe("Backups run nightly at 02:00 UTC.");
    // The page has no heading of its own: the title heads it, as the site shows it.
    expect(lines.slice(0, 6)).toEqual(["# Backup policy", "", "", "", "", ""]);
  });

  it("leaves the page's own heading to head it", () => {
    const page = pageText(
      "text/markdown",
      "---\ntitle: Short name\n---\n# Backups at Fern\n\nNightly.\n",
    );
    expect(page).toEqual({ title: "Short name", content: "\n\n\n# Backups at Fern\n\nNightly.\n" });
  });

  it("reads TOML front matter, and YAML closed by `...`", () => {
    expect(
      pageText("text/markdown", '+++\ntitle = "Deploys"\nweight = 10\n+++\n\nShip it.\n'),
    ).toEqual({
      title: "Deploys",
      content: "# Deploys\n\n\n\n\nShip it.\n",
    });
    expect(pageText("text/markdown", "---\nauthor: sam\n...\nText.\n")).toEqual({
      content: "\n\n\nText.\n",
    });
  });

  it("leaves a page that only opens with a thematic break, or has no closing line, as it is", () => {
    const broken = "---\n\nA page that opens with a rule.\n\n---\n\nMore text.\n";
    expect(pageText("text/markdown", broken)).toEqual({ content: broken });
    const unclosed = "---\ntitle: Draft\n\nNo closing line.\n";
    expect(pageText("text/markdown", unclosed)).toEqual({ content: unclosed });
    const invalid = "---\ntitle: [unclosed\n---\nText.\n";
    expect(pageText("text/markdown", invalid)).toEqual({ content: invalid });
  });
});

const SPHINX_PAGE = `=========
Fern CLI
=========

Fern ships one binary.

Installing
==========

Unpack it into \`\`/opt/fern\`\`.

From source
-----------

Run \`\`make\`\`::

    make install
    --------

Upgrading
=========

Replace the binary.
`;

describe("pageText: reStructuredText and AsciiDoc headings", () => {
  it("writes reStructuredText section titles as markdown headings, levels by first appearance", () => {
    const content = pageText("text/x-rst", SPHINX_PAGE).content;
    const lines = content.split("\n");
    expect(lines).toHaveLength(SPHINX_PAGE.split("\n").length);
    expect(lines.filter((line) => line.startsWith("#"))).toEqual([
      "# Fern CLI",
      "## Installing",
      "### From source",
      "## Upgrading",
    ]);
    // Each title stays on its own line; its adornments become empty lines.
    expect(lines.slice(0, 3)).toEqual(["", "# Fern CLI", ""]);
    // An indented literal block's dashes are not an underline.
    expect(content).toContain("    make install\n    --------");
  });

  it("writes AsciiDoc section titles as markdown headings", () => {
    const page =
      "= Fern Guide\n:toc:\n\n== Installing ==\n\nUnpack it.\n\n=== From source\n\nRun make.\n";
    expect(pageText("text/asciidoc", page).content).toBe(
      "# Fern Guide\n:toc:\n\n## Installing\n\nUnpack it.\n\n### From source\n\nRun make.\n",
    );
  });

  it("leaves plain text as it is", () => {
    expect(pageText("text/plain", DOCUSAURUS_PAGE)).toEqual({ content: DOCUSAURUS_PAGE });
    expect(pageText("text/plain", SPHINX_PAGE)).toEqual({ content: SPHINX_PAGE });
  });
});

describe("loading pages", () => {
  it("names the document by its title and keeps the metadata out of its chunks", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "lore-front-matter-"));
    try {
      await writeFile(path.join(folder, "backups.md"), DOCUSAURUS_PAGE);
      const loaded = (await loadFile(folder, path.join(folder, "backups.md"))) as LoadedDocument;
      expect(loaded.title).toBe("Backup policy");
      const chunks = await chunkDocument(loaded, DEFAULT_CHUNKING);
      expect(chunks.map((chunk) => chunk.text).join("\n")).not.toMatch(/sidebar_position|tags/);
      // Its sections are under its title, as on the site; lines count the file's own.
      expect(chunks.map((chunk) => chunk.heading)).toEqual(["Backup policy"]);
      expect(chunks[0]?.text).toMatch(/^# Backup policy\n+Backups run nightly at 02:00 UTC\./);
      expect(chunks[0]).toMatchObject({ startLine: 1, endLine: 11 });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("gives a reStructuredText page's sections heading paths and its first title as its name", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "lore-rst-"));
    try {
      await writeFile(path.join(folder, "cli.rst"), SPHINX_PAGE);
      const loaded = (await loadFile(folder, path.join(folder, "cli.rst"))) as LoadedDocument;
      expect(loaded.title).toBe("Fern CLI");
      const chunks = await chunkDocument(loaded, { chunkSize: 60, chunkOverlap: 0 });
      expect(chunks.map((chunk) => chunk.heading)).toContain("Fern CLI > Installing > From source");
      const upgrading = chunks.find((chunk) => chunk.heading === "Fern CLI > Upgrading");
      expect(SPHINX_PAGE.split("\n")[(upgrading?.startLine ?? 0) - 1]).toBe("Upgrading");
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
