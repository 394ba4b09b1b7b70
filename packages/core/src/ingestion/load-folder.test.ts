import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunkDocument } from "./chunk-document";
import { DEFAULT_CHUNKING } from "./chunk-markdown";
import { resolveIngestPath } from "./ingest-roots";
import { type LoadedDocument, listFiles, loadFile } from "./load-folder";
import { pdfText } from "./pdf-text";
import { onePagePdf, textPdf } from "./test-pdf";

let folder: string;

async function load(name: string, maxFileBytes?: number) {
  return loadFile(
    folder,
    path.join(folder, name),
    maxFileBytes === undefined ? {} : { maxFileBytes },
  );
}

function lines(text: string, start: number, end: number): string {
  return text
    .split("\n")
    .slice(start - 1, end)
    .join("\n");
}

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "lore-formats-"));
  await writeFile(
    path.join(folder, "guide.html"),
    `<!doctype html><html><head><title>Ops Guide</title><style>p{}</style><script>alert(1)</script></head>
<body><h1>Ops Guide</h1><p>Intro text.</p><h2>Restarts</h2><p>Restart the queue with <code>make restart</code>.</p>
<h2>Backups</h2><ul><li>Nightly at 02:00 UTC</li><li>Kept 30 days</li></ul></body></html>`,
  );
  await writeFile(
    path.join(folder, "manual.pdf"),
    textPdf([
      ["Installation", "Unpack the archive into /opt/fern."],
      ["Troubleshooting", "If the fan is loud, clean the filter."],
    ]),
  );
  await writeFile(
    path.join(folder, "deploy.py"),
    "# Deploys the app.\nimport os\n\n\ndef deploy():\n    # not a heading\n    return os.getenv('TARGET')\n",
  );
  await writeFile(path.join(folder, "notes.txt"), "Plain notes.\n\nSecond paragraph.\n");
  await writeFile(path.join(folder, "empty.md"), "");
  await writeFile(path.join(folder, "blank.md"), "  \n\n");
  await writeFile(path.join(folder, "binary.txt"), Buffer.from([0x48, 0x00, 0x01, 0x02, 0x49]));
  await writeFile(path.join(folder, "latin1.md"), Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0a]));
  await writeFile(path.join(folder, "large.md"), `# Large\n\n${"x".repeat(5000)}\n`);
  await writeFile(path.join(folder, "broken.pdf"), "%PDF-1.4 not really");
  // Past the 8 KiB that git sniffs for binary content: it used to reach the chunk INSERT.
  await writeFile(path.join(folder, "late-nul.md"), `# Late\n\n${"a".repeat(9000)}\u0000tail\n`);
  // A surrogate encoded as UTF-8 (CESU-8 style): no valid UTF-8 holds one.
  await writeFile(path.join(folder, "surrogate.md"), Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x0a]));
  await writeFile(path.join(folder, "hello.pdf"), onePagePdf("Hello from a small PDF"));
  await mkdir(path.join(folder, ".git"));
  await writeFile(path.join(folder, ".git", "config.md"), "# hidden\n");
  await mkdir(path.join(folder, "node_modules", "pkg"), { recursive: true });
  await writeFile(path.join(folder, "node_modules", "pkg", "README.md"), "# dependency\n");
  await mkdir(path.join(folder, "drafts"));
  await writeFile(path.join(folder, "drafts", "wip.md"), "# Draft\n\nNot ready.\n");
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("listFiles", () => {
  it("skips hidden folders and node_modules, and applies include and exclude globs", async () => {
    const all = (await listFiles(folder)).map((file) => path.relative(folder, file));
    expect(all).toContain("drafts/wip.md");
    expect(all.some((file) => file.startsWith(".git") || file.includes("node_modules"))).toBe(
      false,
    );
    const markdownOnly = await listFiles(folder, { include: ["**/*.md"], exclude: ["drafts/**"] });
    expect(markdownOnly.map((file) => path.relative(folder, file)).sort()).toEqual([
      "blank.md",
      "empty.md",
      "large.md",
      "late-nul.md",
      "latin1.md",
      "surrogate.md",
    ]);
  });
});

