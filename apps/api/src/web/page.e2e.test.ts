import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AskResponse,
  createApiKey,
  enqueueIngestJob,
  IngestJobList,
  type LoreContext,
  processNextIngestJob,
} from "@lore/core";
import { type Database, feedback } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import {
  type ChatModel,
  type ChatStreamPart,
  createLocalEmbedder,
  ProviderError,
} from "@lore/providers";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";
import { type RunningServer, serveApp } from "../serve";
import { haveChromium, launchChromium, openWatchedPage } from "./browser-testing";

const ARTIFACTS = new URL("../../../../test-artifacts/", import.meta.url);
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 740 };

const DOCS: Record<string, string> = {
  "deploy-guide.md": [
    "# Deploy guide",
    "",
    "## Rolling back",
    "",
    "To roll back a deploy, run `shipit rollback --to previous` from the release channel.",
    "A rollback takes about two minutes and pages nobody.",
    "",
  ].join("\n"),
  "launch-notes.md": [
    "# Launch notes",
    "",
    "## Codeword",
    "",
    'The launch codeword is <script>window.pwned = "script"; alert("script")</script> bluebird <img src=x onerror="window.pwned = \'img\'; alert(\'img\')"> for the whole team.',
    "",
  ].join("\n"),
  "diagram.bin": "\u0000\u0001binary",
};

/** An answer's text as the page shows it: markdown, so `code` spans lose their backticks. */
const asRendered = (answer: string) => answer.replaceAll("`", "");

