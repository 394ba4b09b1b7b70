// The page renders answers as sanitised markdown: code blocks, lists and links, never raw HTML, citations as buttons.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enqueueIngestJob, type LoreContext, processNextIngestJob } from "@lore/core";
import type { Database } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { type ChatModel, createLocalEmbedder } from "@lore/providers";
import { pino } from "pino";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";
import { type RunningServer, serveApp } from "../serve";
import {
  haveChromium,
  launchChromium,
  openWatchedPage,
  scriptedMarkdownModel,
} from "./browser-testing";

const DOCS: Record<string, string> = {
  "deploy-guide.md": [
    "# Deploy guide",
    "",
    "## Rolling back",
    "",
    "To roll back a deploy, run the rollback command from the release channel:",
    "",
    "```sh",
    "# roll back to the previous release",
    "shipit rollback --to previous",
    "```",
    "",
  ].join("\n"),
  "launch-notes.md": [
    "# Launch notes",
    "",
    "## Codeword",
    "",
    "The launch codeword is bluebird <img src=x onerror=\"window.pwned = 'doc'; alert('doc')\"> for the whole team.",
    "",
  ].join("\n"),
};

const MODEL_ANSWER = [
  "To roll back a deploy [1]:",
  "",
  "```sh",
  "# roll back to the previous release",
  "shipit rollback --to previous",
  "```",
  "",
  "- it takes about `two minutes`",
  "- see [the runbook](https://runbooks.example.com/deploy) or [this](javascript:alert('link'))",
  "",
  "<img src=x onerror=\"window.pwned = 'model'; alert('model')\"> <b>bold?</b>",
].join("\n");

describe.skipIf(!haveChromium())("markdown answers in Chromium", () => {
  let database: Database;
  let context: LoreContext;
  let docs: string;
  let browser: Browser;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    docs = await mkdtemp(join(tmpdir(), "lore-markdown-"));
    for (const [name, content] of Object.entries(DOCS)) await writeFile(join(docs, name), content);
    database = await createTestDatabase();
    context = { db: database.db, embedder: createLocalEmbedder() };
    await enqueueIngestJob(context, { collection: "default", path: docs, sync: false });
    await processNextIngestJob(context, { workerId: "test-worker", leaseMs: 30_000 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.close();
    await database?.close();
    if (docs) await rm(docs, { recursive: true, force: true });
  });

  async function serve(chat?: ChatModel): Promise<RunningServer> {
    const server = await serveApp(
      createApp({
        context: chat ? { ...context, chat } : context,
        logger: pino({ level: "silent" }),
      }),
      { port: 0, host: "127.0.0.1" },
    );
    servers.push(server);
    return server;
  }

  async function ask(page: Page, question: string) {
    await page.getByRole("textbox", { name: "Question", exact: true }).fill(question);
    await page.getByRole("textbox", { name: "Question", exact: true }).press("Enter");
    await page.locator("#feedback-form").waitFor({ state: "visible" });
  }

  it("renders a model's markdown answer: a real code block, a list, safe links, no raw HTML", async () => {
    const chat = scriptedMarkdownModel(MODEL_ANSWER, 40);
    const server = await serve(chat);
    const { page, problems } = await openWatchedPage(browser, server.url);
    await ask(page, "How do I roll back a deploy?");
    const answer = page.locator("#answer");
    expect(await answer.locator("pre > code").textContent()).toBe(
      "# roll back to the previous release\nshipit rollback --to previous\n",
    );
    // A `#` comment inside code is code, not a heading.
    expect(await answer.locator("h1, h2, h3").count()).toBe(0);
    expect(await answer.locator("li").allTextContents()).toEqual([
      "it takes about two minutes",
      "see the runbook or this",
    ]);
    expect(await answer.locator("li code").textContent()).toBe("two minutes");
    const link = answer.getByRole("link", { name: "the runbook" });
    expect(await link.getAttribute("href")).toBe("https://runbooks.example.com/deploy");
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(await answer.locator("a").count()).toBe(1);
    // The citation stays a button that opens its source.
    await answer.getByRole("button", { name: /^Source 1:/ }).click();
    await page.getByRole("dialog").waitFor({ state: "visible" });
    expect(await page.locator("#source-file").textContent()).toBe("deploy-guide.md");
    await page.keyboard.press("Escape");
    // Raw HTML from the model is shown as text, never parsed.
    expect(await answer.locator("img, b, script").count()).toBe(0);
    expect(await answer.textContent()).toContain("<img src=x onerror=");
    expect(await page.evaluate("globalThis.pwned")).toBeUndefined();
    await page.screenshot({
      path: new URL("../../../../test-artifacts/web-markdown-desktop.png", import.meta.url)
        .pathname,
      fullPage: true,
    });
    expect(problems).toEqual([]);
  });

  it("shows an injected <img onerror> quoted from a document as text and runs none of it", async () => {
    const server = await serve();
    const { page, problems } = await openWatchedPage(browser, server.url);
    await ask(page, "What is the launch codeword?");
    const answer = page.locator("#answer");
    expect(await answer.textContent()).toContain("bluebird <img src=x onerror=");
    expect(await page.locator("main img, dialog img").count()).toBe(0);
    expect(await page.evaluate("globalThis.pwned")).toBeUndefined();
    expect(await answer.getByRole("button", { name: /^Source 1:/ }).count()).toBe(1);
    expect(problems).toEqual([]);
  });
});