describe("loadFile", () => {
  it("turns HTML into markdown that keeps its headings, without scripts or styles", async () => {
    const loaded = (await load("guide.html")) as LoadedDocument;
    expect(loaded).toMatchObject({ title: "Ops Guide", mimeType: "text/html" });
    expect(loaded.content).not.toMatch(/alert|p\{\}/);
    const chunks = await chunkDocument(loaded, DEFAULT_CHUNKING);
    // The page's headings survive as markdown headings: short sections pack under the h1.
    expect(chunks.map((chunk) => chunk.heading)).toEqual(["Ops Guide"]);
    expect(chunks[0]?.text).toMatch(/^## Restarts$/m);
    expect(chunks[0]?.text).toMatch(/^## Backups$/m);
    // Line numbers count lines of the extracted markdown, and hold each chunk's text.
    for (const chunk of chunks) {
      expect(lines(loaded.content, chunk.startLine, chunk.endLine).trim()).toBe(chunk.text);
    }
    expect(chunks[0]?.text).toContain("`make restart`");
  });

  it("reads a PDF page by page: headings name the page, lines count within it", async () => {
    const loaded = (await load("manual.pdf")) as LoadedDocument;
    expect(loaded.pages).toEqual([
      "Installation\nUnpack the archive into /opt/fern.",
      "Troubleshooting\nIf the fan is loud, clean the filter.",
    ]);
    const chunks = await chunkDocument(loaded, DEFAULT_CHUNKING);
    expect(chunks.map((chunk) => chunk.heading)).toEqual(["Page 1", "Page 2"]);
    const second = chunks[1];
    expect(second?.text).toContain("clean the filter");
    expect(second?.embedText.startsWith("Page 2\n\n")).toBe(true);
    const page = loaded.pages?.[1] ?? "";
    expect(lines(page, second?.startLine ?? 0, second?.endLine ?? 0).trim()).toBe(second?.text);
  });

  it("chunks source code without mistaking # comments for headings", async () => {
    const loaded = (await load("deploy.py")) as LoadedDocument;
    expect(loaded).toMatchObject({ title: "deploy.py", mimeType: "text/x-python", syntax: "code" });
    const chunks = await chunkDocument(loaded, DEFAULT_CHUNKING);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ heading: "", startLine: 1, endLine: 7 });
  });

  it("keeps the line numbers of plain text", async () => {
    const loaded = (await load("notes.txt")) as LoadedDocument;
    const [chunk] = await chunkDocument(loaded, DEFAULT_CHUNKING);
    expect(chunk).toMatchObject({ startLine: 1, endLine: 3 });
  });

  it.each([
    ["empty.md", undefined, "empty file"],
    ["blank.md", undefined, "empty file"],
    ["binary.txt", undefined, "binary file"],
    ["latin1.md", undefined, "not valid UTF-8"],
    ["large.md", 1000, "larger than the 1000-byte limit"],
    ["broken.pdf", undefined, "could not read the PDF"],
    ["late-nul.md", undefined, "binary file (a NUL byte at offset 9008)"],
    ["surrogate.md", undefined, "not valid UTF-8"],
  ])("skips %s with a reason", async (name, maxFileBytes, reason) => {
    const skipped = await load(name, maxFileBytes);
    expect(skipped).toMatchObject({ source: name, reason: expect.stringContaining(reason) });
  });
});

/**
 * Runs `work` while a promise-based loop measures the event loop: the longest wait for a
 * setImmediate turn. Timers and I/O callbacks (lease heartbeats) run within that long.
 */
/**
 * A parse on the main thread would stall the loop for most of its time (pdf.js inflates a stream
 * in one synchronous call, and a time limit cannot fire meanwhile, so at least the 500 ms one);
 * in a worker the loop only waits for the CPU or a collection, which on a loaded machine has
 * reached 200 ms: so the bound is 400 ms, or half the parse when it took longer.
 */
function stallBound(parseMs: number): number {
  return Math.max(400, parseMs / 2);
}