describe.skipIf(!haveChromium())("web page in Chromium", () => {
  let database: Database;
  let context: LoreContext;
  let docs: string;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    docs = await mkdtemp(join(tmpdir(), "lore-web-"));
    for (const [name, content] of Object.entries(DOCS)) await writeFile(join(docs, name), content);
    database = await createTestDatabase();
    context = { db: database.db, embedder: createLocalEmbedder() };
    await enqueueIngestJob(context, { collection: "default", path: docs, sync: false });
    await processNextIngestJob(context, { workerId: "test-worker", leaseMs: 30_000 });
    server = await serveApp(createApp({ context, logger: pino({ level: "silent" }) }), {
      port: 0,
      host: "127.0.0.1",
    });
    browser = await launchChromium();
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
    if (docs) await rm(docs, { recursive: true, force: true });
  });

  /** A fresh page that records everything that would mean the page misbehaved. */
  const openPage = (url: string, viewport = DESKTOP) => openWatchedPage(browser, url, viewport);

  async function askApi(question: string): Promise<AskResponse> {
    const response = await fetch(`${server.url}/v1/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ question }),
    });
    expect(response.status).toBe(200);
    return AskResponse.parse(await response.json());
  }

  /** Types the question, presses Enter and waits until the answer is complete. */
  async function askPage(page: Page, question: string) {
    const answered = page.waitForResponse(
      (response) => response.url().endsWith("/v1/ask") && response.request().method() === "POST",
    );
    await questionBox(page).fill(question);
    await questionBox(page).press("Enter");
    const response = await answered;
    await page.locator("#feedback-form").waitFor({ state: "visible" });
    return response;
  }

  const questionBox = (page: Page) => page.getByRole("textbox", { name: "Question", exact: true });

  const screenshot = (page: Page, name: string) =>
    page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });

  it("shows the same answer as POST /v1/ask, streamed, with a [1] that opens its source", async () => {
    const question = "How do I roll back a deploy?";
    const expected = await askApi(question);
    expect(expected.abstained).toBe(false);
    const cited = expected.citations[0];
    expect(cited?.source).toBe("deploy-guide.md");
    if (!cited) return;

    const { page, problems } = await openPage(server.url);
    await expect
      .poll(() => page.locator("#collection option").allTextContents())
      .toEqual(["default (2 documents)"]);
    const response = await askPage(page, question);
    expect(response.headers()["content-type"]).toContain("text/event-stream");

    expect(await page.locator("#answer").textContent()).toBe(asRendered(expected.answer));
    await expect.poll(() => page.locator("#answer").getAttribute("aria-busy")).toBe("false");
    const marker = page.locator("#answer button", { hasText: "[1]" });
    expect(await marker.count()).toBe(1);
    await marker.click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor({ state: "visible" });
    expect(await page.locator("#source-snippet").textContent()).toBe(cited.snippet);
    expect(await page.locator("#source-file").textContent()).toBe("deploy-guide.md");
    expect(await page.locator("#source-heading").textContent()).toBe(cited.heading);
    expect(await page.locator("#source-lines").textContent()).toBe(
      cited.startLine === cited.endLine
        ? `${cited.startLine}`
        : `${cited.startLine}–${cited.endLine}`,
    );
    await screenshot(page, "web-source-desktop");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await screenshot(page, "web-answer-desktop");
    expect(problems).toEqual([]);
  });

  it("posts thumbs-down feedback with a comment for the answer shown", async () => {
    const { page, problems } = await openPage(server.url);
    await askPage(page, "How long does a rollback take?");
    await page.getByRole("button", { name: "Not helpful" }).click();
    await page.getByLabel("Comment (optional)").fill("Too short");
    await page.getByRole("button", { name: "Send feedback" }).click();
    await page.getByText("Thanks, your feedback was recorded.").waitFor();
    const rows = await context.db.select().from(feedback).where(eq(feedback.comment, "Too short"));
    expect(rows.map((row) => row.rating)).toEqual(["down"]);
    expect(problems).toEqual([]);
  });

  it("says plainly when the documents do not answer", async () => {
    const question = "What is the airspeed velocity of an unladen swallow?";
    const expected = await askApi(question);
    expect(expected.abstained).toBe(true);
    const { page, problems } = await openPage(server.url);
    await askPage(page, question);
    expect(await page.locator("#answer").textContent()).toBe(asRendered(expected.answer));
    expect(await page.locator("#answer-status").textContent()).toContain("No answer");
    expect(await page.locator("#answer button").count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it("shows markup from documents as text and runs none of it", async () => {
    const { page, problems } = await openPage(server.url);
    await askPage(page, "What is the launch codeword?");
    await page.locator("#answer button", { hasText: "[1]" }).click();
    const snippet = await page.locator("#source-snippet").textContent();
    expect(snippet).toContain('<script>window.pwned = "script"');
    expect(snippet).toContain("<img src=x onerror=");
    expect(await page.locator("#answer").textContent()).toContain("<script>");
    expect(await page.locator("main script, main img, dialog script, dialog img").count()).toBe(0);
    expect(await page.evaluate("globalThis.pwned")).toBeUndefined();
    expect(problems).toEqual([]);
  });

  it("works from the keyboard: Shift+Enter is a new line, Enter asks, Enter opens a source", async () => {
    const { page, problems } = await openPage(server.url);
    let asked = 0;
    page.on("request", (request) => {
      if (request.url().endsWith("/v1/ask")) asked += 1;
    });
    await questionBox(page).focus();
    await page.keyboard.type("How do I roll back");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("a deploy?");
    expect(await questionBox(page).inputValue()).toBe("How do I roll back\na deploy?");
    expect(asked).toBe(0);
    await page.keyboard.press("Enter");
    await page.locator("#feedback-form").waitFor({ state: "visible" });
    expect(asked).toBe(1);
    await page.locator("#answer button", { hasText: "[1]" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").waitFor({ state: "visible" });
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "hidden" });
    // Closing the source puts focus back on the marker that opened it.
    expect(await page.evaluate("document.activeElement.textContent")).toBe("[1]");
    expect(problems).toEqual([]);
  });

  it("fits a phone screen without sideways scrolling", async () => {
    const { page, problems } = await openPage(server.url, PHONE);
    await askPage(page, "How do I roll back a deploy?");
    const overflow = await page.evaluate(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    expect(overflow).toBe(0);
    await screenshot(page, "web-answer-phone");
    expect(problems).toEqual([]);
  });

  it("shows a readable problem for bad input instead of an answer", async () => {
    const { page, problems } = await openPage(server.url);
    // Wait for the page's own collection list, which replaces the options when it arrives.
    await page.locator("#collection option", { hasText: "documents)" }).first().waitFor({
      state: "attached",
    });
    // A collection name the API refuses, as a stale or tampered page could send.
    await page.evaluate(`{
      const select = document.getElementById("collection");
      select.add(new Option("Missing!", "Missing!"));
      select.value = "Missing!";
    }`);
    await questionBox(page).fill("How do I roll back a deploy?");
    await questionBox(page).press("Enter");
    const alert = page.getByRole("alert");
    await alert.waitFor({ state: "visible" });
    expect(await alert.textContent()).toMatch(/^Invalid request: .*collection.*\(request .+\)$/);
    expect(await page.locator("#result").isHidden()).toBe(true);
    // The browser itself logs the 400 response; nothing else may go wrong.
    expect(problems.filter((problem) => !problem.includes("status of 400"))).toEqual([]);
  });

  it("lists ingest jobs with skipped files and follows a queued job until it finishes", async () => {
    const { page, problems } = await openPage(`${server.url}/#jobs`);
    const queued = await enqueueIngestJob(context, {
      collection: "default",
      path: docs,
      sync: true,
    });
    await page.getByRole("button", { name: "Refresh" }).click();
    const job = page.locator(`li[data-job-id="${queued.id}"]`);
    await expect.poll(() => job.locator(".badge").textContent()).toBe("queued");
    await processNextIngestJob(context, { workerId: "test-worker", leaseMs: 30_000 });
    // No refresh: the page polls while a job is queued or running.
    await expect
      .poll(() => job.locator(".badge").textContent(), { timeout: 10_000 })
      .toBe("succeeded");
    expect(await page.evaluate(`document.getElementById("progress-${queued.id}").position`)).toBe(
      1,
    );
    const api = IngestJobList.parse(await (await fetch(`${server.url}/v1/ingest-jobs`)).json());
    expect(await page.locator("#job-list > li").count()).toBe(api.jobs.length);
    const skipped = api.jobs.find((listed) => listed.id === queued.id)?.summary?.skipped;
    expect(skipped?.map((file) => file.source)).toEqual(["diagram.bin"]);
    await job.getByText("1 file(s) skipped").click();
    expect(await job.locator(".skipped li").allTextContents()).toEqual(
      skipped?.map((file) => `${file.source} — ${file.reason}`),
    );
    await screenshot(page, "web-jobs-desktop");
    expect(problems).toEqual([]);
  });

  /** A server whose answers come from a scripted chat model that streams. */
  async function serveWithChat(stream: () => AsyncIterable<ChatStreamPart>) {
    const chat: ChatModel = {
      id: "scripted:web",
      complete: () => Promise.reject(new Error("the page asks for streamed answers only")),
      stream,
    };
    return serveApp(
      createApp({ context: { ...context, chat }, logger: pino({ level: "silent" }) }),
      {
        port: 0,
        host: "127.0.0.1",
      },
    );
  }

  it("shows a model's answer while it is still being generated", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const llm = await serveWithChat(async function* () {
      yield { type: "delta", text: "To roll back a deploy, run " };
      await held;
      yield { type: "delta", text: "`shipit rollback --to previous` [1]." };
      yield { type: "finish", usage: { promptTokens: 10, completionTokens: 12 } };
    });
    try {
      const { page, problems } = await openPage(llm.url);
      const answered = page.waitForResponse((response) => response.url().endsWith("/v1/ask"));
      await questionBox(page).fill("How do I roll back a deploy?");
      await questionBox(page).press("Enter");
      const answer = page.locator("#answer");
      await expect.poll(() => answer.textContent()).toBe("To roll back a deploy, run ");
      expect(await answer.getAttribute("aria-busy")).toBe("true");
      release();
      await page.locator("#feedback-form").waitFor({ state: "visible" });
      const done = (await (await answered).text()).match(/event: done\ndata: (.*)\n/)?.[1];
      const expected = AskResponse.parse(JSON.parse(done ?? "null"));
      expect(expected.mode).toBe("llm");
      expect(await answer.textContent()).toBe(asRendered(expected.answer));
      expect(await answer.locator("button", { hasText: "[1]" }).count()).toBe(1);
      expect(await page.locator("#answer-status").isHidden()).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      release();
      await llm.close();
    }
  });

  it("replaces a cut-off model answer with the extractive one and says it is degraded", async () => {
    const llm = await serveWithChat(async function* () {
      yield { type: "delta", text: "To roll back a deploy, you" };
      throw new ProviderError("connection reset", true);
    });
    try {
      const expected = await askApi("How do I roll back a deploy?");
      const { page, problems } = await openPage(llm.url);
      await askPage(page, "How do I roll back a deploy?");
      expect(await page.locator("#answer").textContent()).toBe(asRendered(expected.answer));
      expect(await page.locator("#answer-status").textContent()).toContain("Degraded answer");
      expect(await page.locator("#answer-warnings").textContent()).toContain("connection reset");
      await screenshot(page, "web-degraded-desktop");
      expect(problems).toEqual([]);
    } finally {
      await llm.close();
    }
  });

  it("asks for an API key when the server requires one, and keeps it for the session", async () => {
    const secured = await serveApp(
      createApp({ context, logger: pino({ level: "silent" }), auth: "required" }),
      { port: 0, host: "127.0.0.1" },
    );
    try {
      const { key } = await createApiKey(context, { name: "web-test", scopes: ["ask"] });
      const { page, problems } = await openPage(secured.url);
      const keyField = page.getByLabel("API key");
      expect(await keyField.isVisible()).toBe(true);
      await questionBox(page).fill("How do I roll back a deploy?");
      await questionBox(page).press("Enter");
      await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/^Unauthorized: /);
      await keyField.fill(key);
      await keyField.press("Tab");
      await askPage(page, "How do I roll back a deploy?");
      expect(await page.locator("#answer button", { hasText: "[1]" }).count()).toBe(1);
      expect(await page.evaluate('sessionStorage.getItem("lore.apiKey")')).toBe(key);
      expect(await page.evaluate("localStorage.length")).toBe(0);
      expect(problems.filter((problem) => !problem.includes("status of 401"))).toEqual([]);
    } finally {
      await secured.close();
    }
  });
});
