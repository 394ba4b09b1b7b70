import { describe, expect, it } from "vitest";
import { chunkMarkdown } from "./chunk-markdown";

const GUIDE = `# Guide

Intro paragraph.

## Install

### Linux

Run the installer:

\`\`\`sh
# this is a shell comment, not a heading
./install.sh --prefix /opt/app
\`\`\`

### macOS

Use Homebrew.

## Upgrade

Upgrades are in-place.
`;

describe("chunkMarkdown", () => {
  it("keeps each chunk's heading path and exact line range, ignoring # inside code fences", async () => {
    // Small enough that no two sections fit in one chunk.
    const chunks = await chunkMarkdown(GUIDE, { chunkSize: 120, chunkOverlap: 0 });
    const lines = GUIDE.split("\n");
    expect(chunks.map((chunk) => chunk.heading)).toEqual([
      "Guide",
      "Guide > Install > Linux",
      "Guide > Install > macOS",
      "Guide > Upgrade",
    ]);
    for (const chunk of chunks) {
      expect(
        lines
          .slice(chunk.startLine - 1, chunk.endLine)
          .join("\n")
          .trim(),
      ).toBe(chunk.text);
    }
    const linux = chunks[1];
    expect(linux?.text).toContain("./install.sh --prefix /opt/app");
    expect(linux?.startLine).toBe(7);
    expect(linux?.endLine).toBe(14);
  });

  it("packs short sections under one parent into a chunk headed by the path they share", async () => {
    const lines = GUIDE.split("\n");
    const source = (chunk: { startLine: number; endLine: number }) =>
      lines
        .slice(chunk.startLine - 1, chunk.endLine)
        .join("\n")
        .trim();

    const siblings = await chunkMarkdown(GUIDE, { chunkSize: 150, chunkOverlap: 0 });
    expect(siblings.map((chunk) => [chunk.heading, chunk.startLine, chunk.endLine])).toEqual([
      ["Guide", 1, 3],
      // Linux and macOS fit together; Upgrade has another parent, so it starts its own chunk.
      ["Guide > Install", 7, 18],
      ["Guide > Upgrade", 20, 22],
    ]);
    for (const chunk of siblings) expect(chunk.text).toBe(source(chunk));
    expect(siblings[1]?.text).toContain("### macOS");

    const whole = await chunkMarkdown(GUIDE);
    expect(whole).toHaveLength(1);
    expect(whole[0]?.heading).toBe("Guide");
    expect(whole[0]?.text).toBe(GUIDE.trim());
  });

  it("splits a long section into overlapping pieces whose lines still match the source", async () => {
    const paragraphs = Array.from(
      { length: 40 },
      (_, index) => `Paragraph ${index} explains step ${index} of the rollout in some detail.`,
    );
    const text = `# Long\n\n${paragraphs.join("\n\n")}\n`;
    const chunks = await chunkMarkdown(text, { chunkSize: 300, chunkOverlap: 60 });
    expect(chunks.length).toBeGreaterThan(5);
    const lines = text.split("\n");
    for (const chunk of chunks) {
      const span = lines.slice(chunk.startLine - 1, chunk.endLine).join("\n");
      expect(span).toContain(chunk.text.split("\n")[0]);
      expect(span).toContain(chunk.text.split("\n").at(-1));
      expect(chunk.heading).toBe("Long");
    }
    expect(new Set(chunks.map((chunk) => chunk.contentHash)).size).toBe(chunks.length);
  });

  it("reads a heading as it reads, without markdown's backslash escapes", async () => {
    // Turndown writes an HTML page's "2. Overtime" heading escaped, so it is no list item.
    const chunks = await chunkMarkdown(
      "# Timesheets\n\n## 2\\. Overtime \\(hourly\\)\n\nOver 40 hours.\n",
    );
    expect(chunks.map((chunk) => chunk.heading)).toEqual(["Timesheets > 2. Overtime (hourly)"]);
  });

  it("is deterministic and gives an empty document no chunks", async () => {
    expect(await chunkMarkdown(GUIDE)).toEqual(await chunkMarkdown(GUIDE));
    expect(await chunkMarkdown("\n\n  \n")).toEqual([]);
  });
});