async function longestStall<Result>(work: () => Promise<Result>) {
  let longest = 0;
  let running = true;
  const probe = (async () => {
    let last = performance.now();
    while (running) {
      await new Promise((resolve) => setImmediate(resolve));
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }
  })();
  const started = performance.now();
  try {
    const result = await work();
    return { result, ms: performance.now() - started, longestStallMs: longest };
  } finally {
    running = false;
    await probe;
  }
}

describe("reading PDFs in a worker thread", () => {
  // 100 MB of Flate-compressed spaces after the page's text: about 100 KB on disk.
  const bomb = onePagePdf("A page with a bomb after its text", 100 * 1024 * 1024);

  it("skips a decompression bomb within seconds, and the event loop never stalls", async () => {
    await writeFile(path.join(folder, "bomb.pdf"), bomb);
    expect(bomb.length).toBeLessThan(200_000);
    const { result, ms, longestStallMs } = await longestStall(() => load("bomb.pdf"));
    // The size cap stopped it, not the time limit.
    expect(result).toMatchObject({
      source: "bomb.pdf",
      reason: expect.stringMatching(/could not read the PDF: .*decompress to more than/),
    });
    expect(longestStallMs).toBeLessThan(stallBound(ms));
  });

  it("stops a parse that overruns its time, with the event loop free meanwhile", async () => {
    // No decompressed-size limit: pdf.js itself chews on the 100 MB stream until it is stopped.
    const { result, ms, longestStallMs } = await longestStall(() =>
      pdfText(bomb, { timeoutMs: 500, maxDecompressedBytes: Number.POSITIVE_INFINITY }),
    );
    expect(result).toEqual({ ok: false, reason: "reading it took longer than 500 ms" });
    expect(longestStallMs).toBeLessThan(stallBound(ms));
  });

  it("stops a parse at once when the ingest stops", async () => {
    const stop = new AbortController();
    const reading = pdfText(
      bomb,
      { timeoutMs: 60_000, maxDecompressedBytes: Number.POSITIVE_INFINITY },
      stop.signal,
    );
    stop.abort();
    expect(await reading).toEqual({ ok: false, reason: "the ingest was stopped" });
  });

  it("stops a parse that needs more memory than allowed", async () => {
    const result = await pdfText(onePagePdf("Tiny"), { maxHeapMb: 2 });
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/more than 2 MB/) });
  });

  it("reads a small PDF's text, and leaves the caller's bytes intact", async () => {
    const bytes = onePagePdf("Hello from a small PDF");
    const copy = Buffer.from(bytes);
    expect(await pdfText(bytes)).toEqual({ ok: true, pages: ["Hello from a small PDF"] });
    expect(bytes.equals(copy)).toBe(true);
    expect(await load("hello.pdf")).toMatchObject({ content: "Hello from a small PDF" });
  });
});

describe("resolveIngestPath", () => {
  let root: string;
  let outside: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "lore-root-"));
    outside = await mkdtemp(path.join(tmpdir(), "lore-outside-"));
    await mkdir(path.join(root, "docs"));
    await symlink(outside, path.join(root, "escape"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it("accepts a folder inside a root and returns its real path", async () => {
    expect(await resolveIngestPath(path.join(root, "docs"), [root])).toMatch(/docs$/);
  });

  it.each([
    ["a folder outside the roots", () => outside, /not inside the ingest roots/],
    ["a symlink that escapes the root", () => path.join(root, "escape"), /not inside/],
    ["a missing path behind that symlink", () => path.join(root, "escape", "nope"), /not inside/],
    ["a path with ..", () => `${root}/docs/../../etc`, /without "\.\."/],
    ["a relative path", () => "docs", /absolute/],
    ["a missing path outside", () => "/nonexistent-lore-path", /not inside/],
  ])("refuses %s", async (_name, requested, message) => {
    await expect(resolveIngestPath(requested(), [root])).rejects.toMatchObject({
      code: "invalid_request",
      message: expect.stringMatching(message),
    });
  });

  it("refuses everything when no roots are configured", async () => {
    await expect(resolveIngestPath(path.join(root, "docs"), [])).rejects.toThrow(
      /LORE_INGEST_ROOTS/,
    );
  });
});
